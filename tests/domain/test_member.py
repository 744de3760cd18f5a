"""Team membership (joining by a team's name: tests/domain/by_name/test_team.py)."""

from domain.member import service as member_service
from tests.support.factories import make_team, make_workspace


async def test_membership_is_per_workspace(session):
    acme, globex = await make_workspace(session), await make_workspace(session)
    team = await make_team(session, acme, "Sales")
    await member_service.join(session, workspace_id=acme.id, user_id="U1", team_id=team.id)
    assert await member_service.team_of(session, workspace_id=globex.id, user_id="U1") is None
