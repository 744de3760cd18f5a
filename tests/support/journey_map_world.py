"""A small journey with everything a map shows: events in this period and the one before
(some customers of a persona), emotions, observations of several kinds, an open alert and
actions. Shared by the domain, GraphQL and browser tests of the map."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.action import service as action_service
from domain.journey.models import Journey
from domain.persona.models import Persona
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.workspace.models import Workspace
from tests.support import factories


@dataclass
class MapWorld:
    workspace: Workspace
    journey: Journey
    stages: list[Stage]
    persona: Persona
    now: datetime


def _at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def build_map_world(session, *, customers: int = 40) -> MapWorld:
    """look (ad, web) → cart → buy; `customers` shoppers spread over the last two weeks, a
    third of them "Bargain hunters" who seldom reach the cart."""
    now = datetime.now(UTC)
    workspace = await factories.make_workspace(session)
    team = await factories.make_team(session, workspace, name="Growth")
    persona = await factories.make_persona(session, workspace, name="Bargain hunters")
    journey = await factories.make_journey(
        session,
        workspace,
        name="Online purchase",
        stages=("Look", "Cart", "Buy"),
        conversion_window_days=2,
    )
    look, cart, buy = await factories.stages_of(session, journey)
    for stage, goal, emotion in [
        (look, "Find something worth buying", "curiosity"),
        (cart, "Know the full price", "confidence"),
        (buy, "Pay without surprises", "trust"),
    ]:
        await stage_service.update(
            session,
            workspace_id=workspace.id,
            stage_id=stage.id,
            customer_goal=goal,
            expected_emotion=emotion,
        )
    ad = await factories.make_touchpoint(
        session, look, name="Summer ad", channel="ad", event_names=("Ad Clicked",), owner=team
    )
    await factories.make_touchpoint(session, look, name="Home page", event_names=("Home Viewed",))
    basket = await factories.make_touchpoint(
        session, cart, name="Basket", event_names=("Cart Viewed",), owner=team
    )
    await factories.make_touchpoint(session, buy, name="Checkout", event_names=("Order Done",))
    events = []
    for n in range(customers):
        who = f"shopper-{n}"
        entered = now - timedelta(days=13, hours=1) + timedelta(hours=n * 13 * 24 / customers)
        bargain = n % 3 == 0
        if bargain:
            events.append(
                factories.identify(who, _at(entered - timedelta(minutes=1)), persona=persona.name)
            )
        events.append(factories.track(who, "Ad Clicked" if n % 2 else "Home Viewed", _at(entered)))
        if not bargain or n % 9 == 0:
            events.append(factories.track(who, "Cart Viewed", _at(entered + timedelta(hours=3))))
            if n % 4:
                events.append(factories.track(who, "Order Done", _at(entered + timedelta(hours=5))))
    await factories.send(session, workspace, *events)
    for text, kind, emotion in [
        ("Shipping costs appear late", "pain_point", "frustration"),
        ("Coupon field confuses people", "pain_point", "confusion"),
        ("The basket forgets items", "pain_point", "frustration"),
        ("Basket is slow on phones", "pain_point", "anxiety"),
        ("Offer saved baskets", "opportunity", "hope"),
        ("Loved the free returns", "praise", "delight"),
    ]:
        await factories.make_observation(
            session, touchpoint=basket, text=text, kind=kind, emotion=emotion, team=team
        )
    seen = await factories.make_observation(
        session,
        touchpoint=ad,
        text="The ad promises a discount",
        kind="insight",
        emotion="curiosity",
    )
    rule = await factories.make_alert_rule(session, journey, cart)
    await factories.make_alert(session, rule, cart)
    await action_service.create(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        title="Show shipping early",
        stage_id=cart.id,
        owner_team_id=team.id,
        observation_ids=[seen.id],
    )
    await action_service.create(
        session, workspace_id=workspace.id, journey_id=journey.id, title="Map the whole journey"
    )
    return MapWorld(workspace, journey, [look, cart, buy], persona, now)
