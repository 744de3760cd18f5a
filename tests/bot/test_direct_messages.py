"""Direct messages through the outbox: posted in the person's conversation with the app
(`conversations.open`), looked for there before a retry, so a lost answer repeats nothing."""

import pytest

from bot.local_slack import LocalSlack
from domain.notification import service as notification_service
from domain.notification.models import NotificationStatus
from infrastructure.runtime import Runtime
from infrastructure.settings import Settings
from tests.support.delivery import delivered_ids, dispatcher, notifications
from tests.support.factories import install_slack_app, make_workspace
from tests.support.waiting import eventually


@pytest.fixture
async def slack():
    async with LocalSlack() as server:
        yield server


@pytest.fixture
async def runtime(db, database_url, slack):
    settings = Settings(slack_api_url=slack.api_url, slack_bot_token="xoxb-test")
    runtime = Runtime.create(settings, database_url)
    yield runtime
    await runtime.close()


async def all_sent(runtime: Runtime) -> bool:
    await dispatcher(runtime).run()
    return all(n.status is NotificationStatus.SENT for n in await notifications(runtime))


async def test_a_direct_message_whose_answer_was_lost_arrives_once(runtime, slack):
    async with runtime.db.begin() as session:
        workspace = await make_workspace(session)
        await notification_service.direct(
            session, workspace_id=workspace.id, user_id="U0001", text="Your observation &lt;"
        )
    slack.lose_response("chat.postMessage")

    await eventually(
        lambda: all_sent(runtime),
        within=20,
        what="direct message delivered",
        seen=lambda: slack.calls,
    )

    [row] = await notifications(runtime)
    assert [m["text"] for m in slack.direct_messages("U0001")] == ["Your observation &lt;"]
    assert delivered_ids(slack) == {str(row.id): 1}
    assert [c["users"] for c in slack.calls_to("conversations.open")] == ["U0001", "U0001"]
    [looked] = slack.calls_to("conversations.history")
    assert looked["channel"] == "DU0001"


async def test_a_direct_message_to_someone_slack_does_not_know_fails_for_good(runtime, slack):
    async with runtime.db.begin() as session:
        workspace = await make_workspace(session)
        await notification_service.direct(
            session, workspace_id=workspace.id, user_id="U0GONE", text="hello"
        )
    slack.fail("conversations.open", error="user_not_found")
    report = await dispatcher(runtime).run()
    [row] = await notifications(runtime)
    assert (report.failed, row.status, row.last_error) == (
        1,
        NotificationStatus.FAILED,
        "user_not_found",
    )


async def test_with_oauth_installs_a_direct_message_goes_out_with_its_workspaces_token(
    db, database_url, slack
):
    settings = Settings(
        slack_api_url=slack.api_url, slack_client_id="111.222", slack_client_secret="secret"
    )
    runtime = Runtime.create(settings, database_url)
    try:
        async with runtime.db.begin() as session:
            for team, user in (("T0ACME", "U0ACME"), ("T0GLOBEX", "U0GLOBEX")):
                workspace = await make_workspace(session)
                workspace.slack_team_id = team
                await notification_service.direct(
                    session, workspace_id=workspace.id, user_id=user, text=f"hello {user}"
                )
        for team, token in (("T0ACME", "xoxb-acme"), ("T0GLOBEX", "xoxb-globex")):
            await install_slack_app(
                runtime.engine, client_id="111.222", team_id=team, bot_token=token
            )

        report = await dispatcher(runtime).run()

        assert report.sent == 2
        posted = {call["channel"]: call.token for call in slack.calls_to("chat.postMessage")}
        assert posted == {"DU0ACME": "xoxb-acme", "DU0GLOBEX": "xoxb-globex"}
        assert [m["text"] for m in slack.direct_messages("U0GLOBEX")] == ["hello U0GLOBEX"]
    finally:
        await runtime.close()
