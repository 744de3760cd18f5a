"""Benchmark: `stageMetrics` for 30 days through GraphQL (the app in-process, over an ASGI
client), plain against one persona and against the breakdown by persona, over ~1M customers /
~5M events where every customer has a persona and a third of them change it later on. The plain
read in the same run is the baseline (target: persona reads p50 <= 50 ms and within 2x of it);
each persona figure is checked against a live count from the progress rows (the persona as of
T for every customer), which is also timed. Each read's statements are counted (token and
transactions included) in one more run, not timed. The map is also timed as a live
workspace reads it, with and without a persona: its use case as of the end of the data
(`journeyMap` over GraphQL is read as of the wall clock, long after these events, when its
period before has nothing to take back and nobody's persona changed since).

    uv run python -m bench.personas                  # 5M events (~15 minutes to load)
    uv run python -m bench.personas --events 300000  # a quick run
    uv run python -m bench.personas --database URL   # reuse a database a previous run kept
"""

import argparse
import asyncio
import math
import random
import statistics
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from bench.metrics import BATCH, DAYS_OF_DATA, END, EVENTS_PER_CUSTOMER, percentile
from bench.setup import Clock, Shop, fresh_shop
from domain.auth import service as auth_service
from domain.event import service as event_service
from domain.event import synthetic
from domain.journey_map.service import journey_map
from domain.metrics.definitions import (
    PERCENTILES,
    converted_by,
    dropped_by,
    duration_seconds,
    entered_in,
    persona_as_of,
)
from domain.metrics.periods import period
from domain.persona import service as persona_service
from domain.pg import connection_of
from graphql_api import ids
from infrastructure.database import create_engine, create_sessionmaker
from infrastructure.folding import fold_pending
from infrastructure.settings import Settings
from journeyops.web import create_app
from tests.support.statements import counting_statements

PERSONAS = ("Budget shopper", "Busy professional", "Early adopter")
CHANGING = 3  # every third customer identifies as another persona later
TIMEZONE = "Europe/Paris"  # the shop journey's (bench.setup)

FIGURES = "entered converted dropped pending medianTimeToConvert p90TimeToConvert"
QUERY = f"""
query($id: ID!, $from: Date!, $to: Date!, $asOf: DateTime, $persona: ID) {{
  journey(id: $id) {{
    stageMetrics(from: $from, to: $to, asOf: $asOf, personaId: $persona) {{
      stages {{ {FIGURES} }}
      reach {{ touchpointId customers }}
    }}
  }}
}}
"""
BREAKDOWN = f"""
query($id: ID!, $from: Date!, $to: Date!, $asOf: DateTime) {{
  journey(id: $id) {{
    stageBreakdown(from: $from, to: $to, asOf: $asOf, by: PERSONA) {{
      persona {{ id }}
      stages {{ {FIGURES} }}
    }}
  }}
}}
"""

MAP = """
query($journeyId: ID!, $from: Date, $to: Date, $personaId: ID) {
  journeyMap(journeyId: $journeyId, from: $from, to: $to, personaId: $personaId) {
    map {
      from to previousFrom previousTo asOf
      stages {
        stage { id name }
        figures { entered converted dropped pending conversionRate dropOffRate
                  medianTimeToConvert p90TimeToConvert }
        previous { entered conversionRate }
        change { entered conversionRate }
        touchpoints { reach touchpoint { name channel } }
        emotions { counts { emotion observations } recorded sentiment }
        observations { kind total }
        alerts { status pValue }
        actions { observationCount action { title status } }
      }
      journeyActions { action { title } }
    }
    errors { field message code }
  }
}
"""

# The live count (what persona reads did before the persona rollups): every progress row of
# the period with its customer's persona as of T. $1 workspace, $2 journey, $3 low, $4 high,
# $5 T, $6 W in seconds.
LIVE = f"""
WITH entry AS (
    SELECT p.stage_id, p.entered_at, p.converted_at, ({persona_as_of("$5")}) AS persona
    FROM stage_progress p
    JOIN customer c ON c.workspace_id = p.workspace_id AND c.id = p.customer_id
    WHERE p.workspace_id = $1 AND p.journey_id = $2 AND {entered_in("$3", "$4", "$5", "p")}
), judged AS (
    SELECT *, {converted_by("$6", "$5")} IS TRUE AS converted, {dropped_by("$6", "$5")} AS dropped,
           {duration_seconds()} AS seconds
    FROM entry
)
SELECT stage_id, persona, count(*) AS entered, count(*) FILTER (WHERE converted) AS converted,
       count(*) FILTER (WHERE dropped) AS dropped,
       percentile_cont(ARRAY[{", ".join(map(str, PERCENTILES))}]) WITHIN GROUP (ORDER BY seconds)
           FILTER (WHERE converted) AS percentiles
FROM judged GROUP BY stage_id, persona
"""


