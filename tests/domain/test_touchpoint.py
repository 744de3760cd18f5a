import asyncio

import pytest

from domain.errors import Duplicate, ErrorCode, NotFound, ValidationError
from domain.touchpoint import service as touchpoint_service
from domain.workspace.models import Workspace
from tests.support.factories import (
    make_journey,
    make_observation,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)
from tests.support.waiting import a_statement_waits_for_a_lock


@pytest.fixture
async def stages(session):
    journey = await make_journey(session, await make_workspace(session), stages=("a", "b"))
    return await stages_of(session, journey)


async def test_a_touchpoint_key_defaults_to_a_free_slug_of_its_name(session, stages):
    first = await make_touchpoint(session, stages[0], name="Product page")
    second = await make_touchpoint(session, stages[1], name="Product  Page!")
    assert (first.key, second.key) == ("product-page", "product-page-2")


async def test_event_names_are_trimmed_and_deduplicated(session, stages):
    touchpoint = await make_touchpoint(
        session, stages[0], event_names=(" Product Viewed ", "Product Viewed", "", "Cart Viewed")
    )
    assert touchpoint.event_names == ["Product Viewed", "Cart Viewed"]


async def test_a_duplicate_key_in_the_journey_is_refused(session, stages):
    await make_touchpoint(session, stages[0], key="checkout")
    with pytest.raises(Duplicate) as caught:
        await make_touchpoint(session, stages[1], key="Checkout")
    assert caught.value.field == "key"


@pytest.mark.parametrize("key", ["has space", "-leading", "x" * 65, "ünïcode"])
async def test_malformed_keys_are_refused(session, stages, key):
    with pytest.raises(ValidationError) as caught:
        await make_touchpoint(session, stages[0], key=key)
    assert caught.value.field == "key"


async def test_an_event_name_marks_one_touchpoint_per_journey(session, stages):
    await make_touchpoint(session, stages[0], name="Checkout", event_names=("Order Completed",))
    with pytest.raises(Duplicate, match="already means touchpoint “Checkout”"):
        await make_touchpoint(session, stages[1], event_names=("Order Completed",))


async def test_an_unknown_channel_lists_the_channels(session, stages):
    with pytest.raises(ValidationError, match="is not one of: ad, search") as caught:
        await make_touchpoint(session, stages[0], channel="fax")
    assert caught.value.field == "channel"


async def test_a_team_from_another_workspace_cannot_own_a_touchpoint(session, stages):
    foreign_team = await make_team(session, await make_workspace(session))
    with pytest.raises(NotFound) as caught:
        await make_touchpoint(session, stages[0], owner=foreign_team)
    assert caught.value.field == "ownerTeamId"


async def test_moving_a_touchpoint_moves_its_observations(session, stages):
    touchpoint = await make_touchpoint(session, stages[0])
    observation = await make_observation(session, touchpoint=touchpoint)
    await touchpoint_service.update(
        session,
        workspace_id=touchpoint.workspace_id,
        touchpoint_id=touchpoint.id,
        stage_id=stages[1].id,
        name="Renamed",
        event_names=["Renamed Event"],
    )
    await session.refresh(observation)
    assert (touchpoint.stage_id, observation.stage_id) == (stages[1].id, stages[1].id)
    assert (touchpoint.name, touchpoint.event_names) == ("Renamed", ["Renamed Event"])


async def test_a_touchpoint_cannot_move_to_another_journey(session, stages):
    touchpoint = await make_touchpoint(session, stages[0])
    workspace = await session.get_one(Workspace, touchpoint.workspace_id)
    other_stage = (await stages_of(session, await make_journey(session, workspace)))[0]
    with pytest.raises(ValidationError, match="its own journey"):
        await touchpoint_service.update(
            session,
            workspace_id=workspace.id,
            touchpoint_id=touchpoint.id,
            stage_id=other_stage.id,
        )


async def test_deleting_a_touchpoint_keeps_its_observations_on_the_stage(session, stages):
    touchpoint = await make_touchpoint(session, stages[0])
    observation = await make_observation(session, touchpoint=touchpoint)
    await touchpoint_service.delete(
        session, workspace_id=touchpoint.workspace_id, touchpoint_id=touchpoint.id
    )
    await session.refresh(observation)
    assert (observation.touchpoint_id, observation.stage_id) == (None, stages[0].id)


async def test_too_many_event_names_are_refused(session, stages):
    with pytest.raises(ValidationError) as caught:
        await make_touchpoint(session, stages[0], event_names=tuple(f"e{i}" for i in range(51)))
    assert caught.value.code == ErrorCode.OUT_OF_RANGE


async def test_two_touchpoints_mapping_the_same_event_at_once_cannot_both_commit(db):
    """Each would see the name free; mapping events in a journey takes turns instead, so the
    second sees the first's touchpoint once it has committed."""
    async with db.begin() as session:
        journey = await make_journey(session, await make_workspace(session), stages=("a", "b"))
        first_stage, second_stage = await stages_of(session, journey)

    async def add(stage, name):
        async with db.begin() as session:
            return await make_touchpoint(session, stage, name=name, event_names=("Cart Viewed",))

    async with db() as holding, holding.begin():
        await make_touchpoint(holding, first_stage, name="Cart", event_names=("Cart Viewed",))
        second = asyncio.create_task(add(second_stage, "Basket"))
        await a_statement_waits_for_a_lock(db)
    with pytest.raises(Duplicate) as caught:
        await second
    assert caught.value.field == "eventNames"
