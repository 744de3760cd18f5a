"""The map's data: the same figures as the stage metrics, against the period before judged a
period earlier, and everything else on the map grouped by stage."""

from datetime import date, timedelta

import pytest

from domain.action import lifecycle
from domain.action import service as action_service
from domain.errors import ErrorCode, ValidationError
from domain.journey_map import emotions
from domain.journey_map import service as map_service
from domain.metrics.stage_metrics import stage_metrics
from domain.observation import service as observation_service
from domain.vocabulary import ActionStatus, Emotion, ObservationKind
from tests.support import factories
from tests.support.journey_map_world import build_map_world


@pytest.fixture
async def world(session):
    built = await build_map_world(session)
    await session.commit()
    return built


async def _map(session, world, **options):
    return await map_service.journey_map(
        session,
        workspace_id=world.workspace.id,
        journey_id=world.journey.id,
        now=world.now,
        **options,
    )


async def _metrics(session, world, period, as_of, **options):
    found = await stage_metrics(
        session,
        workspace_id=world.workspace.id,
        journey_id=world.journey.id,
        start=period.start,
        end=period.end,
        as_of=as_of,
        **options,
    )
    return found.stages


@pytest.mark.parametrize("days", [7, 30])
async def test_each_stage_has_the_stage_metrics_of_the_period_and_of_the_one_before(
    session, world, days
):
    journey_map = await _map(session, world, days=days)

    assert journey_map.period.days == days
    assert journey_map.previous.end == journey_map.period.start
    assert [s.figures for s in journey_map.stages] == await _metrics(
        session, world, journey_map.period, world.now
    )
    assert [s.trend.previous for s in journey_map.stages] == await _metrics(
        session, world, journey_map.previous, world.now - timedelta(days=days)
    )
    assert [s.stage.name for s in journey_map.stages] == ["Look", "Cart", "Buy"]
    assert journey_map.stages[0].figures.entered > 0


async def test_a_week_compares_with_the_week_before_that_had_customers_too(session, world):
    look = (await _map(session, world, days=7)).stages[0].trend
    assert look.current.entered > 0 and look.previous.entered > 0


async def test_a_persona_shows_that_personas_figures(session, world):
    everyone = await _map(session, world, days=30)
    bargains = await _map(session, world, days=30, persona_id=world.persona.id)

    assert bargains.persona.name == "Bargain hunters"
    assert [s.figures for s in bargains.stages] == await _metrics(
        session, world, bargains.period, world.now, persona_id=world.persona.id
    )
    assert bargains.stages[0].figures.entered < everyone.stages[0].figures.entered
    assert bargains.stages[0].figures.conversion_rate < everyone.stages[0].figures.conversion_rate


async def test_an_entry_channel_counts_only_its_touchpoints_reach(session, world):
    journey_map = await _map(session, world, days=30, channel="ad")
    look = journey_map.stages[0]
    reach = {t.touchpoint.name: t.reach for t in look.touchpoints}
    assert reach["Summer ad"] == 20
    assert reach["Home page"] is None
    assert look.figures.entered == 20


async def test_touchpoints_carry_their_reach_in_the_period(session, world):
    journey_map = await _map(session, world, days=30)
    reach = {t.touchpoint.name: t.reach for s in journey_map.stages for t in s.touchpoints}
    assert reach["Summer ad"] + reach["Home page"] == 40
    assert reach["Basket"] == journey_map.stages[1].figures.entered


async def test_emotions_are_counted_per_stage_with_a_sentiment_from_the_documented_scores(
    session, world
):
    cart = (await _map(session, world)).stages[1]
    # the most recorded first, then by name
    assert list(cart.emotions.counts.items()) == [
        (Emotion.FRUSTRATION, 2),
        (Emotion.ANXIETY, 1),
        (Emotion.CONFUSION, 1),
        (Emotion.DELIGHT, 1),
        (Emotion.HOPE, 1),
    ]
    assert cart.emotions.sentiment == pytest.approx((-2 * 2 - 1.5 - 1 + 2 + 1) / 6)
    assert (await _map(session, world)).stages[2].emotions.sentiment is None


async def test_with_a_persona_the_emotions_are_those_recorded_about_it(session, world):
    cart = world.stages[1]
    for emotion in ("anxiety", "anxiety", "hope"):
        await factories.make_observation(
            session, stage=cart, emotion=emotion, persona_id=world.persona.id
        )
    await session.commit()
    shown = (await _map(session, world, persona_id=world.persona.id)).stages[1].emotions
    assert list(shown.counts.items()) == [(Emotion.ANXIETY, 2), (Emotion.HOPE, 1)]
    assert shown.sentiment == pytest.approx((-1.5 * 2 + 1) / 3)
    everyone = (await _map(session, world)).stages[1].emotions
    assert everyone.counts[Emotion.ANXIETY] == 3  # the one about everyone, and these two


