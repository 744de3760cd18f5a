import pytest

from domain.errors import Conflict, ErrorCode, NotFound, ValidationError
from domain.stage import service as stage_service
from tests.support.factories import (
    make_journey,
    make_observation,
    make_touchpoint,
    make_workspace,
    stages_of,
)


async def names(session, journey):
    return [stage.name for stage in await stages_of(session, journey)]


async def test_a_stage_is_appended_or_inserted_at_a_position(session):
    journey = await make_journey(session, await make_workspace(session), stages=("a", "c"))
    await stage_service.add(
        session, workspace_id=journey.workspace_id, journey_id=journey.id, name="d"
    )
    await stage_service.add(
        session, workspace_id=journey.workspace_id, journey_id=journey.id, name="b", position=1
    )
    assert await names(session, journey) == ["a", "b", "c", "d"]
    positions = [s.position for s in await stages_of(session, journey)]
    assert positions == [0, 1, 2, 3]


async def test_a_position_past_the_end_is_refused(session):
    journey = await make_journey(session, await make_workspace(session), stages=("a",))
    with pytest.raises(ValidationError) as caught:
        await stage_service.add(
            session,
            workspace_id=journey.workspace_id,
            journey_id=journey.id,
            name="z",
            position=5,
        )
    assert caught.value.code == ErrorCode.OUT_OF_RANGE


async def test_reordering_puts_every_stage_where_it_is_listed(session, db):
    journey = await make_journey(session, await make_workspace(session), stages=("a", "b", "c"))
    a, b, c = await stages_of(session, journey)
    await stage_service.reorder(
        session,
        workspace_id=journey.workspace_id,
        journey_id=journey.id,
        stage_ids=[c.id, a.id, b.id],
    )
    await session.commit()  # the deferred uniqueness of positions is checked here
    assert await names(session, journey) == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("order", "code"),
    [("missing", ErrorCode.REQUIRED), ("twice", ErrorCode.INVALID), ("foreign", "NOT_FOUND")],
)
async def test_reordering_must_name_each_stage_of_the_journey_once(session, order, code):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("a", "b"))
    other = await make_journey(session, workspace, stages=("x",))
    a, b = await stages_of(session, journey)
    (x,) = await stages_of(session, other)
    stage_ids = {"missing": [a.id], "twice": [a.id, a.id, b.id], "foreign": [a.id, b.id, x.id]}
    with pytest.raises(ValidationError) as caught:
        await stage_service.reorder(
            session, workspace_id=workspace.id, journey_id=journey.id, stage_ids=stage_ids[order]
        )
    assert (caught.value.field, caught.value.code) == ("stageIds", code)


async def test_a_stage_holding_touchpoints_is_not_removed_without_a_destination(session):
    journey = await make_journey(session, await make_workspace(session), stages=("a", "b"))
    a, b = await stages_of(session, journey)
    touchpoint = await make_touchpoint(session, a)
    observation = await make_observation(session, touchpoint=touchpoint)
    with pytest.raises(Conflict, match="1 touchpoint"):
        await stage_service.remove(session, workspace_id=journey.workspace_id, stage_id=a.id)

    await stage_service.remove(
        session, workspace_id=journey.workspace_id, stage_id=a.id, move_to_stage_id=b.id
    )
    await session.refresh(touchpoint)
    await session.refresh(observation)
    assert (touchpoint.stage_id, observation.stage_id) == (b.id, b.id)
    remaining = await stages_of(session, journey)
    assert [(s.name, s.position) for s in remaining] == [("b", 0)]


async def test_an_empty_stage_is_removed_and_later_stages_close_the_gap(session):
    journey = await make_journey(session, await make_workspace(session), stages=("a", "b", "c"))
    _, b, _ = await stages_of(session, journey)
    await stage_service.remove(session, workspace_id=journey.workspace_id, stage_id=b.id)
    assert [(s.name, s.position) for s in await stages_of(session, journey)] == [
        ("a", 0),
        ("c", 1),
    ]


async def test_a_stage_of_another_workspace_cannot_be_touched(session):
    journey = await make_journey(session, await make_workspace(session))
    stage = (await stages_of(session, journey))[0]
    stranger = await make_workspace(session)
    with pytest.raises(NotFound):
        await stage_service.update(
            session, workspace_id=stranger.id, stage_id=stage.id, name="hijacked"
        )
