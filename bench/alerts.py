"""Benchmark: one full evaluation of 100 alert rules on twenty 6-stage journeys over ~5M
events (what the worker's `alert-evaluation` job does every 15 minutes), its time and its SQL
statements, against baselines measured in the same run: the same steady evaluation with its
cohorts counted from the progress rows (`live_cohorts`, as evaluations read them before the
rollups), the same rules' cohorts read stage by stage from the progress rows with their persona
and channel split (one query per rule and stage, as evaluations read them before that), and
one plain 30-day `stageMetrics` read per journey. Both cohort baselines are checked to give the
very cohorts the evaluation reads.

Each journey has one rule for all its stages and one for each of its first four stages (the
defaults), so 9 (rule, stage) pairs share 5 stages; customers have personas. In four journeys
the decision stage falls from 27 % to 10 % twelve days before the evaluation, so their rules
fire and each fired alert computes its track record (a 90-day backtest of its rule and stage).

    uv run python -m bench.alerts                   # 5M events (~20 minutes to load)
    uv run python -m bench.alerts --events 200000   # a quick run
    uv run python -m bench.alerts --database URL    # reuse a database a previous run kept
"""

import argparse
import asyncio
import statistics
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text

from bench.setup import Clock
from domain.alert.models import Alert
from domain.alert.statistics import Days
from domain.alert.track_record import TrackRecord
from domain.alert_rule import service as rule_service
from domain.event import service as event_service
from domain.event import synthetic
from domain.event.message import BATCH_EVENTS_MAX
from domain.journey import service as journey_service
from domain.journey.models import Journey
from domain.journey.service import StageSpec
from domain.metrics.cohorts import daily_cohorts, live_cohorts
from domain.metrics.stage_metrics import stage_metrics
from domain.notification.models import Notification
from domain.persona import service as persona_service
from domain.stage import service as stage_service
from domain.touchpoint import service as touchpoint_service
from domain.workspace import service as workspace_service
from infrastructure.database import create_engine, create_sessionmaker
from infrastructure.folding import fold_pending
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops import migrations
from journeyops.alerting import evaluate_all
from tests.support.database import create_database, server_url
from tests.support.statements import counting_statements

END = datetime(2026, 11, 1, 4, tzinfo=UTC)  # the evaluation time
DAYS_OF_DATA = 90
JOURNEYS = 20
RULED_STAGES = 4  # besides the all-stages rule, a rule for each of the first four stages
EVENTS_PER_CUSTOMER = 6.25  # what the 6-stage synthetic funnel averages, identify included
FALLING_JOURNEYS = 4
DROP = (2, 12, 0.10)  # stage position, days before END, chance of moving on
PERSONAS = ("budget-conscious shopper", "busy professional", "tech-savvy early adopter")
STAGES = (
    ("awareness", ("Ad Clicked", "ad"), ("Search Landing", "search")),
    ("consideration", ("Product Viewed", "web"), ("Review Read", "review")),
    ("decision", ("Checkout Started", "web"), ("Support Chat", "chat")),
    ("purchase", ("Order Completed", "web"), ("Invoice Paid", "email")),
    ("retention", ("Newsletter Opened", "email"), ("Reorder", "web")),
    ("advocacy", ("Review Written", "review"), ("Referral Sent", "referral")),
)


