"""Channel subscriptions to a journey or stage named in people's words."""

import pytest

from domain.by_name import subscription as subscription_by_name
from domain.by_name.matching import Ambiguous
from domain.errors import ValidationError
from domain.subscription import service as subscription_service
from tests.support.factories import make_journey, make_workspace, stages_of


async def test_subscribing_twice_keeps_one_subscription(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, "Online purchase")
    first, covers = await subscription_by_name.subscribe(
        session, workspace_id=workspace.id, channel_id="C0ALERTS1", journey="online purchase"
    )
    again, _ = await subscription_by_name.subscribe(
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
    await subscription_by_name.subscribe(
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
        await subscription_by_name.subscribe(
            session, workspace_id=workspace.id, channel_id="D0DM00001", journey="Online purchase"
        )
    with pytest.raises(Exception, match="No stage is called “payment”"):
        await subscription_by_name.subscribe(
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
        await subscription_by_name.subscribe(
            session, workspace_id=workspace.id, channel_id="C0ALERTS1", journey="online"
        )
