"""A race lost in Slack is answered, as in GraphQL: two requests pass a use case's uniqueness
check at the same moment, the database lets one win, and the other person is told so privately
(before, the unique-key violation escaped the listener and nobody was answered)."""

import asyncio

from sqlalchemy import text

from domain.member import service as member_service
from domain.member.models import Member
from domain.unit_of_work import RACE_LOST
from tests.support.slack_requests import USER, shown


async def a_statement_waits_for_a_lock(db, timeout: float = 5.0) -> None:
    """Return once a statement of this test's database waits on a lock held elsewhere."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with db() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        if loop.time() > deadline:
            raise AssertionError("no statement waited on the row held back")
        await asyncio.sleep(0.01)


async def test_joining_a_team_at_the_same_moment_as_another_request_answers_the_conflict(
    slack, fake_slack, db, acme
):
    await slack.settled(slack.command("help"))  # the Slack team is linked to Acme beforehand
    fake_slack.calls.clear()
    # Another request puts the same person on Marketing and has not committed yet: the
    # command's check sees no membership, and its insert waits on the same unique key.
    async with db() as other, other.begin():
        other.add(Member(workspace_id=acme.workspace.id, user_id=USER, team_id=acme.marketing.id))
        await other.flush()
        response = await slack.command("team support")
        assert response.status_code == 200
        await a_statement_waits_for_a_lock(db)
    [reply] = await fake_slack.wait_for("response_url")
    assert reply.params["response_type"] == "ephemeral"
    assert RACE_LOST in shown(reply.params["blocks"])
    async with db() as session:  # the winner's change stands
        team = await member_service.team_of(session, workspace_id=acme.workspace.id, user_id=USER)
    assert team is not None and team.id == acme.marketing.id
