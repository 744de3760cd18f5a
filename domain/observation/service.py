import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Subquery, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain import cursor, live
from domain.errors import ErrorCode, ValidationError
from domain.lookup import get_in_workspace
from domain.observation.models import Observation
from domain.persona.models import Persona
from domain.stage import service as stage_service
from domain.team.models import Team
from domain.touchpoint import service as touchpoint_service
from domain.validation import TEXT_MAX, in_range, one_of, required_text, storable_time
from domain.vocabulary import Emotion, ObservationKind, ObservationSource

PAGE_SIZE_MAX = 100
PAGE_SIZE_DEFAULT = 25
PERMALINK_MAX = 500


async def get(
    session: AsyncSession, *, workspace_id: uuid.UUID, observation_id: uuid.UUID
) -> Observation:
    return await get_in_workspace(
        session,
        Observation,
        workspace_id=workspace_id,
        id=observation_id,
        field="observationId",
        label="observation",
    )


def _permalink(value: str | None) -> str | None:
    link = (value or "").strip()
    if not link:
        return None
    if not link.startswith(("https://", "http://")) or len(link) > PERMALINK_MAX:
        raise ValidationError(
            f"The permalink must be an http(s) URL of at most {PERMALINK_MAX} characters.",
            field="permalink",
        )
    return link


async def log(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    text: str,
    kind: ObservationKind | str,
    author_id: str,
    author_name: str,
    source: ObservationSource | str,
    touchpoint_id: uuid.UUID | None = None,
    stage_id: uuid.UUID | None = None,
    emotion: Emotion | str | None = None,
    sentiment: int | None = None,
    author_team_id: uuid.UUID | None = None,
    persona_id: uuid.UUID | None = None,
    permalink: str | None = None,
    idempotency_key: str | None = None,
    logged_at: datetime | None = None,
) -> Observation:
    """Log what a staff member saw at a touchpoint (or, without one, at a stage).

    `logged_at` (default: now) lets an import keep when each observation was first logged; it
    cannot lie in the future, where newest-first lists would keep it on top for ever.

    With an `idempotency_key` seen before in the workspace, the observation logged then is
    returned and nothing new is written: a retried Slack request or a double click logs once.
    """
    if idempotency_key:
        earlier = await logged_with_key(
            session, workspace_id=workspace_id, idempotency_key=idempotency_key
        )
        if earlier is not None:
            return earlier
    text = required_text(text, field="text", label="The observation", max_length=TEXT_MAX)
    kind = one_of(ObservationKind, kind, field="kind", label="Kind")
    emotion = one_of(Emotion, emotion, field="emotion", label="Emotion") if emotion else None
    if sentiment is not None:
        in_range(sentiment, field="sentiment", label="Sentiment", low=-2, high=2)
    journey_id, stage_id = await _where(session, workspace_id, touchpoint_id, stage_id)
    if author_team_id is not None:
        await get_in_workspace(
            session,
            Team,
            workspace_id=workspace_id,
            id=author_team_id,
            field="authorTeamId",
            label="team",
        )
    if persona_id is not None:
        await get_in_workspace(
            session,
            Persona,
            workspace_id=workspace_id,
            id=persona_id,
            field="personaId",
            label="persona",
        )
    observation = Observation(
        workspace_id=workspace_id,
        journey_id=journey_id,
        stage_id=stage_id,
        touchpoint_id=touchpoint_id,
        kind=kind,
        emotion=emotion,
        sentiment=sentiment,
        text=text,
        author_id=required_text(author_id, field="authorId", label="Author id", max_length=64),
        author_name=required_text(
            author_name, field="authorName", label="Author name", max_length=120
        ),
        author_team_id=author_team_id,
        persona_id=persona_id,
        source=one_of(ObservationSource, source, field="source", label="Source"),
        permalink=_permalink(permalink),
        idempotency_key=idempotency_key,
    )
    if logged_at is not None:
        observation.created_at = _logged_at(logged_at)
    session.add(observation)
    await session.flush()
    await live.publish(
        session,
        live.Topic.OBSERVATION_LOGGED,
        {
            "workspace_id": workspace_id,
            "journey_id": journey_id,
            "observation_id": observation.id,
        },
    )
    return observation


