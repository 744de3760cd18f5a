import pytest

from domain.errors import Duplicate, ValidationError
from domain.persona import service as persona_service
from domain.team import service as team_service
from tests.support.factories import (
    make_journey,
    make_observation,
    make_persona,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)


async def test_a_team_takes_a_slack_channel_id(session):
    team = await make_team(session, await make_workspace(session), "Support", channel="c0123abcd")
    assert team.slack_channel_id == "C0123ABCD"


@pytest.mark.parametrize("channel", ["#support", "support", "U0123ABCD"])
async def test_a_channel_name_instead_of_an_id_is_explained(session, channel):
    with pytest.raises(ValidationError, match="not a Slack channel id") as caught:
        await make_team(session, await make_workspace(session), channel=channel)
    assert caught.value.field == "slackChannelId"


async def test_team_names_are_unique_ignoring_case(session):
    workspace = await make_workspace(session)
    await make_team(session, workspace, "Support")
    with pytest.raises(Duplicate):
        await make_team(session, workspace, "support")


async def test_deleting_a_team_keeps_what_it_owned_and_wrote(session):
    workspace = await make_workspace(session)
    team = await make_team(session, workspace)
    stage = (await stages_of(session, await make_journey(session, workspace, stages=("a",))))[0]
    touchpoint = await make_touchpoint(session, stage, owner=team)
    observation = await make_observation(session, touchpoint=touchpoint, team=team)
    await team_service.delete(session, workspace_id=workspace.id, team_id=team.id)
    await session.refresh(touchpoint)
    await session.refresh(observation)
    assert (touchpoint.owner_team_id, observation.author_team_id) == (None, None)


async def test_a_persona_keeps_goals_needs_and_attributes(session):
    workspace = await make_workspace(session)
    persona = await persona_service.create(
        session,
        workspace_id=workspace.id,
        name="Budget-conscious shopper",
        goals=["find the best deal", " "],
        needs=["clear prices"],
        attributes={"age": "25-40"},
    )
    assert (persona.goals, persona.needs, persona.attributes) == (
        ["find the best deal"],
        ["clear prices"],
        {"age": "25-40"},
    )
    await persona_service.update(
        session, workspace_id=workspace.id, persona_id=persona.id, needs=[]
    )
    assert (persona.goals, persona.needs) == (["find the best deal"], [])


async def test_deleting_a_persona_turns_its_journeys_to_all_customers(session):
    workspace = await make_workspace(session)
    persona = await make_persona(session, workspace)
    journey = await make_journey(session, workspace, persona_id=persona.id)
    await persona_service.delete(session, workspace_id=workspace.id, persona_id=persona.id)
    await session.refresh(journey)
    assert journey.persona_id is None