async def setup(url: str) -> uuid.UUID:
    """The workspace with its journeys, touchpoints, personas and rules (once per database)."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            workspace, _ = await workspace_service.get_or_create(session, name="bench")
            if await session.scalar(select(Journey.id).limit(1)) is not None:
                return workspace.id
            for name in PERSONAS:
                await persona_service.create(session, workspace_id=workspace.id, name=name)
            for number in range(JOURNEYS):
                await _journey(session, workspace.id, number)
    finally:
        await engine.dispose()
    return workspace.id


async def _journey(session, workspace_id: uuid.UUID, number: int) -> None:
    journey = await journey_service.create(
        session,
        workspace_id=workspace_id,
        name=f"shop {number:02}",
        timezone="Europe/Paris",
        stages=[StageSpec(name) for name, *_ in STAGES],
    )
    stages = await stage_service.list_for_journey(
        session, workspace_id=workspace_id, journey_id=journey.id
    )
    for stage, (_name, *touchpoints) in zip(stages, STAGES, strict=True):
        for event_name, channel in touchpoints:
            await touchpoint_service.add(
                session,
                workspace_id=workspace_id,
                stage_id=stage.id,
                name=event_name,
                channel=channel,
                event_names=[f"{event_name} {number:02}"],
            )
    await rule_service.create(session, workspace_id=workspace_id, journey_id=journey.id)
    for stage in stages[:RULED_STAGES]:
        await rule_service.create(
            session, workspace_id=workspace_id, journey_id=journey.id, stage_id=stage.id
        )


async def load(url: str, workspace_id: uuid.UUID, events: int) -> None:
    """Each journey's share of `events`, sent through ingestion and folded into progress."""
    engine = create_engine(url)
    db = create_sessionmaker(engine)
    async with engine.connect() as connection:
        if await connection.scalar(text("SELECT count(*) FROM event")):
            print("database already holds events; not loading")
            await engine.dispose()
            return
    clock, sent, folded = Clock(), 0, 0
    for number in range(JOURNEYS):
        position, days_before, move_on = DROP
        plan = synthetic.Plan(
            [[f"{name} {number:02}" for name, _ in touchpoints] for _, *touchpoints in STAGES],
            customers=int(events / JOURNEYS / EVENTS_PER_CUSTOMER),
            start=END - timedelta(days=DAYS_OF_DATA),
            days=DAYS_OF_DATA,
            seed=number,
            personas=PERSONAS,
            drop=synthetic.Drop(position, END - timedelta(days=days_before), move_on)
            if number < FALLING_JOURNEYS
            else None,
        )
        batch: list[dict] = []
        for item in synthetic.events(plan):
            if datetime.fromisoformat(item["timestamp"]) <= END:
                batch.append(item)
            if len(batch) == BATCH_EVENTS_MAX:
                sent += await _send(db, workspace_id, batch)
                batch = []
                if sent - folded >= 100_000:  # as the web process would, in the background
                    await fold_pending(db)
                    if sent // 500_000 > folded // 500_000:
                        print(f"  loaded {sent:,} events ({sent / clock.seconds:,.0f}/s)")
                    folded = sent
        sent += await _send(db, workspace_id, batch)
    await fold_pending(db)
    print(f"loaded and folded {sent:,} events in {clock.seconds:,.0f} s")
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


async def _send(db, workspace_id: uuid.UUID, batch: list[dict]) -> int:
    if batch:
        async with db.begin() as session:
            await event_service.ingest(
                session, workspace_id=workspace_id, events=batch, received_at=END
            )
    return len(batch)


async def measure(url: str, workspace_id: uuid.UUID, runs: int) -> None:
    runtime = Runtime.create(Settings(database_url=url), url)
    engines = (runtime.engine, runtime.readers)
    try:
        async with runtime.transaction() as session:
            rules = await rule_service.list_all(session, workspace_id=workspace_id)
            journeys = list(await session.scalars(select(Journey).order_by(Journey.name)))
            stages = {
                j.id: await stage_service.list_for_journey(
                    session, workspace_id=workspace_id, journey_id=j.id
                )
                for j in journeys
            }
        pairs = sum(
            len(rule_service.watched(stages[r.journey_id], stage_id=r.stage_id)) for r in rules
        )
        print(
            f"\n{len(rules)} rules on {len(journeys)} journeys of {len(STAGES)} stages "
            f"({pairs} rule-stage pairs), evaluated as of {END:%Y-%m-%d %H:%M} UTC"
        )
        firing, firing_counts, firing_fired = [], [], 0
        holding, holding_counts = [], []
        from_progress, from_progress_count, same_decisions = [], 0, True
        firing_from_progress = []
        for _ in range(runs):
            await _forget_alerts(runtime)
            took, count, evaluation = await _timed_count(
                engines, lambda: evaluate_all(runtime, cohorts=daily_cohorts, at=END)
            )
            firing.append(took)
            firing_counts.append(count)
            firing_fired = sum(o.alert is not None for o in evaluation.outcomes)
            assert not evaluation.failed_rules
            took, count, steady = await _timed_count(  # the same again: the alerts are open
                engines, lambda: evaluate_all(runtime, cohorts=daily_cohorts, at=END)
            )
            holding.append(took)
            holding_counts.append(count)
            took, count, live = await _timed_count(
                engines, lambda: evaluate_all(runtime, cohorts=live_cohorts, at=END)
            )
            from_progress.append(took)
            from_progress_count = count
            same_decisions = same_decisions and _decisions(live) == _decisions(steady)
            await _forget_alerts(runtime)
            took, count, live = await _timed_count(
                engines, lambda: evaluate_all(runtime, cohorts=live_cohorts, at=END)
            )
            firing_from_progress.append(took)
            same_decisions = same_decisions and _decisions(live) == _decisions(evaluation)
        per_stage, per_stage_count, same = await _per_stage_baseline(
            runtime, engines, rules, stages
        )
        metrics, metrics_count, _ = await _timed_count(
            engines, lambda: _stage_metrics_per_journey(runtime, workspace_id, journeys)
        )
    finally:
        await runtime.close()
    fired = await _alerts_with_track_record(url)
    print(
        f"\nevaluation, alerts firing : p50 {statistics.median(firing) * 1000:8.1f} ms  "
        f"max {max(firing) * 1000:8.1f} ms  {firing_counts[-1]:5} statements  "
        f"({firing_fired} alerts fired, each with its 90-day track record)"
    )
    print(
        f"evaluation, steady       : p50 {statistics.median(holding) * 1000:8.1f} ms  "
        f"max {max(holding) * 1000:8.1f} ms  {holding_counts[-1]:5} statements  "
        "(every rule holds; what the worker does every 15 minutes)"
    )
    print(
        f"baseline, progress rows  : p50 {statistics.median(from_progress) * 1000:8.1f} ms  "
        f"max {max(from_progress) * 1000:8.1f} ms  {from_progress_count:5} statements  "
        f"(steady, cohorts counted from progress rows; same decisions: "
        f"{'yes' if same_decisions else 'NO'})"
    )
    print(
        f"baseline, firing, rows   : p50 {statistics.median(firing_from_progress) * 1000:8.1f} ms  "
        f"max {max(firing_from_progress) * 1000:8.1f} ms  (alerts firing, cohorts counted from "
        "progress rows)"
    )
    print(
        f"baseline, per rule+stage : {per_stage * 1000:8.1f} ms reading cohorts only, "
        f"{per_stage_count:5} statements  ({pairs} reads of one stage each; same cohorts: "
        f"{'yes' if same else 'NO'})"
    )
    print(
        f"baseline, stageMetrics   : {metrics * 1000:8.1f} ms, {metrics_count:5} statements "
        f"(one plain 30-day read per journey)"
    )
    print(f"alerts stored with a track record: {fired}")
    print(f"goal: one full evaluation of {len(rules)} rules under 2 s")