async def logged_with_key(
    session: AsyncSession, *, workspace_id: uuid.UUID, idempotency_key: str
) -> Observation | None:
    """The observation logged earlier with this key, if any. Double clicks arrive together:
    a transaction-level lock on the key makes the second wait for the first to commit and
    find its observation, instead of both finding none and one failing on the insert."""
    lock = func.hashtext(f"observation:{workspace_id}:{idempotency_key}")
    await session.execute(select(func.pg_advisory_xact_lock(lock)))
    return await session.scalar(
        select(Observation).where(
            Observation.workspace_id == workspace_id,
            Observation.idempotency_key == idempotency_key,
        )
    )


def _logged_at(value: datetime) -> datetime:
    moment = storable_time(value, field="loggedAt", label="The time it was logged")
    assert isinstance(moment, datetime)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > datetime.now(UTC):
        raise ValidationError(
            "The time it was logged cannot lie in the future.",
            field="loggedAt",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return moment


async def _where(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    touchpoint_id: uuid.UUID | None,
    stage_id: uuid.UUID | None,
) -> tuple[uuid.UUID, uuid.UUID]:
    """The journey and stage an observation belongs to, from its touchpoint or its stage."""
    if touchpoint_id is not None:
        touchpoint = await touchpoint_service.get(
            session, workspace_id=workspace_id, touchpoint_id=touchpoint_id
        )
        if stage_id is not None and stage_id != touchpoint.stage_id:
            raise ValidationError(
                "That touchpoint is not in that stage; give one of them, or matching ones.",
                field="stageId",
            )
        return touchpoint.journey_id, touchpoint.stage_id
    if stage_id is not None:
        stage = await stage_service.get(session, workspace_id=workspace_id, stage_id=stage_id)
        return stage.journey_id, stage.id
    raise ValidationError(
        "Say where you saw it: give a touchpoint or a stage.",
        field="touchpointId",
        code=ErrorCode.REQUIRED,
    )


@dataclass(frozen=True)
class ObservationFilter:
    """Which observations to list; every criterion given must hold. Times are [since, until)."""

    journey_id: uuid.UUID | None = None
    stage_id: uuid.UUID | None = None
    touchpoint_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    kind: ObservationKind | None = None
    emotion: Emotion | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ObservationPage:
    observations: list[Observation]
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(observation: Observation) -> str:
    return cursor.encode(observation.created_at, observation.id)


decode_cursor = cursor.decode


async def search(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    where: ObservationFilter = ObservationFilter(),
    first: int = PAGE_SIZE_DEFAULT,
    after: str | None = None,
) -> ObservationPage:
    """Observations newest first, a page at a time (keyset pagination on creation time)."""
    in_range(first, field="first", label="Page size (first)", low=1, high=PAGE_SIZE_MAX)
    for moment, name in ((where.since, "since"), (where.until, "until")):
        if moment is not None:
            storable_time(moment, field=name, label=f"`{name}`")
    if where.since and where.until and where.since >= where.until:
        raise ValidationError("`since` must be before `until`.", field="since")
    query = select(Observation).where(Observation.workspace_id == workspace_id)
    for column, value in (
        (Observation.journey_id, where.journey_id),
        (Observation.stage_id, where.stage_id),
        (Observation.touchpoint_id, where.touchpoint_id),
        (Observation.author_team_id, where.team_id),
        (Observation.kind, where.kind),
        (Observation.emotion, where.emotion),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since:
        query = query.where(Observation.created_at >= where.since)
    if where.until:
        query = query.where(Observation.created_at < where.until)
    if after:
        created_at, observation_id = decode_cursor(after)
        query = query.where(
            or_(
                Observation.created_at < created_at,
                and_(Observation.created_at == created_at, Observation.id < observation_id),
            )
        )
    query = query.order_by(Observation.created_at.desc(), Observation.id.desc()).limit(first + 1)
    return _page(list(await session.scalars(query)), first)


def _page(rows: list[Observation], first: int) -> ObservationPage:
    """A page from up to `first + 1` rows: the extra row only says there is a next page."""
    page = rows[:first]
    return ObservationPage(
        observations=page,
        has_next_page=len(rows) > first,
        end_cursor=encode_cursor(page[-1]) if page else None,
    )


def newest_per_group(group: Any, *criteria: Any) -> Subquery:
    """Observations matching `criteria`, each with its `rank` (1 = newest) within its `group`
    and the group's `total`: the one query behind every "latest few per stage / per team"."""
    return (
        select(
            Observation,
            func.row_number()
            .over(
                partition_by=group,
                order_by=(Observation.created_at.desc(), Observation.id.desc()),
            )
            .label("rank"),
            func.count().over(partition_by=group).label("total"),
        )
        .where(*criteria)
        .subquery()
    )


async def first_pages_for_stages(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    stage_ids: Iterable[uuid.UUID],
    first: int = PAGE_SIZE_DEFAULT,
) -> dict[uuid.UUID, ObservationPage]:
    """The first page of each stage's observations, newest first, in one query (for
    DataLoaders); later pages come from `search`."""
    in_range(first, field="first", label="Page size (first)", low=1, high=PAGE_SIZE_MAX)
    ids = list(stage_ids)
    ranked = newest_per_group(
        Observation.stage_id,
        Observation.workspace_id == workspace_id,
        Observation.stage_id.in_(ids),
    )
    observation = aliased(Observation, ranked)
    rows = await session.scalars(
        select(observation).where(ranked.c.rank <= first + 1).order_by(ranked.c.rank)
    )
    grouped: dict[uuid.UUID, list[Observation]] = {stage_id: [] for stage_id in ids}
    for row in rows:
        grouped[row.stage_id].append(row)
    return {stage_id: _page(rows_, first) for stage_id, rows_ in grouped.items()}


async def count_by_touchpoint(
    session: AsyncSession, *, workspace_id: uuid.UUID, touchpoint_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many observations each touchpoint has, in one query (for DataLoaders)."""
    ids = list(touchpoint_ids)
    counts = dict.fromkeys(ids, 0)
    rows = await session.execute(
        select(Observation.touchpoint_id, func.count())
        .where(Observation.workspace_id == workspace_id, Observation.touchpoint_id.in_(ids))
        .group_by(Observation.touchpoint_id)
    )
    for touchpoint_id, count in rows:
        if touchpoint_id is not None:
            counts[touchpoint_id] = count
    return counts


@dataclass(frozen=True)
class GroupPage:
    page: ObservationPage
    total: int  # observations in the group, on every page


async def first_pages_by_stage_and_kind(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    since: datetime,
    until: datetime,
    first: int,
) -> dict[tuple[uuid.UUID, ObservationKind], GroupPage]:
    """The first page of each (stage, kind) of a journey's observations logged in
    [since, until), newest first, with the group's size, in one query; later pages come from
    `search` with the page's end cursor. Groups without observations are left out."""
    in_range(first, field="first", label="Page size (first)", low=1, high=PAGE_SIZE_MAX)
    ranked = newest_per_group(
        (Observation.stage_id, Observation.kind),
        Observation.workspace_id == workspace_id,
        Observation.journey_id == journey_id,
        Observation.created_at >= since,
        Observation.created_at < until,
    )
    observation = aliased(Observation, ranked)
    rows = await session.execute(
        select(observation, ranked.c.total)
        .where(ranked.c.rank <= first + 1)
        .order_by(ranked.c.rank)
    )
    grouped: dict[tuple[uuid.UUID, ObservationKind], list[Observation]] = {}
    totals: dict[tuple[uuid.UUID, ObservationKind], int] = {}
    for row, total in rows:
        key = (row.stage_id, row.kind)
        grouped.setdefault(key, []).append(row)
        totals[key] = total
    return {key: GroupPage(_page(rows_, first), totals[key]) for key, rows_ in grouped.items()}


async def emotions_by_stage(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    since: datetime,
    until: datetime,
    persona_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, dict[Emotion, int]]:
    """How many observations logged in [since, until) recorded each emotion, per stage of a
    journey, in one query; stages and emotions nobody recorded are left out. With a persona,
    only the observations about that persona."""
    about = Observation.persona_id == persona_id if persona_id is not None else true()
    rows = await session.execute(
        select(Observation.stage_id, Observation.emotion, func.count())
        .where(
            Observation.workspace_id == workspace_id,
            Observation.journey_id == journey_id,
            Observation.emotion.is_not(None),
            Observation.created_at >= since,
            Observation.created_at < until,
            about,
        )
        .group_by(Observation.stage_id, Observation.emotion)
    )
    counts: dict[uuid.UUID, dict[Emotion, int]] = {}
    for stage_id, emotion, count in rows:
        if emotion is not None:  # the query leaves them out; this tells the type checker
            counts.setdefault(stage_id, {})[emotion] = count
    return counts
