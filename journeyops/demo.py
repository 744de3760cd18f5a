"""The demo workspace: loaded through the use cases, once (running the demo again reuses it)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.action import service as action_service
from domain.alert_rule import service as alert_rule_service
from domain.auth import map_links
from domain.auth import service as auth_service
from domain.by_name import journey as journey_by_name
from domain.by_name import team as team_by_name
from domain.event import synthetic
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.journey.service import StageSpec
from domain.observation import service as observation_service
from domain.observation.service import ObservationFilter
from domain.persona import service as persona_service
from domain.stage import service as stage_service
from domain.team import service as team_service
from domain.touchpoint import service as touchpoint_service
from domain.touchpoint.models import Touchpoint
from domain.vocabulary import ObservationKind, TokenScope
from domain.workspace import service as workspace_service
from domain.workspace.models import Workspace
from infrastructure.addresses import journey_map_url
from journeyops import demo_data

WORKSPACE_NAME = "Demo: Acme Outfitters"
TOKEN_NAME = "demo"
# Per journey: enough online shoppers for the alert rule to judge daily cohorts, and since two
# weeks ago fewer of them move on from consideration to checkout: a real drop, so a first look
# shows the alert the worker raises about it.
DEMO_CUSTOMERS = (9000, 150)
DEMO_DROP = (1, 14, 0.22)  # stage position, days ago, chance of moving on (usually 0.48)
# Whoever runs the demo signs in to the map with the printed link as this person, on the
# product team, so they may edit the map. The link waits longer than Slack's 15 minutes: it is
# printed while the demo starts, for whenever its reader gets to it; it still works once.
DEMO_VISITOR = ("demo-visitor", "Demo visitor", "product")
DEMO_LINK_LIFETIME = timedelta(hours=12)
DEMO_MAP = ("Online purchase", 30)  # the journey the link opens, and its period in days


async def load(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    customers: tuple[int, int] = DEMO_CUSTOMERS,
) -> tuple[Workspace, bool]:
    """The demo workspace, filled on first use; the flag says whether it was loaded now."""
    workspace, _ = await workspace_service.get_or_create(session, name=WORKSPACE_NAME)
    if await journey_service.list_all(session, workspace_id=workspace.id):
        return workspace, False
    now = now or datetime.now(UTC)
    teams = {
        name: (
            await team_service.create(
                session, workspace_id=workspace.id, name=name, slack_channel_id=channel
            )
        ).id
        for name, channel in demo_data.TEAMS.items()
    }
    personas = [
        await persona_service.create(session, workspace_id=workspace.id, **persona)
        for persona in demo_data.PERSONAS
    ]
    touchpoints: dict[str, Touchpoint] = {}
    for (name, stages, persona_id, drop), count in zip(
        (
            ("Online purchase", demo_data.ONLINE_PURCHASE, None, DEMO_DROP),
            ("B2B trial", demo_data.B2B_TRIAL, personas[1].id, None),
        ),
        customers,
        strict=True,
    ):
        journey = await _journey(session, workspace.id, name, stages, persona_id, teams)
        # A rule with the defaults, so the worker watches every stage from the start.
        await alert_rule_service.create(session, workspace_id=workspace.id, journey_id=journey.id)
        await synthetic.send_demo_events(  # eight weeks of customers, so metrics have figures
            session,
            workspace_id=workspace.id,
            journey_id=journey.id,
            customers=count,
            seed=count,
            personas=[p.name for p in personas] if persona_id is None else [personas[1].name],
            now=now,
            drop=drop,
        )
        touchpoints |= {
            t.key: t
            for t in await touchpoint_service.list_for_journey(
                session, workspace_id=workspace.id, journey_id=journey.id
            )
        }
    by_name = {persona.name: persona.id for persona in personas}
    await _observations(session, workspace.id, touchpoints, teams, by_name, now)
    await _actions(session, workspace.id, touchpoints, teams)
    return workspace, True


async def _journey(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    name: str,
    stages: list,
    persona_id: uuid.UUID | None,
    teams: dict[str, uuid.UUID],
) -> Journey:
    journey = await journey_service.create(
        session,
        workspace_id=workspace_id,
        name=name,
        persona_id=persona_id,
        stages=[StageSpec(stage, goal, emotion) for stage, goal, emotion, _ in stages],
    )
    created = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey.id
    )
    for stage, (*_, stage_touchpoints) in zip(created, stages, strict=True):
        for touchpoint_name, key, channel, owner, events in stage_touchpoints:
            await touchpoint_service.add(
                session,
                workspace_id=workspace_id,
                stage_id=stage.id,
                name=touchpoint_name,
                key=key,
                channel=channel,
                owner_team_id=teams[owner],
                event_names=events,
            )
    return journey


async def _observations(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    touchpoints: dict[str, Touchpoint],
    teams: dict[str, uuid.UUID],
    personas: dict[str, uuid.UUID],
    now: datetime,
) -> None:
    for index, (key, kind, emotion, sentiment, team, author, text, days_ago) in enumerate(
        demo_data.OBSERVATIONS
    ):
        await observation_service.log(
            session,
            workspace_id=workspace_id,
            touchpoint_id=touchpoints[key].id,
            kind=kind,
            emotion=emotion,
            sentiment=sentiment,
            text=text,
            author_id=f"UDEMO{index:03d}",
            author_name=author,
            author_team_id=teams[team],
            persona_id=personas.get(demo_data.OBSERVATION_PERSONAS.get(index, "")),
            source="import",
            # Spread over the past weeks so the map and filters look lived-in.
            logged_at=now - timedelta(days=days_ago, hours=index % 9),
        )


async def _actions(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    touchpoints: dict[str, Touchpoint],
    teams: dict[str, uuid.UUID],
) -> None:
    for title, _stage, team, status, key in demo_data.ACTIONS:
        touchpoint = touchpoints[key]
        pain_points = await observation_service.search(
            session,
            workspace_id=workspace_id,
            where=ObservationFilter(touchpoint_id=touchpoint.id, kind=ObservationKind.PAIN_POINT),
            first=observation_service.PAGE_SIZE_MAX,
        )
        action = await action_service.create(
            session,
            workspace_id=workspace_id,
            journey_id=touchpoint.journey_id,
            stage_id=touchpoint.stage_id,
            title=title,
            owner_team_id=teams[team],
            observation_ids=[observation.id for observation in pain_points.observations],
        )
        await action_service.update(
            session, workspace_id=workspace_id, action_id=action.id, status=status
        )


async def fresh_token(session: AsyncSession, workspace: Workspace) -> str:
    """A new admin token for the demo; earlier demo tokens are revoked."""
    await auth_service.revoke_named(session, workspace_id=workspace.id, name=TOKEN_NAME)
    _, secret = await auth_service.create(
        session, workspace_name=workspace.name, scope=TokenScope.ADMIN, name=TOKEN_NAME
    )
    return secret


async def signed_in_map(
    session: AsyncSession, workspace: Workspace, *, base_url: str, now: datetime
) -> str:
    """A one-time link that signs the demo's visitor in to the online-purchase map."""
    person_id, person_name, team = DEMO_VISITOR
    await team_by_name.join(session, workspace_id=workspace.id, user_id=person_id, team=team)
    journey_name, days = DEMO_MAP
    journey = await journey_by_name.find(session, workspace_id=workspace.id, name=journey_name)
    link = await map_links.issue(
        session,
        workspace_id=workspace.id,
        person_id=person_id,
        person_name=person_name,
        now=now,
        valid_for=DEMO_LINK_LIFETIME,
    )
    return journey_map_url(base_url, journey.id, days=days, sign_in=link.secret)
