import pytest

from bot.local_slack import LocalSlack
from tests.support.database import create_database, drop_database, server_url
from tests.support.deployment import OAUTH, SINGLE_WORKSPACE, Deployment


@pytest.fixture(scope="module", params=[SINGLE_WORKSPACE, OAUTH])
async def deployment(request, tmp_path_factory):
    """The product deployed in one Slack mode, shared by the tests of a module."""
    async with LocalSlack() as slack:
        url = await create_database(server_url(), prefix="journeyops_e2e_")
        deployment = Deployment(request.param, url, slack, tmp_path_factory.mktemp(request.param))
        try:
            try:
                await deployment.start()
            except BaseException:
                print(log_report(deployment))  # shown with the setup error
                raise
            yield deployment
        finally:
            await deployment.stop()
            await drop_database(url)


def log_report(deployment: Deployment) -> str:
    return "\n".join(f"===== {name} =====\n{log}" for name, log in deployment.logs())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing end-to-end test shows the end of every process's log."""
    outcome = yield
    report = outcome.get_result()
    deployment = getattr(item, "funcargs", {}).get("deployment")
    if report.failed and isinstance(deployment, Deployment):
        for name, log in deployment.logs():
            report.sections.append((f"log of {name} ({deployment.mode})", log))
