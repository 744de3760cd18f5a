"""The worker's jobs: what `journeyops worker` (and `journeyops demo`) run on a schedule."""

from datetime import timedelta

from domain.metrics.cohorts import daily_cohorts
from journeyops.alerting import evaluation_job
from journeyops.delivery import delivery_job
from journeyops.digests import digest_job
from journeyops.folding import fold_pending
from journeyops.worker import Job

JOBS: list[Job] = [
    delivery_job(),
    evaluation_job(cohorts=daily_cohorts),
    digest_job(),
    # A safety net: the web process folds what it ingests right away (journeyops.folding).
    Job("metrics-fold", timedelta(seconds=2), lambda runtime: fold_pending(runtime.db)),
]
