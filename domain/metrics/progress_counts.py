"""Stage figures counted from stage_progress in one statement, with each customer's persona
as of the evaluation time: what a persona filter or breakdown reads when so many customers'
persona was set after that time that moving them between the persona rollups would cost more
(domain.metrics.daily_rollups.MOVED_MAX)."""

from typing import Any

import asyncpg

from domain.metrics.definitions import (
    PERCENTILES,
    converted_by,
    dropped_by,
    duration_seconds,
    entered_in,
    persona_as_of,
)
from domain.metrics.evaluation import Evaluation
from domain.metrics.figures import Grouped, Reach, touchpoint_reach

# $1 workspace, $2 journey, $3 low, $4 high, $5 T, $6 W in seconds; grouping and filters from $7
PERSONA = persona_as_of("$5")
CUSTOMER_JOIN = "JOIN customer c ON c.workspace_id = p.workspace_id AND c.id = p.customer_id"
TOUCHPOINT_JOIN = (
    "LEFT JOIN touchpoint t ON t.workspace_id = p.workspace_id AND t.id = p.entry_touchpoint_id"
)
FRACTIONS = ", ".join(map(str, PERCENTILES))
GROUP_KEYS = {
    None: "NULL::text",
    "bucket_day": "date_trunc('day', p.entered_at AT TIME ZONE $7)::date::text",
    "bucket_week": "date_trunc('week', p.entered_at AT TIME ZONE $7)::date::text",
    "persona": f"({PERSONA})::text",
    "channel": "t.channel::text",
}


def _filters(evaluation: Evaluation, group: str | None) -> tuple[list[str], list[str], list[Any]]:
    """Joins, conditions and the parameters from $7 on that grouping and filters need."""
    joins: list[str] = []
    conditions: list[str] = []
    filters = evaluation.filters
    values: list[Any] = (
        [evaluation.journey.timezone] if group and group.startswith("bucket") else []
    )
    if filters.persona_id is not None or group == "persona":
        joins.append(CUSTOMER_JOIN)
    if filters.channel is not None or group == "channel":
        joins.append(TOUCHPOINT_JOIN)
    if filters.persona_id is not None:
        values.append(filters.persona_id)
        conditions.append(f"({PERSONA}) = ${6 + len(values)}")
    if filters.channel is not None:
        values.append(filters.channel.value)
        conditions.append(f"t.channel = ${6 + len(values)}")
    return joins, conditions, values


async def figures(
    connection: asyncpg.Connection, evaluation: Evaluation, *, group: str | None
) -> Grouped:
    """Entered, converted, dropped and the percentiles per group key (see GROUP_KEYS) and stage."""
    joins, conditions, values = _filters(evaluation, group)
    where = "".join(" AND " + condition for condition in conditions)
    sql = f"""
        WITH entry AS (
            SELECT p.stage_id, p.entered_at, p.converted_at, {GROUP_KEYS[group]} AS key
            FROM stage_progress p {" ".join(joins)}
            WHERE p.workspace_id = $1 AND p.journey_id = $2
              AND {entered_in("$3", "$4", "$5", "p")} {where}
        ), judged AS (
            SELECT *, {converted_by("$6", "$5")} IS TRUE AS converted,
                   {dropped_by("$6", "$5")} AS dropped, {duration_seconds()} AS seconds
            FROM entry
        )
        SELECT stage_id, key, count(*) AS entered,
               count(*) FILTER (WHERE converted) AS converted,
               count(*) FILTER (WHERE dropped) AS dropped,
               percentile_cont(ARRAY[{FRACTIONS}]) WITHIN GROUP (ORDER BY seconds)
                   FILTER (WHERE converted) AS percentiles
        FROM judged GROUP BY stage_id, key
    """
    journey = evaluation.journey
    rows = await connection.fetch(
        sql,
        journey.workspace_id,
        journey.id,
        evaluation.low,
        evaluation.high,
        evaluation.as_of,
        evaluation.window_seconds,
        *values,
    )
    grouped: Grouped = {}
    for row in rows:
        grouped.setdefault(row["key"], {})[row["stage_id"]] = row
    return grouped


async def reach(connection: asyncpg.Connection, evaluation: Evaluation) -> list[Reach]:
    """Touchpoint reach, filtered by persona as of T and by channel."""
    values: list[Any] = []
    persona = channel = ""
    filters = evaluation.filters
    if filters.persona_id is not None:
        values.append(filters.persona_id)
        persona = f"""AND EXISTS (SELECT 1 FROM customer c
            WHERE c.workspace_id = r.workspace_id AND c.id = r.customer_id
              AND ({PERSONA}) = ${5 + len(values)})"""
    if filters.channel is not None:
        values.append(filters.channel.value)
        channel = f"AND t.channel = ${5 + len(values)}"
    rows = await connection.fetch(
        f"""
        SELECT t.id, t.stage_id, (
            SELECT count(*) FROM touchpoint_reach r
            WHERE r.workspace_id = t.workspace_id AND r.touchpoint_id = t.id
              AND r.first_reached_at >= $3 AND r.first_reached_at < $4
              AND r.first_reached_at <= $5 {persona}) AS customers
        FROM touchpoint t
        WHERE t.workspace_id = $1 AND t.journey_id = $2 {channel}
        """,
        evaluation.journey.workspace_id,
        evaluation.journey.id,
        evaluation.low,
        evaluation.high,
        evaluation.as_of,
        *values,
    )
    return touchpoint_reach(
        evaluation.stages, [(row["id"], row["stage_id"], row["customers"]) for row in rows]
    )
