"""Logging an observation as a staff member: with their team, at a place named in their words
(a touchpoint, or a stage of a journey), once per idempotency key."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.by_name import matching
from domain.by_name import touchpoint as touchpoint_by_name
from domain.by_name.touchpoint import TouchpointPlace
from domain.errors import DomainError, ValidationError
from domain.journey.models import Journey
from domain.member import service as member_service
from domain.observation import service as observation_service
from domain.observation.models import Observation
from domain.observation.similar import similar
from domain.stage import service as stage_service
from domain.stage.models import Stage
from domain.team.models import Team
from domain.touchpoint import service as touchpoint_service
from domain.touchpoint.models import Touchpoint
from domain.validation import TEXT_MAX, required_text
from domain.vocabulary import Emotion, ObservationKind, ObservationSource

SIMILAR_OFFERED = 3


@dataclass(frozen=True)
class Logged:
    observation: Observation
    team_name: str
    where: str  # "Touchpoint (Journey › stage)" or "Journey › stage"
    # Logged earlier with the same idempotency key (a retried request, a double click): the
    # door confirmed it then, and says nothing again.
    repeated: bool = False
    # Recent observations at the stage like this one: the author may say it is the same
    # (mention.service.same_as) so that the problem is counted once.
    similar: tuple[Observation, ...] = ()


async def log_as_member(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    author_id: str,
    author_name: str,
    text: str,
    kind: ObservationKind | str | None = None,
    touchpoint: str | uuid.UUID | None = None,
    stage_id: uuid.UUID | None = None,
    journey_id: uuid.UUID | None = None,
    emotion: Emotion | str | None = None,
    sentiment: int | None = None,
    join_team_id: uuid.UUID | None = None,
    persona_id: uuid.UUID | None = None,
    permalink: str | None = None,
    idempotency_key: str | None = None,
    source: ObservationSource = ObservationSource.SLACK,
) -> Logged:
    """Log what a staff member saw, carrying their team. The touchpoint may be named in words
    (forgiving lookup); `journey_id` checks the stage and touchpoint belong to that journey;
    `join_team_id` first puts the member on that team. A repeated idempotency key logs once."""
    if idempotency_key:
        earlier = await observation_service.logged_with_key(
            session, workspace_id=workspace_id, idempotency_key=idempotency_key
        )
        if earlier is not None:
            return await _logged(session, earlier, repeated=True)
    text = required_text(text, field="text", label="The observation", max_length=TEXT_MAX)
    if join_team_id is not None:
        await member_service.join(
            session, workspace_id=workspace_id, user_id=author_id, team_id=join_team_id
        )
    team = await member_service.require_team(session, workspace_id=workspace_id, user_id=author_id)
    if isinstance(touchpoint, str):
        touchpoint = (
            await touchpoint_by_name.find(session, workspace_id=workspace_id, query=touchpoint)
        ).id
    if journey_id is not None:
        await _ensure_in_journey(session, workspace_id, journey_id, touchpoint, stage_id)
    observation = await observation_service.log(
        session,
        workspace_id=workspace_id,
        text=text,
        kind=kind or ObservationKind.INSIGHT,
        author_id=author_id,
        author_name=author_name,
        author_team_id=team.id,
        source=source,
        touchpoint_id=touchpoint,
        stage_id=stage_id,
        emotion=emotion,
        sentiment=sentiment,
        persona_id=persona_id,
        permalink=permalink,
        idempotency_key=idempotency_key,
    )
    return await _logged(session, observation)


class ChooseTouchpoint(DomainError):
    """Quick logging could not tell which touchpoint was meant: the candidates (several fit)
    or the closest ones (none did), and the text to log once the person picks one."""

    def __init__(self, error: DomainError, places: list[TouchpointPlace], text: str):
        super().__init__(error.message, field=error.field, code=error.code)
        self.places = places
        self.text = text


async def quick_log(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    author_id: str,
    author_name: str,
    touchpoint: str,
    text: str,
    name_may_continue: bool,
    kind: ObservationKind | str | None = None,
    emotion: Emotion | str | None = None,
    idempotency_key: str | None = None,
) -> Logged:
    """One-line logging (`checkout Shipping costs surprise people`): with `name_may_continue`
    the touchpoint's name may run on into the text (`product page Reviews are hidden`)."""
    if name_may_continue:
        touchpoint, text = await touchpoint_by_name.split_name(
            session, workspace_id=workspace_id, first=touchpoint, rest=text
        )
    try:
        return await log_as_member(
            session,
            workspace_id=workspace_id,
            author_id=author_id,
            author_name=author_name,
            text=text,
            kind=kind,
            emotion=emotion,
            touchpoint=touchpoint,
            idempotency_key=idempotency_key,
        )
    except matching.Ambiguous as error:
        raise ChooseTouchpoint(error, error.candidates, text) from None
    except matching.Unknown as error:
        if error.suggestions:
            raise ChooseTouchpoint(error, error.suggestions, text) from None
        raise


async def _ensure_in_journey(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    journey_id: uuid.UUID,
    touchpoint_id: uuid.UUID | None,
    stage_id: uuid.UUID | None,
) -> None:
    if touchpoint_id is not None:
        found = await touchpoint_service.get(
            session, workspace_id=workspace_id, touchpoint_id=touchpoint_id
        )
        if found.journey_id != journey_id:
            raise ValidationError(
                "That touchpoint belongs to another journey; pick one of this journey.",
                field="touchpointId",
            )
    if stage_id is not None:
        stage = await stage_service.get(session, workspace_id=workspace_id, stage_id=stage_id)
        if stage.journey_id != journey_id:
            raise ValidationError(
                "That stage belongs to another journey; pick one of this journey.",
                field="stageId",
            )


def placed(*columns: Any) -> Select:
    """`columns` of observations joined to their journey, stage, touchpoint and team."""
    return (
        select(*columns)
        .select_from(Observation)
        .join(
            Journey,
            (Journey.workspace_id == Observation.workspace_id)
            & (Journey.id == Observation.journey_id),
        )
        .join(
            Stage,
            (Stage.workspace_id == Observation.workspace_id) & (Stage.id == Observation.stage_id),
        )
        .outerjoin(
            Touchpoint,
            (Touchpoint.workspace_id == Observation.workspace_id)
            & (Touchpoint.id == Observation.touchpoint_id),
        )
        .outerjoin(
            Team,
            (Team.workspace_id == Observation.workspace_id)
            & (Team.id == Observation.author_team_id),
        )
    )


async def _logged(
    session: AsyncSession, observation: Observation, *, repeated: bool = False
) -> Logged:
    query = placed(Journey.name, Stage.name, Touchpoint.name, Team.name).where(
        Observation.workspace_id == observation.workspace_id, Observation.id == observation.id
    )
    row = (await session.execute(query)).one()
    journey_name, stage_name, touchpoint_name, team_name = row
    where = f"{journey_name} › {stage_name}"
    if touchpoint_name:
        where = f"{touchpoint_name} ({where})"
    alike: list[Observation] = []
    if not repeated:
        alike = await similar(
            session,
            workspace_id=observation.workspace_id,
            stage_id=observation.stage_id,
            text=observation.text,
            limit=SIMILAR_OFFERED,
            exclude=observation.id,
        )
    return Logged(observation, team_name or "", where, repeated, tuple(alike))
