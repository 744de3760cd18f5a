"""Live updates through PostgreSQL NOTIFY.

A use case publishes inside its transaction, so listeners hear of a change only once it is
committed, and any server process connected to the same database hears it. Payloads carry ids
only (NOTIFY payloads are capped at 8 kB); listeners load what they need.
"""

import json
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


class Topic(StrEnum):
    OBSERVATION_LOGGED = "journeyops_observation_logged"
    ALERT_FIRED = "journeyops_alert_fired"
    FIGURES_CHANGED = "journeyops_figures_changed"


async def publish(session: AsyncSession, topic: Topic, payload: dict[str, Any]) -> None:
    await session.execute(select(func.pg_notify(topic.value, json.dumps(payload, default=str))))