@pytest.mark.pure
def test_the_emotion_scores_run_from_frustration_to_delight():
    assert set(emotions.SCORES) == set(Emotion)
    assert min(emotions.SCORES.values()) == emotions.SCORES[Emotion.FRUSTRATION] == -2
    assert max(emotions.SCORES.values()) == emotions.SCORES[Emotion.DELIGHT] == 2
    assert emotions.sentiment({}) is None
    assert emotions.sentiment({Emotion.HOPE: 3, Emotion.ANXIETY: 1}) == (3 - 1.5) / 4


async def test_observations_are_grouped_by_kind_newest_first_with_a_cursor_for_more(session, world):
    cart = (await _map(session, world, observations_per_kind=3)).stages[1]
    groups = {g.kind: g for g in cart.observations}
    assert list(groups) == [
        ObservationKind.PAIN_POINT,
        ObservationKind.OPPORTUNITY,
        ObservationKind.PRAISE,
    ]
    pains = groups[ObservationKind.PAIN_POINT]
    assert [o.text for o in pains.page.observations] == [
        "Basket is slow on phones",
        "The basket forgets items",
        "Coupon field confuses people",
    ]
    assert (pains.total, pains.page.has_next_page) == (4, True)
    rest = await observation_service.search(
        session,
        workspace_id=world.workspace.id,
        where=observation_service.ObservationFilter(
            stage_id=cart.stage.id, kind=ObservationKind.PAIN_POINT
        ),
        after=pains.page.end_cursor,
    )
    assert [o.text for o in rest.observations] == ["Shipping costs appear late"]
    assert groups[ObservationKind.PRAISE].page.has_next_page is False


async def test_open_alerts_and_actions_sit_on_their_stage(session, world):
    journey_map = await _map(session, world)
    look, cart, buy = journey_map.stages
    assert [len(s.alerts) for s in (look, cart, buy)] == [0, 1, 0]
    assert cart.alerts[0].recent_rate < cart.alerts[0].baseline_rate
    assert [(a.action.title, a.observations) for a in cart.actions] == [("Show shipping early", 1)]
    assert [a.action.title for a in journey_map.journey_actions] == ["Map the whole journey"]


async def test_a_stages_actions_go_by_status_then_soonest_due(session, world):
    cart = world.stages[1]
    for title, due, status in (
        ("Done already", None, ActionStatus.DONE),
        ("Due later", date(2099, 3, 1), None),
        ("Due sooner", date(2099, 1, 1), None),
        ("Under way", None, ActionStatus.IN_PROGRESS),
    ):
        action = await action_service.create(
            session,
            workspace_id=world.workspace.id,
            journey_id=world.journey.id,
            stage_id=cart.id,
            title=title,
            due_on=due,
        )
        if status:
            await lifecycle.move(
                session,
                workspace_id=world.workspace.id,
                action_id=action.id,
                to=status,
                actor_id="U1",
                actor_name="Dana",
            )
    journey_map = await _map(session, world)
    assert [a.action.title for a in journey_map.stages[1].actions] == [
        "Under way",
        "Due sooner",
        "Due later",
        "Show shipping early",
        "Done already",
    ]


@pytest.mark.parametrize(
    ("options", "field", "code"),
    [
        ({"days": 0}, "days", ErrorCode.OUT_OF_RANGE),
        ({"days": 400}, "days", ErrorCode.OUT_OF_RANGE),
        ({"start": "x"}, "to", ErrorCode.REQUIRED),
        ({"observations_per_kind": 21}, "observationsPerKind", ErrorCode.OUT_OF_RANGE),
        ({"channel": "pigeon"}, "channel", ErrorCode.INVALID),
    ],
)
async def test_bad_choices_are_refused_naming_the_field(session, world, options, field, code):
    if options.get("start") == "x":
        options = {"start": world.now.date()}
    with pytest.raises(ValidationError) as refused:
        await _map(session, world, **options)
    assert (refused.value.field, refused.value.code) == (field, code)


async def test_a_from_to_period_is_used_as_given(session, world):
    start = (world.now - timedelta(days=10)).date()
    journey_map = await _map(session, world, start=start, end=start + timedelta(days=4))
    assert (journey_map.period.start, journey_map.period.days) == (start, 4)
    assert journey_map.previous.start == start - timedelta(days=4)
