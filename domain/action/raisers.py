"""The people who raised what an action addresses: the authors of its observations and
everyone who +1'd one, told when it is done (domain.action.lifecycle) and again when its
outcome is known (domain.action.outcome)."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.action.models import Action, ActionObservation
from domain.mention.models import Mention
from domain.notification.text import escape, quote
from domain.observation.models import Observation
from domain.stage import service as stage_service
from domain.touchpoint.models import Touchpoint
from domain.validation import SLACK_USER_ID

OBSERVATION_QUOTED = 80


@dataclass(frozen=True)
class Raiser:
    """Someone who raised what an action addressed: an observation's author or a +1."""

    user_id: str
    observation_text: str
    place: str  # the touchpoint, else the stage, the observation was about
    authored: bool  # wrote the observation (else +1'd it)


async def raisers(session: AsyncSession, action: Action) -> list[Raiser]:
    """Everyone to tell, once each, with the first addressed observation they raised; only
    Slack users (an API token can log an observation, but reads no direct message)."""
    rows = await session.execute(
        select(Observation, Touchpoint.name)
        .join(
            ActionObservation,
            (ActionObservation.workspace_id == Observation.workspace_id)
            & (ActionObservation.observation_id == Observation.id),
        )
        .outerjoin(
            Touchpoint,
            (Touchpoint.workspace_id == Observation.workspace_id)
            & (Touchpoint.id == Observation.touchpoint_id),
        )
        .where(
            ActionObservation.workspace_id == action.workspace_id,
            ActionObservation.action_id == action.id,
        )
        .order_by(Observation.created_at, Observation.id)
    )
    observations = [(observation, touchpoint) for observation, touchpoint in rows]
    mentions: dict[uuid.UUID, list[str]] = {}
    for mention in await session.scalars(
        select(Mention)
        .where(
            Mention.workspace_id == action.workspace_id,
            Mention.observation_id.in_([o.id for o, _ in observations]),
        )
        .order_by(Mention.created_at, Mention.id)
    ):
        mentions.setdefault(mention.observation_id, []).append(mention.author_id)
    stage_names: dict[uuid.UUID, str] = {}
    for observation, touchpoint in observations:
        if touchpoint is None and observation.stage_id not in stage_names:
            stage = await stage_service.get(
                session, workspace_id=action.workspace_id, stage_id=observation.stage_id
            )
            stage_names[observation.stage_id] = stage.name
    found: dict[str, Raiser] = {}
    # Authors first: someone who wrote one observation and +1'd another hears of their own.
    for authored in (True, False):
        for observation, touchpoint in observations:
            place = touchpoint or stage_names[observation.stage_id]
            people = [observation.author_id] if authored else mentions.get(observation.id, [])
            for user_id in people:
                if user_id not in found and SLACK_USER_ID.fullmatch(user_id):
                    found[user_id] = Raiser(user_id, observation.text, place, authored)
    return list(found.values())


def about(raiser: Raiser) -> str:
    """ "Your observation about “…” at Checkout" (mrkdwn, user text escaped)."""
    whose = "Your observation" if raiser.authored else "The observation you +1'd"
    quoted = quote(raiser.observation_text, OBSERVATION_QUOTED)
    return f"{whose} about “{quoted}” at {escape(raiser.place)}"
