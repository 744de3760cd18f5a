"""Test data built through the use cases themselves, with sensible defaults."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.alert import service as alert_service
from domain.alert.decision import Policy
from domain.alert.models import Alert
from domain.alert.statistics import Cohort, Evaluation, Thresholds, evaluate
from domain.alert_rule import service as alert_rule_service
from domain.alert_rule.models import AlertRule
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.journey.service import StageSpec
from domain.observation import service as observation_service
from domain.observation.models import Observation
from domain.persona import service as persona_service
from domain.persona.models import Persona
from domain.stage.models import Stage
from domain.team import service as team_service
from domain.team.models import Team
from domain.touchpoint import service as touchpoint_service
from domain.touchpoint.models import Touchpoint
from domain.workspace import service as workspace_service
from domain.workspace.models import Workspace

_numbers = itertools.count(1)

DEFAULT_STAGES = ("awareness", "consideration", "decision", "retention", "advocacy")


def unique(prefix: str) -> str:
    return f"{prefix} {next(_numbers)}"


async def make_workspace(session: AsyncSession, name: str | None = None) -> Workspace:
    workspace, _ = await workspace_service.get_or_create(session, name=name or unique("acme"))
    return workspace


async def make_team(
    session: AsyncSession, workspace: Workspace, name: str | None = None, channel: str | None = None
) -> Team:
    return await team_service.create(
        session, workspace_id=workspace.id, name=name or unique("team"), slack_channel_id=channel
    )


async def make_persona(
    session: AsyncSession, workspace: Workspace, name: str | None = None
) -> Persona:
    return await persona_service.create(
        session, workspace_id=workspace.id, name=name or unique("persona")
    )


async def make_journey(
    session: AsyncSession,
    workspace: Workspace,
    name: str | None = None,
    stages: tuple[str, ...] = DEFAULT_STAGES,
    **settings,
) -> Journey:
    return await journey_service.create(
        session,
        workspace_id=workspace.id,
        name=name or unique("journey"),
        stages=[StageSpec(name=stage) for stage in stages],
        **settings,
    )


async def stages_of(session: AsyncSession, journey: Journey) -> list[Stage]:
    from domain.stage import service as stage_service

    return await stage_service.list_for_journey(
        session, workspace_id=journey.workspace_id, journey_id=journey.id
    )


async def make_touchpoint(
    session: AsyncSession,
    stage: Stage,
    name: str | None = None,
    channel: str = "web",
    event_names: tuple[str, ...] = (),
    owner: Team | None = None,
    key: str | None = None,
) -> Touchpoint:
    return await touchpoint_service.add(
        session,
        workspace_id=stage.workspace_id,
        stage_id=stage.id,
        name=name or unique("touchpoint"),
        channel=channel,
        key=key,
        event_names=event_names,
        owner_team_id=owner.id if owner else None,
    )


async def make_observation(
    session: AsyncSession,
    *,
    touchpoint: Touchpoint | None = None,
    stage: Stage | None = None,
    text: str = "customers abandon checkout when shipping costs appear",
    kind: str = "pain_point",
    team: Team | None = None,
    **extra,
) -> Observation:
    workspace_id = (touchpoint or stage).workspace_id  # type: ignore[union-attr]
    return await observation_service.log(
        session,
        workspace_id=workspace_id,
        touchpoint_id=touchpoint.id if touchpoint else None,
        stage_id=stage.id if stage else None,
        text=text,
        kind=kind,
        author_id=extra.pop("author_id", "U" + uuid.uuid4().hex[:8].upper()),
        author_name=extra.pop("author_name", "Dana Scully"),
        author_team_id=team.id if team else None,
        source=extra.pop("source", "graphql"),
        **extra,
    )


async def make_token(session: AsyncSession, workspace: Workspace, scope: str = "write") -> str:
    """A new API token's secret for `workspace`."""
    from domain.auth import service as auth_service

    _, secret = await auth_service.create(
        session, workspace_name=workspace.name, scope=scope, name=unique("token")
    )
    return secret


async def make_alert_rule(
    session: AsyncSession, journey: Journey, stage: Stage | None = None, **settings
) -> AlertRule:
    return await alert_rule_service.create(
        session,
        workspace_id=journey.workspace_id,
        journey_id=journey.id,
        stage_id=stage.id if stage else None,
        **settings,
    )


def dropped_evaluation(at: datetime, policy: Policy | None = None) -> Evaluation:
    """An evaluation of a stage whose conversion fell from 50 % to 35 % (it fires)."""
    policy = policy or Policy(
        thresholds=Thresholds(),
        recent_days=3,
        baseline_days=28,
        alert_window=timedelta(days=7),
        cooldown=timedelta(days=3),
    )
    windows = policy.windows(at)
    cohorts = [
        Cohort(windows.baseline.first + timedelta(days=i), 300, 150 if i < 28 else 105)
        for i in range(31)
    ]
    return evaluate(cohorts, windows, policy.thresholds, horizon=policy.alert_window)


