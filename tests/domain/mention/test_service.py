import asyncio

import pytest

from domain.errors import Forbidden, NotFound, ValidationError
from domain.mention import service as mention_service
from domain.mention.service import Raised
from domain.observation.models import Observation
from domain.stage.models import Stage
from tests.support.factories import (
    make_journey,
    make_observation,
    make_team,
    make_workspace,
    stages_of,
)


@pytest.fixture
async def world(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("decision",))
    (decision,) = await stages_of(session, journey)
    support = await make_team(session, workspace, "support")
    observation = await make_observation(session, stage=decision, team=support, author_id="UDANA")
    return workspace, support, observation


async def _plus_one(session, observation, author_id="UFOX", team=None, **changes):
    return await mention_service.mention(
        session,
        workspace_id=changes.pop("workspace_id", observation.workspace_id),
        observation_id=changes.pop("observation_id", observation.id),
        author_id=author_id,
        author_name=changes.pop("author_name", "Fox Mulder"),
        author_team_id=changes.pop("author_team_id", team.id if team else None),
    )


async def _mentions(session, observation):
    grouped = await mention_service.of_observations(
        session, workspace_id=observation.workspace_id, observation_ids=[observation.id]
    )
    return grouped[observation.id]


async def _raised(session, observation) -> Raised:
    counts = await mention_service.raised(
        session, workspace_id=observation.workspace_id, observation_ids=[observation.id]
    )
    return counts[observation.id]


async def test_a_plus_one_records_its_author_and_team(session, world):
    workspace, _, observation = world
    sales = await make_team(session, workspace, "sales")
    await _plus_one(session, observation, "UFOX", sales)

    [mention] = await _mentions(session, observation)
    assert (mention.author_id, mention.author_name, mention.author_team_id) == (
        "UFOX",
        "Fox Mulder",
        sales.id,
    )
    assert await _raised(session, observation) == Raised(times=2, teams=2)
    assert str(await _raised(session, observation)) == "raised 2 times by 2 teams"


async def test_raised_counts_every_person_once_and_every_team_once(session, world):
    workspace, support, observation = world
    sales = await make_team(session, workspace, "sales")
    assert str(await _raised(session, observation)) == "raised 1 time by 1 team"
    for person, team in (("U1", sales), ("U2", sales), ("U3", support), ("U4", None)):
        await _plus_one(session, observation, person, team)

    assert await _raised(session, observation) == Raised(times=5, teams=2)


async def test_a_double_plus_one_counts_once(session, world):
    _, support, observation = world
    await _plus_one(session, observation, "UFOX", support)
    await _plus_one(session, observation, "UFOX", support)

    assert len(await _mentions(session, observation)) == 1
    assert (await _raised(session, observation)).times == 2


async def test_the_author_plus_one_on_their_own_observation_changes_nothing(session, world):
    _, support, observation = world
    await _plus_one(session, observation, "UDANA", support)

    assert await _mentions(session, observation) == []
    assert await _raised(session, observation) == Raised(times=1, teams=1)


async def test_someone_elses_workspace_ids_are_not_found(session, world):
    _, _, observation = world
    other = await make_workspace(session, "Globex")
    their_team = await make_team(session, other, "sales")
    with pytest.raises(NotFound) as caught:
        await _plus_one(session, observation, author_team_id=their_team.id)
    assert caught.value.field == "authorTeamId"
    with pytest.raises(NotFound) as caught:
        await _plus_one(session, observation, workspace_id=other.id)
    assert caught.value.field == "observationId"
    assert await _mentions(session, observation) == []


async def test_a_plus_one_needs_a_name(session, world):
    with pytest.raises(ValidationError) as caught:
        await _plus_one(session, world[2], author_name="  ")
    assert caught.value.field == "authorName"


async def _same_as(session, earlier, copy, author_id="UFOX"):
    return await mention_service.same_as(
        session,
        workspace_id=earlier.workspace_id,
        observation_id=earlier.id,
        copy_id=copy.id,
        author_id=author_id,
        author_name="Fox Mulder",
    )


async def test_a_copy_just_logged_becomes_a_plus_one_once(session, world):
    workspace, _, earlier = world
    sales = await make_team(session, workspace, "sales")
    stage_id = earlier.stage_id
    copy = await make_observation(
        session,
        stage=await session.get(Stage, (workspace.id, stage_id)),
        team=sales,
        author_id="UFOX",
        text="shipping costs shown too late at checkout",
    )
    await _same_as(session, earlier, copy)
    await _same_as(session, earlier, copy)  # a second click, a retry

    assert await session.get(Observation, (workspace.id, copy.id)) is None
    [mention] = await _mentions(session, earlier)
    assert (mention.author_id, mention.author_team_id) == ("UFOX", sales.id)
    assert await _raised(session, earlier) == Raised(times=2, teams=2)


async def test_only_its_author_counts_a_copy_as_a_plus_one(session, world):
    workspace, _, earlier = world
    copy = await make_observation(
        session, stage=await session.get(Stage, (workspace.id, earlier.stage_id)), author_id="UFOX"
    )
    with pytest.raises(Forbidden):
        await _same_as(session, earlier, copy, author_id="USKINNER")
    assert await session.get(Observation, (workspace.id, copy.id)) is not None
    assert await _mentions(session, earlier) == []


async def test_two_plus_ones_arriving_together_count_once(db, session, world):
    _, support, observation = world
    await session.commit()

    async def plus_one():
        async with db.begin() as own:
            await _plus_one(own, observation, "UFOX", support)

    await asyncio.gather(plus_one(), plus_one())

    assert len(await _mentions(session, observation)) == 1
