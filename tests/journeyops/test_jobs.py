from datetime import timedelta

from infrastructure.settings import Settings
from journeyops.jobs import scheduled_jobs


def intervals(settings: Settings) -> dict[str, timedelta]:
    return {job.name: job.every for job in scheduled_jobs(settings)}


def test_the_worker_evaluates_alerts_and_looks_for_digests_as_often_as_configured():
    assert intervals(Settings(_env_file=None)) == {
        "slack-delivery": timedelta(seconds=2),
        "alert-evaluation": timedelta(minutes=15),
        "team-digests": timedelta(minutes=30),
        "follow-ups": timedelta(minutes=15),
        "metrics-fold": timedelta(seconds=2),
    }
    shortened = Settings(
        _env_file=None, JOURNEYOPS_ALERT_EVALUATION_EVERY=1, JOURNEYOPS_DIGESTS_EVERY=0.5
    )
    assert intervals(shortened)["alert-evaluation"] == timedelta(seconds=1)
    assert intervals(shortened)["team-digests"] == timedelta(milliseconds=500)
