from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.alert.decision import Step
from domain.alert.evaluation import evaluate_rule
from domain.auth import map_links
from domain.auth import service as auth_service
from domain.metrics.cohorts import daily_cohorts
from domain.models import AlertRule, Journey, Observation, Persona, Stage, Team, Touchpoint
from domain.vocabulary import TokenScope
from journeyops import demo

SMALL = (800, 150)  # customers per journey: enough for figures, quick to load


async def counts(session):
    return {
        model.__name__: await session.scalar(select(func.count()).select_from(model))
        for model in (Team, Persona, Journey, Stage, Touchpoint, Observation, AlertRule)
    }


async def test_the_demo_loads_a_lived_in_workspace_once(session):
    workspace, loaded = await demo.load(session, customers=SMALL)
    first = await counts(session)
    assert loaded
    assert first["Team"] == 4 and first["Persona"] == 3 and first["Journey"] == 2
    assert first["Stage"] == 8 and first["Touchpoint"] >= 15 and first["Observation"] >= 30
    assert first["AlertRule"] == 2  # one watching each journey, with the defaults

    again, loaded_again = await demo.load(session, customers=SMALL)
    assert (again.id, loaded_again) == (workspace.id, False)
    assert await counts(session) == first


async def test_each_demo_run_gets_a_fresh_token_and_revokes_the_last(session):
    workspace, _ = await demo.load(session, customers=SMALL)
    first = await demo.fresh_token(session, workspace)
    second = await demo.fresh_token(session, workspace)
    assert await auth_service.authenticate(session, secret=first) is None
    token = await auth_service.authenticate(session, secret=second)
    assert token is not None and token.workspace_id == workspace.id


async def test_a_first_look_at_the_demo_finds_the_drop_at_consideration(session):
    """The full-size demo: the worker's evaluation fires on the stage whose customers stopped
    moving on two weeks ago, and on no other."""
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    await demo.load(session, now=now)
    await session.commit()  # readers read what is committed (domain.metrics.snapshot)
    fired = []
    for rule in await session.scalars(select(AlertRule)):
        outcomes = await evaluate_rule(
            session, rule=rule, at=now, cohorts=daily_cohorts, apply=False
        )
        fired += [o.stage_name for o in outcomes if o.decision.step is Step.FIRE]
    assert fired == ["Consideration"]


async def test_the_demo_prints_a_link_that_signs_its_visitor_in_to_edit_the_map(session):
    workspace, _ = await demo.load(session, customers=SMALL)
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    url = await demo.signed_in_map(session, workspace, base_url="http://127.0.0.1:8000", now=now)
    journey = await session.scalar(select(Journey).where(Journey.name == "Online purchase"))
    address, secret = url.split("#sign-in=")
    assert address == f"http://127.0.0.1:8000/journeys/{journey.id}?days=30"
    # Still good after Slack's links would have expired: the demo prints it while starting.
    opened = await map_links.exchange(session, link=secret, now=now + timedelta(hours=11))
    assert opened.scope is TokenScope.WRITE and opened.person_name == "Demo visitor"
    with pytest.raises(map_links.LinkRefused):
        await map_links.exchange(session, link=secret, now=now + timedelta(hours=11))
