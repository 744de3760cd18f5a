"""What operators watch, in Prometheus's text format (prometheus-client).

Two kinds of figures:
- counters of what a process did (events received, Slack deliveries, alert evaluations, job
  runs), kept by the process that did it. `journeyops serve --workers N` runs N processes on
  one port, so they share their counters through prometheus-client's multiprocess mode
  (`PROMETHEUS_MULTIPROC_DIR`, set up by the serve command) and any of them answers for all;
  the worker, which serves no HTTP, answers on its own port (`--metrics-port`).
- the state of the shared database (outbox depth, how overdue its oldest message is, the
  batches metrics have not taken in yet and their age), read when `/metrics` is scraped, so
  every web process tells the same story whichever one is asked.
"""

import collections
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from domain.event import service as event_service
from domain.event.service import IngestResult
from domain.notification import service as notification_service
from infrastructure.outage import database_unreachable

disable_created_metrics()  # a `_created` sample per series says nothing an operator needs

EVENTS = Counter(
    "journeyops_events",
    "Events received through /v1/* and GraphQL, by what became of each.",
    ["result"],  # accepted, duplicate, rejected, ignored
)
DELIVERIES = Counter(
    "journeyops_slack_deliveries",
    "Slack messages the outbox tried to deliver, by result.",
    ["result"],  # sent, retried, failed
)
ALERT_EVALUATIONS = Counter(
    "journeyops_alert_evaluations",
    "Stages judged by alert rules, by decision; `failed` counts rules that could not be judged.",
    ["outcome"],  # fire, resolve, hold, failed
)
JOB_RUNS = Counter(
    "journeyops_job_runs",
    "Runs of the worker's scheduled jobs, by job and result.",
    ["job", "result"],  # ok, failed, skipped (another worker held the job's lock)
)


def count_events(result: IngestResult) -> None:
    """Count a stored batch's events by what became of each, whichever door took them."""
    for status, count in collections.Counter(r.status for r in result.results).items():
        EVENTS.labels(status.value).inc(count)


class _Figures:
    """Figures read beforehand, handed to prometheus-client as a collector (plain metric
    families: no value storage, which multiprocess mode would put in its shared files)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.families


async def _database_state(db: async_sessionmaker[AsyncSession]) -> CollectorRegistry:
    async with db() as session:
        waiting, overdue = await notification_service.waiting(session)
        batches, waited = await event_service.fold_lag(session)
    figures = {
        "journeyops_outbox_messages": ("Slack messages waiting to be delivered.", waiting),
        "journeyops_outbox_oldest_due_seconds": (
            "How long the most overdue waiting Slack message has been due (0 when none).",
            overdue.total_seconds() if overdue else 0.0,
        ),
        "journeyops_fold_pending_batches": (
            "Stored event batches that stage metrics have not taken in yet.",
            batches,
        ),
        "journeyops_fold_oldest_pending_seconds": (
            "How long the oldest batch has waited to be taken into metrics (0 when none).",
            waited.total_seconds() if waited else 0.0,
        ),
    }
    registry = CollectorRegistry()
    registry.register(
        _Figures(
            [
                GaugeMetricFamily(name, description, value=value)
                for name, (description, value) in figures.items()
            ]
        )
    )
    return registry


def process_counters() -> CollectorRegistry:
    """This process's counters, or every server process's when they share a directory."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


async def metrics(request: Request) -> Response:
    """`GET /metrics`: the counters, then the database's state (503 while it is unreachable,
    so that a scrape failing is itself the signal)."""
    counters = generate_latest(process_counters())
    try:
        state = generate_latest(await _database_state(request.app.state.runtime.db))
    except Exception as error:
        if not database_unreachable(error):
            raise
        return Response(
            counters + b"# database unreachable\n", status_code=503, media_type=CONTENT_TYPE_LATEST
        )
    return Response(counters + state, media_type=CONTENT_TYPE_LATEST)
