"""The worker's jobs: what `journeyops worker` (and `journeyops demo`) run on a schedule."""

import logging
from datetime import timedelta

from bot.delivery import Report, deliver_due
from bot.installations import slack_connected
from domain.metrics.cohorts import daily_cohorts
from domain.notification import service as notification_service
from infrastructure.folding import fold_pending
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from journeyops.alerting import evaluation_job
from journeyops.digests import digest_job
from journeyops.outcomes import follow_up_job
from journeyops.worker import Job

log = logging.getLogger(__name__)


def scheduled_jobs(settings: Settings) -> list[Job]:
    """Every job, at the intervals the settings give (the end-to-end tests shorten them)."""
    return [
        delivery_job(),
        evaluation_job(
            cohorts=daily_cohorts, every=timedelta(seconds=settings.alert_evaluation_every)
        ),
        digest_job(every=timedelta(seconds=settings.digests_every)),
        # Outcomes of done actions and proofs of hand resolutions, as often as evaluations.
        follow_up_job(
            cohorts=daily_cohorts, every=timedelta(seconds=settings.alert_evaluation_every)
        ),
        # A safety net: the web process folds what it ingests right away (infrastructure.folding).
        Job("metrics-fold", timedelta(seconds=2), lambda runtime: fold_pending(runtime.db)),
    ]


def delivery_job(every: timedelta = timedelta(seconds=2)) -> Job:
    """Delivers due messages; while Slack is not connected at all, it leaves them queued and
    says so once (and again when their number changes), not once per message and retry."""
    told = -1

    async def run(runtime: Runtime) -> Report | None:
        nonlocal told
        if slack_connected(runtime.settings):
            told = -1
            return await deliver_due(runtime)
        async with runtime.transaction() as session:
            count, _ = await notification_service.waiting(session)
        if count and count != told:
            log.warning(
                "%d Slack message(s) wait for Slack to be connected: set SLACK_SIGNING_SECRET "
                "and SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                "(install through /slack/install), then restart; they are delivered then.",
                count,
            )
        told = count
        return None

    return Job("slack-delivery", every, run)
