import pytest

from domain.errors import DomainError, Duplicate, ErrorCode, NotFound
from domain.journey import service as journey_service
from domain.journey.service import StageSpec
from tests.support.factories import make_journey, make_persona, make_workspace, stages_of


async def test_creating_a_journey_with_inline_stages_keeps_their_order(session):
    workspace = await make_workspace(session)
    journey = await journey_service.create(
        session,
        workspace_id=workspace.id,
        name="  Online shopping  ",
        timezone="Europe/Paris",
        conversion_window_days=14,
        stages=[StageSpec("awareness", expected_emotion="curiosity"), StageSpec("decision")],
    )
    stages = await stages_of(session, journey)
    assert journey.name == "Online shopping"
    assert (journey.timezone, journey.conversion_window_days) == ("Europe/Paris", 14)
    assert [(s.position, s.name, s.expected_emotion) for s in stages] == [
        (0, "awareness", "curiosity"),
        (1, "decision", None),
    ]


@pytest.mark.parametrize(
    ("settings", "field", "code"),
    [
        ({"name": "  "}, "name", ErrorCode.REQUIRED),
        ({"name": "x" * 81}, "name", ErrorCode.TOO_LONG),
        ({"name": "ok", "timezone": "Mars/Olympus"}, "timezone", ErrorCode.INVALID),
        ({"name": "ok", "conversion_window_days": 0}, "conversionWindowDays", "OUT_OF_RANGE"),
        ({"name": "ok", "stages": [StageSpec("a"), StageSpec("A")]}, "stages.1.name", "DUPLICATE"),
        (
            {"name": "ok", "stages": [StageSpec("a", expected_emotion="joyish")]},
            "stages.0.expectedEmotion",
            "INVALID",
        ),
    ],
)
async def test_invalid_journeys_are_refused_with_the_field_named(session, settings, field, code):
    workspace = await make_workspace(session)
    with pytest.raises(DomainError) as caught:
        await journey_service.create(session, workspace_id=workspace.id, **settings)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert caught.value.message


async def test_journey_names_are_unique_in_a_workspace_ignoring_case(session):
    workspace = await make_workspace(session)
    await make_journey(session, workspace, name="Checkout")
    with pytest.raises(Duplicate, match="already exists"):
        await make_journey(session, workspace, name="checkout")
    other = await make_workspace(session)
    await make_journey(session, other, name="Checkout")  # another workspace may


async def test_renaming_and_settings_change_only_what_is_given(session):
    workspace = await make_workspace(session)
    persona = await make_persona(session, workspace)
    journey = await make_journey(session, workspace, name="Old", timezone="UTC")
    await journey_service.update(
        session,
        workspace_id=workspace.id,
        journey_id=journey.id,
        name="New",
        persona_id=persona.id,
    )
    assert (journey.name, journey.timezone, journey.persona_id) == ("New", "UTC", persona.id)
    await journey_service.update(
        session, workspace_id=workspace.id, journey_id=journey.id, persona_id=None
    )
    assert journey.persona_id is None


async def test_a_persona_from_another_workspace_is_not_found(session):
    mine, theirs = await make_workspace(session), await make_workspace(session)
    foreign_persona = await make_persona(session, theirs)
    with pytest.raises(NotFound) as caught:
        await make_journey(session, mine, persona_id=foreign_persona.id)
    assert caught.value.field == "personaId"


async def test_deleting_a_journey_removes_everything_in_it(session):
    from sqlalchemy import func, select

    from domain.observation.models import Observation
    from tests.support.factories import make_observation, make_touchpoint

    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace)
    stage = (await stages_of(session, journey))[0]
    await make_observation(session, touchpoint=await make_touchpoint(session, stage))
    await journey_service.delete(session, workspace_id=workspace.id, journey_id=journey.id)
    assert await session.scalar(select(func.count()).select_from(Observation)) == 0
    with pytest.raises(NotFound):
        await journey_service.get(session, workspace_id=workspace.id, journey_id=journey.id)