async def _timed_count(engines, run: Callable[[], Awaitable]) -> tuple[float, int, object]:
    with counting_statements(*engines) as statements:
        clock = Clock()
        result = await run()
        took = clock.seconds
    return took, len(statements), result


def _decisions(evaluation) -> list:
    return sorted(
        (str(o.rule_id), str(o.stage_id), o.decision.step.name, o.decision.reason)
        for o in evaluation.outcomes
    )


async def _forget_alerts(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        await session.execute(delete(Notification))
        await session.execute(delete(Alert))


async def _per_stage_baseline(runtime: Runtime, engines, rules, stages) -> tuple[float, int, bool]:
    """Each rule's cohorts counted from the progress rows one stage at a time and split by
    persona and channel, as evaluations read them before; and whether their totals are the
    very cohorts one read of all a journey's stages from the rollups gives."""

    async def read_each() -> dict:
        read = {}
        async with runtime.transaction() as session:
            for rule in rules:
                journey = await journey_service.get(
                    session, workspace_id=rule.workspace_id, journey_id=rule.journey_id
                )
                policy = rule_service.policy(rule, journey)
                windows = policy.windows(END)
                for stage in rule_service.watched(stages[rule.journey_id], stage_id=rule.stage_id):
                    one = await live_cohorts(
                        session,
                        workspace_id=rule.workspace_id,
                        journey_id=rule.journey_id,
                        stage_ids=[stage.id],
                        days=Days(windows.baseline.first, windows.recent.last),
                        alert_window=policy.alert_window,
                        as_of=END,
                        segments=True,
                    )
                    read[stage.id] = (rule, windows, policy.alert_window, one[stage.id])
        return read

    took, count, read = await _timed_count(engines, read_each)
    same = True
    async with runtime.transaction() as session:
        for journey_id, journey_stages in stages.items():
            ids = [s.id for s in journey_stages if s.id in read]
            rule, windows, window, _ = read[ids[0]]
            together = await daily_cohorts(
                session,
                workspace_id=rule.workspace_id,
                journey_id=journey_id,
                stage_ids=ids,
                days=Days(windows.baseline.first, windows.recent.last),
                alert_window=window,
                as_of=END,
            )
            same = same and all(
                [(c.day, c.entered, c.converted) for c in together[i]]
                == [(c.day, c.entered, c.converted) for c in read[i][3]]
                for i in ids
            )
    return took, count, same


async def _stage_metrics_per_journey(runtime: Runtime, workspace_id: uuid.UUID, journeys) -> None:
    async with runtime.transaction() as session:
        for journey in journeys:
            await stage_metrics(
                session,
                workspace_id=workspace_id,
                journey_id=journey.id,
                start=(END - timedelta(days=30)).date(),
                end=END.date(),
                as_of=END,
            )


async def _alerts_with_track_record(url: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(Alert.track_record).where(Alert.track_record.is_not(None))
                )
            ).scalars()
            records = [TrackRecord.from_json(row) for row in rows]
    finally:
        await engine.dispose()
    fired = sorted(record.fired for record in records)
    return f"{len(records)} (backtest fired {fired} times over 90 days)"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", help="reuse this database (asyncpg URL) instead of a new one")
    args = parser.parse_args()
    url = args.database or await create_database(server_url(), prefix="journeyops_bench_")
    await asyncio.to_thread(migrations.upgrade, url)  # a kept database may predate a migration
    print(f"database: {url}")
    workspace_id = await setup(url)
    await load(url, workspace_id, args.events)
    await measure(url, workspace_id, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
