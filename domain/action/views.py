"""Actions as people follow them: lists by status with owners and due dates (`/journey
actions`, App Home, the weekly digest), one action with what it addresses (its Slack message),
and what the create form starts from (an alert, an observation or a stage)."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.action import service as action_service
from domain.action.models import Action, ActionActivity, ActionObservation
from domain.alert import service as alert_service
from domain.errors import NotFound
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.lookup import get_in_workspace
from domain.observation.models import Observation
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.team import service as team_service
from domain.team.models import Team
from domain.vocabulary import ActionStatus

# The order lists show statuses in: what is moving first, then what was finished or dropped.
STATUS_ORDER = (
    ActionStatus.IN_PROGRESS,
    ActionStatus.OPEN,
    ActionStatus.DONE,
    ActionStatus.DROPPED,
)
PER_STATUS_DEFAULT = 20
CHOICES_MAX = 100  # observations a form offers (Slack's limit for a select's options)
ADDRESSED_SHOWN = 3


@dataclass(frozen=True)
class ActionLine:
    """An action with the names a list shows beside it."""

    action: Action
    journey_name: str
    stage_name: str | None
    owner_name: str | None
    owner_channel_id: str | None = None

    @property
    def where(self) -> str:
        return f"{self.journey_name} › {self.stage_name}" if self.stage_name else self.journey_name


@dataclass(frozen=True)
class ActionsByStatus:
    """Actions grouped by status (in STATUS_ORDER), each group soonest due first, with how
    many each status holds in all."""

    groups: dict[ActionStatus, list[ActionLine]]
    totals: dict[ActionStatus, int]

    @property
    def is_empty(self) -> bool:
        return not any(self.totals.values())


def _placed():
    return (
        select(
            Action,
            Journey.name.label("journey_name"),
            Stage.name.label("stage_name"),
            Team.name.label("owner_name"),
            Team.slack_channel_id.label("owner_channel_id"),
        )
        .join(
            Journey,
            (Journey.workspace_id == Action.workspace_id) & (Journey.id == Action.journey_id),
        )
        .outerjoin(
            Stage, (Stage.workspace_id == Action.workspace_id) & (Stage.id == Action.stage_id)
        )
        .outerjoin(
            Team, (Team.workspace_id == Action.workspace_id) & (Team.id == Action.owner_team_id)
        )
    )


async def by_status(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    finished_since: datetime | None = None,
    per_status: int = PER_STATUS_DEFAULT,
) -> ActionsByStatus:
    """The workspace's actions (of one journey, or one owning team) by status, at most
    `per_status` of each; `finished_since` leaves out actions done or dropped before it."""
    where = [Action.workspace_id == workspace_id]
    if journey_id is not None:
        where.append(Action.journey_id == journey_id)
    if team_id is not None:
        where.append(Action.owner_team_id == team_id)
    if finished_since is not None:
        where.append(
            Action.status.in_([ActionStatus.OPEN, ActionStatus.IN_PROGRESS])
            | (Action.status_changed_at >= finished_since)
        )
    ranked = (
        _placed()
        .add_columns(
            func.row_number()
            .over(
                partition_by=Action.status,
                order_by=(
                    Action.due_on.asc().nulls_last(),
                    Action.status_changed_at.desc(),
                    Action.id,
                ),
            )
            .label("rank"),
            func.count().over(partition_by=Action.status).label("total"),
        )
        .where(*where)
        .subquery()
    )
    ranked_action = aliased(Action, ranked)
    rows = await session.execute(
        select(
            ranked_action,
            ranked.c.journey_name,
            ranked.c.stage_name,
            ranked.c.owner_name,
            ranked.c.owner_channel_id,
            ranked.c.total,
        )
        .where(ranked.c.rank <= per_status)
        .order_by(ranked.c.rank)
    )
    groups: dict[ActionStatus, list[ActionLine]] = {status: [] for status in STATUS_ORDER}
    totals = dict.fromkeys(STATUS_ORDER, 0)
    for row, journey_name, stage_name, owner_name, channel_id, total in rows:
        groups[row.status].append(ActionLine(row, journey_name, stage_name, owner_name, channel_id))
        totals[row.status] = total
    return ActionsByStatus(groups, totals)


@dataclass(frozen=True)
class AddressedObservation:
    text: str
    author_name: str


@dataclass(frozen=True)
class ActionMessage:
    """What an action's message shows: the action, where, whose, what it addresses, and who
    last moved it."""

    line: ActionLine
    addressed: list[AddressedObservation]
    addressed_total: int
    moved_by: str | None  # who moved it to its current status (the creator while open)


async def message(
    session: AsyncSession, *, workspace_id: uuid.UUID, action_id: uuid.UUID
) -> ActionMessage:
    row = (
        await session.execute(
            _placed().where(Action.workspace_id == workspace_id, Action.id == action_id)
        )
    ).first()
    if row is None:
        raise NotFound("No action with that id exists in this workspace.", field="actionId")
    action, journey_name, stage_name, owner_name, channel_id = row
    addressed = list(
        await session.execute(
            select(Observation.text, Observation.author_name, func.count().over())
            .join(
                ActionObservation,
                (ActionObservation.workspace_id == Observation.workspace_id)
                & (ActionObservation.observation_id == Observation.id),
            )
            .where(
                ActionObservation.workspace_id == workspace_id,
                ActionObservation.action_id == action_id,
            )
            .order_by(Observation.created_at.desc(), Observation.id)
            .limit(ADDRESSED_SHOWN)
        )
    )
    moved_by = await session.scalar(
        select(ActionActivity.actor_name)
        .where(
            ActionActivity.workspace_id == workspace_id,
            ActionActivity.action_id == action_id,
            ActionActivity.status == action.status,
        )
        .order_by(ActionActivity.created_at.desc())
        .limit(1)
    )
    return ActionMessage(
        line=ActionLine(action, journey_name, stage_name, owner_name, channel_id),
        addressed=[AddressedObservation(text, author) for text, author, _ in addressed],
        addressed_total=addressed[0][2] if addressed else 0,
        moved_by=moved_by,
    )


@dataclass(frozen=True)
class Draft:
    """What the form to create an action starts from."""

    journey: Journey
    stage: Stage | None
    alert_id: uuid.UUID | None
    owner: Team | None  # the default owner: the team owning the stage's touchpoints
    teams: list[Team]
    observations: list[Observation]  # the ones offered: the stage's latest and those chosen
    chosen: list[uuid.UUID] = field(default_factory=list)  # pre-selected


async def draft(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    alert_id: uuid.UUID | None = None,
    observation_id: uuid.UUID | None = None,
    stage_id: uuid.UUID | None = None,
    journey_id: uuid.UUID | None = None,
) -> Draft:
    """The form's defaults for an action created from an alert (at its stage, the
    observations it showed pre-selected), an observation (that one pre-selected), a stage or a
    journey. Unknown ids (another workspace's too) are NotFound."""
    chosen: list[uuid.UUID] = []
    if alert_id is not None:
        alert = await alert_service.get(session, workspace_id=workspace_id, alert_id=alert_id)
        journey_id, stage_id = alert.journey_id, alert.stage_id
        chosen = [uuid.UUID(shown["id"]) for shown in alert.observations]
    elif observation_id is not None:
        observation = await get_in_workspace(
            session,
            Observation,
            workspace_id=workspace_id,
            id=observation_id,
            field="observationId",
            label="observation",
        )
        journey_id, stage_id, chosen = (
            observation.journey_id,
            observation.stage_id,
            [observation.id],
        )
    stage = None
    if stage_id is not None:
        stage = await stage_service.get(session, workspace_id=workspace_id, stage_id=stage_id)
        journey_id = stage.journey_id
    if journey_id is None:
        raise ValueError("a draft starts from an alert, an observation, a stage or a journey")
    journey = await journey_service.get(session, workspace_id=workspace_id, journey_id=journey_id)
    offered = await _offered(session, workspace_id, journey.id, stage_id, chosen)
    return Draft(
        journey=journey,
        stage=stage,
        alert_id=alert_id,
        owner=await action_service.stage_owner(
            session, workspace_id=workspace_id, stage_id=stage_id
        ),
        teams=(await team_service.list_all(session, workspace_id=workspace_id))[:CHOICES_MAX],
        observations=offered,
        chosen=[o.id for o in offered if o.id in set(chosen)],
    )


async def _offered(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    stage_id: uuid.UUID | None,
    chosen: list[uuid.UUID],
) -> list[Observation]:
    """The chosen observations that still exist, then the latest at the stage (or in the
    journey), at most CHOICES_MAX in all."""
    place = Observation.stage_id == stage_id if stage_id else Observation.journey_id == journey_id
    found = list(
        await session.scalars(
            select(Observation).where(
                Observation.workspace_id == workspace_id,
                Observation.journey_id == journey_id,
                Observation.id.in_(chosen),
            )
        )
    )
    latest = await session.scalars(
        select(Observation)
        .where(Observation.workspace_id == workspace_id, place, Observation.id.not_in(chosen))
        .order_by(Observation.created_at.desc(), Observation.id)
        .limit(CHOICES_MAX - len(found))
    )
    return [*found, *latest]
