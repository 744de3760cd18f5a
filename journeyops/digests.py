"""The worker's weekly digests: each team with a Slack channel hears once about each week.

A team's digest is claimed, gathered and written to the outbox in one transaction of its own,
so a crash leaves nothing half-done and the next run retries it; the claim's unique row makes
a second worker (or a restart) skip a week already written. The job is in `journeyops.jobs`
(every `JOURNEYOPS_DIGESTS_EVERY`).
"""

import logging
from datetime import UTC, datetime, timedelta

from bot import digest_message
from domain.digest import service as digest_service
from domain.notification import service as notification_service
from infrastructure.runtime import Runtime
from journeyops.worker import Job

log = logging.getLogger(__name__)


async def send_weekly_digests(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Queue last week's digest for every team with a channel that has not had it; how many."""
    now = now or datetime.now(UTC)
    week_start = digest_service.week_reported(now)
    async with runtime.transaction() as session:
        teams = await digest_service.teams_due(session, week_start=week_start)
    queued = 0
    for team in teams:
        try:
            async with runtime.transaction() as session:
                digest = await digest_service.claim(session, team=team, week_start=week_start)
                if digest is None:  # another worker wrote it meanwhile
                    continue
                content = await digest_service.gather(
                    session, team=team, week_start=week_start, now=now
                )
                if content.is_empty:  # a team that owns nothing is not told so every week
                    continue
                text, blocks = digest_message.render(content)
                notification = await notification_service.post_digest(
                    session,
                    workspace_id=team.workspace_id,
                    channel_id=team.slack_channel_id or "",
                    text=text,
                )
                await digest_service.record(
                    session, digest=digest, notification_id=notification.id, blocks=blocks
                )
                queued += 1
        except Exception:
            log.exception("weekly digest of team %s failed; it is retried next run", team.id)
    return queued


def digest_job(*, every: timedelta) -> Job:
    """Running often costs a query when all is sent, and sends a week soon after it ends."""

    async def run(runtime: Runtime) -> int:
        return await send_weekly_digests(runtime)

    return Job("team-digests", every, run)
