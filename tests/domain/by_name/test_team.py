"""Joining a team by its name."""

from domain.by_name import team as team_by_name
from domain.member import service as member_service
from domain.team import service as team_service
from tests.support.factories import make_team, make_workspace


async def test_joining_again_moves_the_member(session):
    workspace = await make_workspace(session)
    sales = await make_team(session, workspace, "Sales")
    await make_team(session, workspace, "Support")
    await team_by_name.join(session, workspace_id=workspace.id, user_id="U1", team="sales")
    await team_by_name.join(session, workspace_id=workspace.id, user_id="U1", team="Support")
    team = await member_service.team_of(session, workspace_id=workspace.id, user_id="U1")
    assert team is not None and team.name == "Support"
    await team_service.delete(session, workspace_id=workspace.id, team_id=team.id)
    assert await member_service.team_of(session, workspace_id=workspace.id, user_id="U1") is None
    assert sales is not None
