"""Team membership and channel subscriptions."""

import pytest

from domain.errors import ValidationError
from domain.matching import Ambiguous
from domain.member import service as member_service
from domain.subscription import service as subscription_service
from domain.team import service as team_service
from tests.support.factories import make_journey, make_team, make_workspace, stages_of


async def test_joining_again_moves_the_member(session):
    workspace = await make_workspace(session)
    sales = await make_team(session, workspace, "Sales")
    await make_team(session, workspace, "Support")
    await member_service.join(session, workspace_id=workspace.id, user_id="U1", team="sales")
    await member_service.join(session, workspace_id=workspace.id, user_id="U1", team="Support")
    team = await member_service.team_of(session, workspace_id=workspace.id, user_id="U1")
    assert team is not None and team.name == "Support"
    await team_service.delete(session, workspace_id=workspace.id, team_id=team.id)
    assert await member_service.team_of(session, workspace_id=workspace.id, user_id="U1") is None
    assert sales is not None


async def test_membership_is_per_workspace(session):
    acme, globex = await make_workspace(session), await make_workspace(session)
    team = await make_team(session, acme, "Sales")
    await member_service.join(session, workspace_id=acme.id, user_id="U1", team=team.id)
    assert await member_service.team_of(session, workspace_id=globex.id, user_id="U1") is None


async def test_subscribing_twice_keeps_one_subscription(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, "Online purchase")
    first, covers = await subscription_service.subscribe(
        session, workspace_id=workspace.id, channel_id="C0ALERTS1", journey="online purchase"
    )
    again, _ = await subscription_service.subscribe(
        session, workspace_id=workspace.id, channel_id="C0ALERTS1", journey="Online Purchase"
    )
    assert first.id == again.id and covers == "Online purchase"
    stages = await stages_of(session, journey)
    assert await subscription_service.channels_for(
        session, workspace_id=workspace.id, journey_id=journey.id, stage_id=stages[3].id
    ) == ["C0ALERTS1"]


async def test_a_stage_subscription_routes_only_that_stage(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, "Online purchase")
    stages = await stages_of(session, journey)
    await subscription_service.subscribe(
        session,
        workspace_id=workspace.id,
        channel_id="C0ALERTS1",
        journey="Online purchase",
        stage="decisoin",
    )
    channels = [
        await subscription_service.channels_for(
            session, workspace_id=workspace.id, journey_id=journey.id, stage_id=stage.id
        )
        for stage in stages
    ]
    assert channels == [[], [], ["C0ALERTS1"], [], []]


async def test_unknown_stage_or_direct_message_is_refused(session):
    workspace = await make_workspace(session)
    await make_journey(session, workspace, "Online purchase")
    with pytest.raises(ValidationError, match="direct message"):
        await subscription_service.subscribe(
            session, workspace_id=workspace.id, channel_id="D0DM00001", journey="Online purchase"
        )
    with pytest.raises(Exception, match="No stage is called “payment”"):
        await subscription_service.subscribe(
            session,
            workspace_id=workspace.id,
            channel_id="C0ALERTS1",
            journey="Online purchase",
            stage="payment",
        )


async def test_same_named_journeys_prefixes_are_ambiguous(session):
    workspace = await make_workspace(session)
    await make_journey(session, workspace, "Online purchase")
    await make_journey(session, workspace, "Online returns")
    with pytest.raises(Ambiguous):
        await subscription_service.subscribe(
            session, workspace_id=workspace.id, channel_id="C0ALERTS1", journey="online"
        )
