"""The worker's jobs: what `journeyops worker` (and `journeyops demo`) run on a schedule."""

from datetime import timedelta

from domain.metrics.cohorts import daily_cohorts
from journeyops.alerting import evaluation_job
from journeyops.delivery import delivery_job
from journeyops.digests import digest_job
from journeyops.folding import fold_pending
from journeyops.settings import Settings
from journeyops.worker import Job


def scheduled_jobs(settings: Settings) -> list[Job]:
    """Every job, at the intervals the settings give (the end-to-end tests shorten them)."""
    return [
        delivery_job(),
        evaluation_job(
            cohorts=daily_cohorts, every=timedelta(seconds=settings.alert_evaluation_every)
        ),
        digest_job(every=timedelta(seconds=settings.digests_every)),
        # A safety net: the web process folds what it ingests right away (journeyops.folding).
        Job("metrics-fold", timedelta(seconds=2), lambda runtime: fold_pending(runtime.db)),
    ]