def with_persona_changes(events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The synthetic events, and for every third customer a later identify naming another
    persona (some weeks after their first, never after the end of the data)."""
    rng = random.Random(11)
    for event in events:
        yield event
        if event["type"] != "identify" or int(event["userId"].rsplit("-", 1)[1]) % CHANGING:
            continue
        first = datetime.fromisoformat(event["timestamp"])
        later = min(first + timedelta(days=rng.uniform(1, 60)), END - timedelta(minutes=1))
        persona = event["traits"]["persona"]
        yield {
            **event,
            "messageId": f"{event['messageId']}-again",
            "timestamp": later.isoformat(),
            "traits": {"persona": rng.choice([p for p in PERSONAS if p != persona])},
        }


async def load(shop: Shop, events: int) -> None:
    engine = create_engine(shop.url)
    db = create_sessionmaker(engine)
    async with engine.connect() as connection:
        if await connection.scalar(text("SELECT count(*) FROM event")):
            print("database already holds events; not loading")
            await engine.dispose()
            return
    async with db.begin() as session:
        for name in PERSONAS:
            await persona_service.create(session, workspace_id=shop.workspace_id, name=name)
    plan = synthetic.Plan(
        shop.stage_events,
        customers=int(events / (EVENTS_PER_CUSTOMER + 1 + 1 / CHANGING)),
        start=END - timedelta(days=DAYS_OF_DATA),
        days=DAYS_OF_DATA,
        personas=PERSONAS,
    )
    clock, sent, batch = Clock(), 0, []

    async def ingest(batch: list) -> None:
        async with db.begin() as session:
            await event_service.ingest(
                session, workspace_id=shop.workspace_id, events=batch, received_at=END
            )

    for event in with_persona_changes(synthetic.events(plan)):
        batch.append(event)
        if len(batch) == BATCH:
            await ingest(batch)
            sent += len(batch)
            batch = []
            if sent % 100_000 == 0:  # as the web process would, in the background
                await fold_pending(db)
            if sent % 500_000 == 0:
                print(f"  loaded {sent:,} events ({sent / clock.seconds:,.0f}/s)", flush=True)
    if batch:
        await ingest(batch)
        sent += len(batch)
    await fold_pending(db)
    print(
        f"loaded and folded {sent:,} events for {plan.customers:,} customers "
        f"in {clock.seconds:,.0f} s"
    )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


async def live_count(db, shop: Shop, start, end, as_of: datetime) -> tuple[dict, float]:
    """Figures per (persona id or None, stage id) counted live, and how long that took."""
    low, high = period(start, end, TIMEZONE)
    async with db() as session:
        connection = await connection_of(session)
        clock = Clock()
        rows = await connection.fetch(
            LIVE, shop.workspace_id, shop.journey_id, low, high, as_of, 30 * 86400.0
        )
        seconds = clock.seconds
    return {(row["persona"], row["stage_id"]): row for row in rows}, seconds


def same(stages: list[dict], live: dict, persona: str | None, stage_ids: list[str]) -> bool:
    """Whether the GraphQL figures of a persona equal the live count's."""
    for figures, stage_id in zip(stages, stage_ids, strict=True):
        row = live.get((persona, stage_id))
        last = figures is stages[-1]
        entered = row["entered"] if row else 0
        if figures["entered"] != entered:
            return False
        if last or not row:
            continue
        if (figures["converted"], figures["dropped"]) != (row["converted"], row["dropped"]):
            return False
        wanted = row["percentiles"] or [None, None]
        got = [figures["medianTimeToConvert"], figures["p90TimeToConvert"]]
        for a, b in zip(got, wanted, strict=True):
            if (a is None) != (b is None) or (a is not None and not math.isclose(a, b)):
                return False
    return True


async def live_map(
    runtime, shop: Shop, runs: int, as_of: datetime, persona: uuid.UUID | None = None
) -> list[float]:
    """The map's use case as of T, as a live workspace's map is read when T is now: the period
    before is judged as of a period earlier, and its entries converted since must be taken
    back; for a persona, the customers whose persona changed since are moved back too.
    (`journeyMap` over GraphQL is always as of the wall clock, a month after these events,
    when nothing converted since.) The first run warms up and is not counted."""
    start, end = (as_of - timedelta(days=30)).date(), as_of.date()
    seconds = []
    for run in range(runs + 1):
        clock = Clock()
        async with runtime.transaction() as session:
            await journey_map(
                session,
                workspace_id=shop.workspace_id,
                journey_id=shop.journey_id,
                start=start,
                end=end,
                persona_id=persona,
                now=as_of,
            )
        if run:
            seconds.append(clock.seconds)
    return seconds


async def measure(
    shop: Shop, runs: int, as_of: datetime, label: str, *, with_map: bool = False
) -> None:
    engine = create_engine(shop.url)
    db = create_sessionmaker(engine)
    async with db.begin() as session:
        _, token = await auth_service.create(
            session, workspace_name="bench", scope="read", name=f"bench {uuid.uuid4()}"
        )
        persona = next(
            p.id
            for p in await persona_service.list_all(session, workspace_id=shop.workspace_id)
            if p.name == PERSONAS[0]
        )
        moved = await session.scalar(
            text("SELECT count(*) FROM customer WHERE workspace_id = :w AND persona_set_at > :t"),
            {"w": shop.workspace_id, "t": as_of},
        )
        stage_ids = list(
            await session.scalars(
                text("SELECT id FROM stage WHERE journey_id = :j ORDER BY position"),
                {"j": shop.journey_id},
            )
        )
    start, end = (as_of - timedelta(days=30)).date(), as_of.date()
    variables = {
        "id": ids.encode("Journey", shop.journey_id),
        "from": str(start),
        "to": str(end),
        "asOf": as_of.isoformat(),
    }
    reads: tuple[tuple[str, str, dict], ...] = (
        ("plain", QUERY, {}),
        ("persona", QUERY, {"persona": ids.encode("Persona", persona)}),
        ("breakdown", BREAKDOWN, {}),
    )
    if with_map:  # the map of the same period as of now, against the 30 days before
        map_variables = {"journeyId": variables["id"], "from": str(start), "to": str(end)}
        reads += (
            ("journeyMap", MAP, map_variables),
            ("map+persona", MAP, {**map_variables, "personaId": ids.encode("Persona", persona)}),
        )
    times: dict[str, list[float]] = {name: [] for name, _, _ in reads}
    answers: dict[str, dict] = {}
    statements: dict[str, int] = {}
    app = create_app(Settings(), database_url=shop.url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for run in range(runs + 1):  # the first round warms up and is not counted
                for name, query, extra in reads:
                    clock = Clock()
                    response = await http.post(
                        "/graphql",
                        json={"query": query, "variables": {**variables, **extra}},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    if run:
                        times[name].append(clock.seconds)
                    body = response.json()
                    assert "errors" not in body, body
                    answers[name] = body["data"].get("journey")
            if with_map:
                runtime = app.state.runtime
                times["map, live"] = await live_map(runtime, shop, runs, as_of)
                times["map+persona, live"] = await live_map(runtime, shop, runs, as_of, persona)
            for name, query, extra in reads:  # once more, counting what each read sends
                runtime = app.state.runtime
                with counting_statements(runtime.engine, runtime.readers) as sent:
                    await http.post(
                        "/graphql",
                        json={"query": query, "variables": {**variables, **extra}},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                statements[name] = len(sent)
    live, live_seconds = await live_count(db, shop, start, end, as_of)
    await engine.dispose()

    persona_same = same(answers["persona"]["stageMetrics"]["stages"], live, persona, stage_ids)
    segments = answers["breakdown"]["stageBreakdown"]
    breakdown_same = len(segments) == len({p for p, _ in live}) and all(
        same(
            segment["stages"],
            live,
            ids.decode(segment["persona"]["id"], "Persona", field="id")
            if segment["persona"]
            else None,
            stage_ids,
        )
        for segment in segments
    )
    entered = sum(row["entered"] for row in live.values())
    print(
        f"\n{label}: 30 days {start} – {end} ({TIMEZONE}) as of {as_of:%Y-%m-%d %H:%M}; "
        f"{entered:,} entries in the period; {moved:,} customers whose persona was set after T"
    )
    p50 = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        how = (
            f"{runs} runs through GraphQL; {statements[name]} statements"
            if name in statements
            else f"{runs} runs of the use case as of T, as if T were now"
        )
        print(
            f"  {name:<17} p50 {p50[name] * 1000:7.1f} ms  "
            f"p95 {percentile(values, 0.95) * 1000:7.1f} ms  "
            f"({p50[name] / p50['plain']:.2f}x plain; {how})"
        )
    print(f"  live count of every persona from progress rows: {live_seconds * 1000:,.0f} ms")
    print(
        f"  same numbers as the live count: persona {'yes' if persona_same else 'NO'}, "
        f"breakdown {'yes' if breakdown_same else 'NO'}"
    )
    for name in ("persona", "breakdown"):
        met = p50[name] <= 0.050 and p50[name] <= 2 * p50["plain"]
        print(f"  target {name}: p50 <= 50 ms and <= 2x plain: {'met' if met else 'MISSED'}")
    if with_map:
        for name in ("journeyMap", "map, live", "map+persona, live"):
            met = p50[name] <= 0.100
            print(f"  target {name}: p50 <= 100 ms: {'met' if met else 'MISSED'}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database", help="reuse this database (asyncpg URL) instead of a new one")
    args = parser.parse_args()
    shop = await fresh_shop(args.database)
    print(f"database: {shop.url}")
    await load(shop, args.events)
    await measure(shop, args.runs, END, "now (T = the end of the data)", with_map=True)
    await measure(
        shop, args.runs, END - timedelta(days=30), "the 30 days before, as of 30 days earlier"
    )


if __name__ == "__main__":
    asyncio.run(main())
