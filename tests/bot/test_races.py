"""A race lost in Slack is answered, as in GraphQL: two requests pass a use case's uniqueness
check at the same moment, the database lets one win, and the other person is told so privately
(before, the unique-key violation escaped the listener and nobody was answered)."""

from domain.member import service as member_service
from domain.member.models import Member
from domain.unit_of_work import RACE_LOST
from tests.support.slack_requests import USER, shown
from tests.support.waiting import a_statement_waits_for_a_lock


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
