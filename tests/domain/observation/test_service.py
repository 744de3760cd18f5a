import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from domain.errors import ErrorCode, NotFound, ValidationError
from domain.live import Topic
from domain.observation import service as observation_service
from domain.observation.service import ObservationFilter
from domain.persona import service as persona_service
from tests.support.factories import (
    make_journey,
    make_observation,
    make_persona,
    make_team,
    make_touchpoint,
    make_workspace,
    stages_of,
)


@pytest.fixture
async def map_(session):
    workspace = await make_workspace(session)
    journey = await make_journey(session, workspace, stages=("consideration", "decision"))
    consideration, decision = await stages_of(session, journey)
    checkout = await make_touchpoint(session, decision, name="Checkout")
    return workspace, journey, consideration, decision, checkout


async def test_an_observation_at_a_touchpoint_belongs_to_its_stage_and_journey(session, map_):
    workspace, journey, _, decision, checkout = map_
    team = await make_team(session, workspace, "support")
    observation = await make_observation(
        session,
        touchpoint=checkout,
        team=team,
        emotion="Frustration",
        sentiment=-2,
        text="  shipping costs appear too late  ",
        permalink="https://acme.slack.com/archives/C1/p1",
    )
    assert (observation.journey_id, observation.stage_id) == (journey.id, decision.id)
    assert (observation.emotion, observation.sentiment) == ("frustration", -2)
    assert observation.text == "shipping costs appear too late"
    assert observation.author_team_id == team.id


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"text": "   "}, "text", ErrorCode.REQUIRED),
        ({"text": "x" * 3001}, "text", ErrorCode.TOO_LONG),
        ({"kind": "rant"}, "kind", ErrorCode.INVALID),
        ({"emotion": "hangry"}, "emotion", ErrorCode.INVALID),
        ({"sentiment": 3}, "sentiment", ErrorCode.OUT_OF_RANGE),
        ({"permalink": "javascript:alert(1)"}, "permalink", ErrorCode.INVALID),
        ({"logged_at": datetime.now(UTC) + timedelta(hours=1)}, "loggedAt", ErrorCode.OUT_OF_RANGE),
        ({"logged_at": datetime(1850, 1, 1, tzinfo=UTC)}, "loggedAt", ErrorCode.OUT_OF_RANGE),
    ],
)
async def test_bad_observations_are_refused_naming_the_field(session, map_, changes, field, code):
    with pytest.raises(ValidationError) as caught:
        await make_observation(session, touchpoint=map_[4], **changes)
    assert (caught.value.field, caught.value.code) == (field, code)


async def test_an_observation_may_be_about_a_persona_of_its_own_workspace(session, map_):
    workspace, *_, checkout = map_
    persona = await make_persona(session, workspace, name="Busy professional")
    about = await make_observation(session, touchpoint=checkout, persona_id=persona.id)
    assert about.persona_id == persona.id
    foreign = await make_persona(session, await make_workspace(session), name="Busy professional")
    with pytest.raises(NotFound) as caught:
        await make_observation(session, touchpoint=checkout, persona_id=foreign.id)
    assert caught.value.field == "personaId"
    await persona_service.delete(session, workspace_id=workspace.id, persona_id=persona.id)
    await session.refresh(about)
    assert about.persona_id is None  # about all customers now


async def test_an_import_keeps_when_an_observation_was_logged(session, map_):
    three_weeks_ago = datetime.now(UTC) - timedelta(days=21)
    observation = await make_observation(session, touchpoint=map_[4], logged_at=three_weeks_ago)
    assert observation.created_at == three_weeks_ago


async def test_an_observation_needs_a_place(session, map_):
    with pytest.raises(ValidationError) as caught:
        await observation_service.log(
            session,
            workspace_id=map_[0].id,
            text="hm",
            kind="insight",
            author_id="U1",
            author_name="A",
            source="slack",
        )
    assert (caught.value.field, caught.value.code) == ("touchpointId", ErrorCode.REQUIRED)


async def test_a_touchpoint_and_a_stage_that_do_not_match_are_refused(session, map_):
    _, _, consideration, _, checkout = map_
    with pytest.raises(ValidationError, match="not in that stage"):
        await make_observation(session, touchpoint=checkout, stage=consideration)


async def test_a_foreign_touchpoint_is_not_found(session, map_):
    stranger = await make_workspace(session)
    with pytest.raises(NotFound):
        await observation_service.log(
            session,
            workspace_id=stranger.id,
            touchpoint_id=map_[4].id,
            text="x",
            kind="insight",
            author_id="U1",
            author_name="A",
            source="slack",
        )


async def test_the_same_idempotency_key_logs_once(session, map_):
    first = await make_observation(session, touchpoint=map_[4], idempotency_key="slack:C1:1.2")
    again = await make_observation(session, touchpoint=map_[4], idempotency_key="slack:C1:1.2")
    assert again.id == first.id
    page = await observation_service.search(session, workspace_id=map_[0].id)
    assert len(page.observations) == 1


async def test_search_filters_and_pages_newest_first(session, map_):
    workspace, journey, consideration, decision, checkout = map_
    support = await make_team(session, workspace, "support")
    for i in range(7):
        await make_observation(
            session,
            touchpoint=checkout if i % 2 else None,
            stage=None if i % 2 else consideration,
            text=f"note {i}",
            kind="insight" if i < 5 else "praise",
            team=support if i % 3 == 0 else None,
        )
        await session.commit()  # one transaction each, as when staff log them

    seen, cursor = [], None
    while True:
        page = await observation_service.search(
            session,
            workspace_id=workspace.id,
            first=3,
            after=cursor,
            where=ObservationFilter(journey_id=journey.id),
        )
        seen += [o.text for o in page.observations]
        if not page.has_next_page:
            break
        cursor = page.end_cursor
    assert seen == [f"note {i}" for i in reversed(range(7))]

    async def texts(**criteria):
        page = await observation_service.search(
            session, workspace_id=workspace.id, where=ObservationFilter(**criteria)
        )
        return sorted(o.text for o in page.observations)

    assert await texts(stage_id=decision.id) == ["note 1", "note 3", "note 5"]
    assert await texts(touchpoint_id=checkout.id, kind="praise") == ["note 5"]
    assert await texts(team_id=support.id) == ["note 0", "note 3", "note 6"]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert await texts(since=future) == []
    assert len(await texts(until=future)) == 7


@pytest.mark.parametrize(("first", "after"), [(0, None), (101, None), (10, "not-a-cursor")])
async def test_bad_page_requests_are_refused(session, map_, first, after):
    with pytest.raises(ValidationError):
        await observation_service.search(session, workspace_id=map_[0].id, first=first, after=after)


async def test_logging_notifies_listeners_only_once_committed(db, database_url):
    url = make_url(database_url).set(drivername="postgresql")
    listener = await asyncpg.connect(url.render_as_string(hide_password=False))
    received: asyncio.Queue = asyncio.Queue()
    await listener.add_listener(
        Topic.OBSERVATION_LOGGED.value, lambda *args: received.put_nowait(args[-1])
    )
    try:
        async with db() as session:
            workspace = await make_workspace(session)
            journey = await make_journey(session, workspace, stages=("a",))
            stage = (await stages_of(session, journey))[0]
            observation = await make_observation(session, stage=stage)
            await asyncio.sleep(0.1)
            assert received.empty()  # not yet committed
            await session.commit()
        payload = json.loads(await asyncio.wait_for(received.get(), timeout=5))
        assert payload == {
            "workspace_id": str(workspace.id),
            "journey_id": str(journey.id),
            "observation_id": str(observation.id),
        }
    finally:
        await listener.close()