async def make_alert(
    session: AsyncSession,
    rule: AlertRule,
    stage: Stage,
    channels: tuple[str, ...] = ("C0ALERTS1",),
    at: datetime | None = None,
) -> Alert:
    at = at or datetime.now(UTC)
    alert = await alert_service.fire(
        session,
        rule=rule,
        stage_id=stage.id,
        evaluation=dropped_evaluation(at),
        at=at,
        channel_ids=channels,
    )
    assert alert is not None
    return alert


def track(customer: str, event: str, at: str, message_id: str | None = None, **properties):
    """A Segment-shaped track call (timestamps as ISO text, like pipelines send them)."""
    return {
        "type": "track",
        "messageId": message_id or uuid.uuid4().hex,
        "userId": customer,
        "event": event,
        "timestamp": at,
        "properties": properties,
    }


def identify(customer: str, at: str, message_id: str | None = None, **traits):
    return {
        "type": "identify",
        "messageId": message_id or uuid.uuid4().hex,
        "userId": customer,
        "timestamp": at,
        "traits": traits,
    }


async def send(session: AsyncSession, workspace: Workspace, *events, **options):
    """Ingest events through the one ingestion use case."""
    from domain.event import service as event_service

    return await event_service.ingest(
        session, workspace_id=workspace.id, events=list(events), **options
    )


async def make_member(
    session: AsyncSession, workspace: Workspace, user_id: str, team: Team
) -> Team:
    """Put the staff member `user_id` (a Slack user id in bot tests) on `team`."""
    from domain.member import service as member_service

    return await member_service.join(
        session, workspace_id=workspace.id, user_id=user_id, team_id=team.id
    )


async def install_slack_app(
    engine, *, client_id: str, team_id: str, bot_token: str, bot_user_id: str | None = None
):
    """An installation of the app into Slack team `team_id`, saved as the OAuth flow saves it;
    returns the store it is in."""
    from slack_sdk.oauth.installation_store import Installation

    from bot.installations import installation_store

    store = installation_store(engine, client_id)
    await store.async_save(
        Installation(
            app_id="A0001",
            team_id=team_id,
            user_id="U0ADMIN",
            bot_token=bot_token,
            bot_id=f"B{team_id}",
            bot_user_id=bot_user_id or f"U{team_id}",
            bot_scopes=["chat:write"],
        )
    )
    return store


async def make_map_link(
    session: AsyncSession, workspace: Workspace, person_id: str = "U0001", *, now=None
) -> str:
    """A personal sign-in link's secret for `person_id` (read-only unless they are on a team)."""
    from domain.auth import map_links

    issued = await map_links.issue(
        session,
        workspace_id=workspace.id,
        person_id=person_id,
        person_name="Dana S.",
        now=now or datetime.now(UTC),
    )
    return issued.secret


async def make_done_action(
    session: AsyncSession,
    stage: Stage,
    *,
    done_at: datetime,
    title: str = "Show shipping on the product page",
    team: Team | None = None,
    observations=(),
):
    """An action on `stage`, marked done at `done_at` (as the Done button would leave it)."""
    from domain.action import service as action_service
    from domain.vocabulary import ActionStatus

    action = await action_service.create(
        session,
        workspace_id=stage.workspace_id,
        journey_id=stage.journey_id,
        title=title,
        stage_id=stage.id,
        owner_team_id=team.id if team else None,
        observation_ids=[o.id for o in observations],
    )
    action.status, action.done_at, action.status_changed_at = ActionStatus.DONE, done_at, done_at
    await session.flush()
    return action


async def make_action_post(
    session: AsyncSession, action, channel: str, ts: str = "1700000000.000100"
):
    """The action's message in `channel`, as delivered (sent, with its Slack `ts`): the one
    creating the action queued for its team's channel, or a new one."""
    from sqlalchemy import select

    from domain.notification.models import Notification, NotificationKind, NotificationStatus

    post = await session.scalar(
        select(Notification).where(
            Notification.workspace_id == action.workspace_id,
            Notification.action_id == action.id,
            Notification.channel_id == channel,
            Notification.kind == NotificationKind.POST,
        )
    )
    if post is None:
        post = Notification(
            workspace_id=action.workspace_id,
            action_id=action.id,
            channel_id=channel,
            kind=NotificationKind.POST,
        )
        session.add(post)
    post.status, post.attempts = NotificationStatus.SENT, 1
    post.slack_ts, post.sent_at = ts, datetime.now(UTC)
    await session.flush()
    return post
