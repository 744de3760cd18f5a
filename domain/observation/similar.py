"""Observations like a text someone is about to log, at the same stage, so that they can +1
one instead of logging a near-copy.

PostgreSQL's own full-text search, not pg_trgm nor a fuzzy-matching library: it ships with
every PostgreSQL (the embedded one has no contrib extensions) and needs no rows in Python.
The 'english' configuration stems and drops stop words, so "shipping costs" meets "shipping
cost" and "customers abandon checkout" meets "abandoned the checkout"; 'simple' would not.

The new text's words are OR-ed into one query; `ts_rank` of an OR query grows with the share
of the query's words a stored text contains, so dividing by the text's rank against itself
gives that share (0..1). Two words in common, and at least 40 % of the text's, keep unrelated
observations that share one common word ("checkout") out.

A stage's recent observations are few (hundreds), so the vectors are computed on the fly over
the (workspace, stage, created_at) index; no text index is needed.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.observation.models import Observation
from domain.stage import service as stage_service
from domain.validation import TEXT_MAX, in_range, required_text

RECENT = timedelta(days=90)
LANGUAGE = "english"
SHARE_MIN = 0.4
WORDS_MIN = 2.0
ROUNDING = 0.01  # ts_rank is a float4; 2 words of 5 may come out a hair under 0.4
LIMIT_MAX = 20
LIMIT_DEFAULT = 5


async def similar(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    stage_id: uuid.UUID,
    text: str,
    limit: int = LIMIT_DEFAULT,
    exclude: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[Observation]:
    """The stage's observations of the last 90 days most like `text`, most alike first;
    `exclude` leaves one out (the observation just logged with that text)."""
    text = required_text(text, field="text", label="The observation", max_length=TEXT_MAX)
    in_range(limit, field="first", label="How many (first)", low=1, high=LIMIT_MAX)
    await stage_service.get(session, workspace_id=workspace_id, stage_id=stage_id)
    words = re.findall(r"\w+", text)
    if not words:
        return []
    query = func.websearch_to_tsquery(LANGUAGE, literal(" or ".join(words)))
    itself = func.ts_rank(func.to_tsvector(LANGUAGE, literal(text)), query)
    lexemes = func.length(func.to_tsvector(LANGUAGE, literal(text)))
    document = func.to_tsvector(LANGUAGE, Observation.text)
    share = func.ts_rank(document, query) / func.nullif(itself, 0)
    needed = func.greatest(SHARE_MIN, func.least(WORDS_MIN, lexemes) / func.nullif(lexemes, 0))
    since = (now or datetime.now(UTC)) - RECENT
    rows = await session.scalars(
        select(Observation)
        .where(
            Observation.workspace_id == workspace_id,
            Observation.stage_id == stage_id,
            Observation.created_at >= since,
            document.op("@@")(query),
            share >= needed - ROUNDING,
            Observation.id != exclude if exclude else literal(True),
        )
        .order_by(share.desc(), Observation.created_at.desc(), Observation.id.desc())
        .limit(limit)
    )
    return list(rows)
