"""The real path (ingestion use case → stored progress and daily rollups → stage metrics)
against the brute-force reference, on random event sets: duplicates, late and out-of-order
arrivals, skipped and revisited stages, events mapped only later, touchpoints moved or deleted
after the events, time zones and windows changed midway (a rollup rebuild), evaluation times
before, inside and long after the events (rollup days read as they are, corrected, or counted
live), personas set and changed before and after the evaluation time (the persona rollups and
their corrections), and a persona deleted afterwards."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.journey import service as journey_service
from domain.metrics import fold
from domain.metrics.breakdown import stage_breakdown
from domain.metrics.stage_metrics import stage_metrics
from domain.metrics.unmapped_events import unmapped_events
from domain.persona import service as persona_service
from domain.touchpoint import service as touchpoint_service
from tests.support import metrics_reference as reference
from tests.support.factories import (
    make_journey,
    make_persona,
    make_touchpoint,
    make_workspace,
    send,
)
from tests.support.rollups import assert_rollups_fresh

TIMEZONES = ("UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/Paris")
BASE = datetime(2026, 3, 5, tzinfo=UTC)  # around the 2026 clock changes in NY, Paris, Lord Howe
RECEIVED = datetime(2026, 4, 1, tzinfo=UTC)
NAMES = ("ad_click", "visit", "view", "cart", "buy", "review")
UNMAPPED = "noise"
CHANNELS = ("web", "email", "ad")
MISSING = object()


@dataclass
class Scenario:
    stages: int
    timezone: str
    window_days: int
    mapping: dict[str, tuple[int, str]]  # event name → (stage position, channel)
    late_name: str | None  # mapped only after half the batches arrived
    retuned_from: tuple[str, int] | None  # time zone and window until half the batches arrived
    edit: tuple[str, str, int] | None  # after all batches: ("move", name, position) / ("delete", …)
    arrivals: list[list[tuple[dict, reference.RawEvent | None]]]
    as_of: datetime | None
    start: date
    end: date
    granularity: str | None
    persona_filter: str | None
    channel_filter: str | None
    persona_deleted: bool  # p1, after all batches: its customers have none


SLOT = timedelta(hours=3)  # coarse, so that ties between events happen


def _track(message_id, customer, name, at, anonymous):
    who = {"anonymousId": customer} if anonymous else {"userId": customer}
    raw = {
        "type": "track",
        "messageId": message_id,
        "event": name,
        "timestamp": at.isoformat(),
        "properties": {},
        **who,
    }
    return raw, reference.RawEvent(message_id, customer, "track", name, at)


def _identify(message_id, customer, persona, at):
    traits = {} if persona is MISSING else {"persona": persona}
    raw = {
        "type": "identify",
        "messageId": message_id,
        "userId": customer,
        "timestamp": at.isoformat(),
        "traits": traits,
    }
    event = reference.RawEvent(
        message_id, customer, "identify", None, at, persona, persona is not MISSING
    )
    return raw, event


@st.composite
def customer_events(draw, customer: str, numbers) -> list:
    """One customer's walk through the events: forwards, skipping, going back, idling."""
    slot = draw(st.integers(0, 60))
    anonymous = draw(st.booleans())
    events = []
    for name, gap in draw(
        st.lists(
            st.tuples(st.sampled_from((*NAMES, UNMAPPED)), st.sampled_from((0, 0, 1, 3, 8, 16))),
            min_size=1,
            max_size=8,
        )
    ):
        slot += gap
        events.append(_track(f"m{next(numbers)}", customer, name, BASE + slot * SLOT, anonymous))
    for persona, at in draw(
        st.lists(
            st.tuples(st.sampled_from(("p0", "p1", None, MISSING)), st.integers(0, 100)),
            max_size=2,
        )
    ):
        events.append(_identify(f"m{next(numbers)}", customer, persona, BASE + at * SLOT))
    return events


@st.composite
def arrivals(draw) -> list[list[tuple[dict, reference.RawEvent | None]]]:
    numbers = iter(range(10_000))
    events = []
    for n in range(draw(st.integers(2, 6))):
        events.extend(draw(customer_events(f"c{n}", numbers)))
    for _ in range(draw(st.integers(0, 3))):  # retries, some with changed contents
        raw, event = draw(st.sampled_from(events))
        if draw(st.booleans()):  # whichever arrives first is the one kept
            raw, event = {**raw, "timestamp": BASE.isoformat()}, replace(event, at=BASE)
        events.append((raw, event))
    if draw(st.booleans()):  # an event too far in the future is rejected
        raw, _ = _track("future", "c0", NAMES[0], RECEIVED + timedelta(hours=2), False)
        events.append((raw, None))
    events = draw(st.permutations(events))  # late and out-of-order arrivals
    cuts = sorted(draw(st.lists(st.integers(1, len(events)), max_size=4)))
    bounds = [0, *cuts, len(events)]
    return [events[a:b] for a, b in pairwise(bounds)]


@st.composite
def scenarios(draw) -> Scenario:
    stages = draw(st.integers(2, 4))
    positions = draw(st.lists(st.integers(0, stages - 1), min_size=len(NAMES), max_size=len(NAMES)))
    mapping = {
        name: (position, draw(st.sampled_from(CHANNELS)))
        for name, position in zip(NAMES, positions, strict=True)
    }
    if draw(st.booleans()):
        del mapping[draw(st.sampled_from(NAMES))]  # one more event nobody maps
    late_name = draw(st.one_of(st.none(), st.sampled_from(sorted(mapping))))
    editable = sorted(set(mapping) - {late_name})
    edit = None
    if editable and draw(st.booleans()):
        edit = (
            draw(st.sampled_from(("move", "delete"))),
            draw(st.sampled_from(editable)),
            draw(st.integers(0, stages - 1)),
        )
    retuned_from = None
    if draw(st.booleans()):
        retuned_from = (draw(st.sampled_from(TIMEZONES)), draw(st.sampled_from((1, 2, 5))))
    start = BASE.date() + timedelta(days=draw(st.integers(-1, 8)))
    return Scenario(
        stages=stages,
        timezone=draw(st.sampled_from(TIMEZONES)),
        window_days=draw(st.sampled_from((1, 2, 5))),
        mapping=mapping,
        late_name=late_name,
        retuned_from=retuned_from,
        edit=edit,
        arrivals=draw(arrivals()),
        as_of=draw(
            st.one_of(
                st.none(),  # now: long after every event
                st.integers(-24, 24 * 24).map(lambda h: BASE + timedelta(hours=h)),
                st.integers(0, 24 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m)),
            )
        ),
        start=start,
        end=start + timedelta(days=draw(st.integers(2, 14))),
        granularity=draw(st.sampled_from((None, "day", "week"))),
        persona_filter=draw(st.sampled_from((None, None, None, "p0"))),
        channel_filter=draw(st.sampled_from((None, None, None, "web"))),
        persona_deleted=draw(st.sampled_from((False, False, False, True))),
    )


async def run_real_path(session, scenario: Scenario):
    workspace = await make_workspace(session)
    personas = {name: await make_persona(session, workspace, name) for name in ("p0", "p1")}
    timezone, window_days = scenario.retuned_from or (scenario.timezone, scenario.window_days)
    journey = await make_journey(
        session,
        workspace,
        stages=tuple(f"s{i}" for i in range(scenario.stages)),
        timezone=timezone,
        conversion_window_days=window_days,
    )
    from tests.support.factories import stages_of

    stages = await stages_of(session, journey)
    touchpoints = {}

    async def add_touchpoint(name: str) -> None:
        position, channel = scenario.mapping[name]
        touchpoints[name] = await make_touchpoint(
            session, stages[position], name=name, channel=channel, event_names=(name,)
        )

    for name in scenario.mapping:
        if name != scenario.late_name:
            await add_touchpoint(name)
    half = len(scenario.arrivals) // 2
    for index, batch in enumerate(scenario.arrivals):
        if index == half and scenario.late_name:
            await add_touchpoint(scenario.late_name)
        if index == half and scenario.retuned_from:
            await journey_service.update(
                session,
                workspace_id=workspace.id,
                journey_id=journey.id,
                timezone=scenario.timezone,
                conversion_window_days=scenario.window_days,
            )
        await send(session, workspace, *(raw for raw, _ in batch), received_at=RECEIVED)
    if scenario.late_name and scenario.late_name not in touchpoints:
        await add_touchpoint(scenario.late_name)
    if scenario.edit:
        kind, name, position = scenario.edit
        if kind == "move":
            await touchpoint_service.update(
                session,
                workspace_id=workspace.id,
                touchpoint_id=touchpoints[name].id,
                stage_id=stages[position].id,
            )
        else:
            await touchpoint_service.delete(
                session, workspace_id=workspace.id, touchpoint_id=touchpoints.pop(name).id
            )
    if scenario.persona_deleted:
        await fold.catch_up(session, workspace_id=workspace.id)
        await persona_service.delete(
            session, workspace_id=workspace.id, persona_id=personas.pop("p1").id
        )
    await assert_rollups_fresh(session, journey)
    await session.commit()  # readers read what is committed (domain.metrics.snapshot)

    common = dict(
        workspace_id=workspace.id, journey_id=journey.id, start=scenario.start, end=scenario.end
    )
    metrics = await stage_metrics(
        session,
        **common,
        as_of=scenario.as_of,
        granularity=scenario.granularity,
        persona_id=personas[scenario.persona_filter].id if scenario.persona_filter else None,
        channel=scenario.channel_filter,
    )
    breakdowns = {
        by: await stage_breakdown(session, **common, by=by, as_of=scenario.as_of)
        for by in ("persona", "channel")
    }
    unmapped = await unmapped_events(session, workspace_id=workspace.id)
    persona_names = {str(p.id): name for name, p in personas.items()}
    tp_names = {tp.id: name for name, tp in touchpoints.items()}
    return metrics, breakdowns, unmapped, persona_names, tp_names


def as_figures(stage) -> reference.Figures:
    return reference.Figures(
        stage.entered,
        stage.converted,
        stage.dropped,
        stage.pending,
        stage.conversion_rate,
        stage.drop_off_rate,
        stage.median_time_to_convert,
        stage.p90_time_to_convert,
    )


def final_mapping(scenario: Scenario) -> dict[str, tuple[int, str]]:
    mapping = dict(scenario.mapping)
    if scenario.edit:
        kind, name, position = scenario.edit
        if kind == "move":
            mapping[name] = (position, mapping[name][1])
        else:
            del mapping[name]
    return mapping


def expected(scenario: Scenario, as_of: datetime):
    events = reference.stored([[e for _, e in batch] for batch in scenario.arrivals])
    touchpoints = [
        reference.TouchpointSpec(name, position, channel, (name,))
        for name, (position, channel) in final_mapping(scenario).items()
    ]
    window = timedelta(days=scenario.window_days)
    entries = reference.entries(events, touchpoints, scenario.stages, window, as_of)
    in_period = [
        e
        for e in entries
        if reference.in_period(e.at, scenario.start, scenario.end, scenario.timezone)
    ]

    def persona(customer):
        named = reference.persona_at(events, customer, as_of)
        return None if scenario.persona_deleted and named == "p1" else named

    def table(chosen):
        return [
            reference.figures(chosen, i, scenario.stages, window, as_of)
            for i in range(scenario.stages)
        ]

    filtered = [
        e
        for e in in_period
        if (scenario.persona_filter is None or persona(e.customer) == scenario.persona_filter)
        and (scenario.channel_filter is None or e.touchpoint.channel == scenario.channel_filter)
    ]
    return events, touchpoints, in_period, filtered, persona, table


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
async def test_stage_metrics_match_the_reference(db, scenario):
    async with db() as session:
        metrics, breakdowns, unmapped, persona_names, tp_names = await run_real_path(
            session, scenario
        )
    as_of = metrics.as_of
    events, touchpoints, in_period, filtered, persona, table = expected(scenario, as_of)

    assert [as_figures(s) for s in metrics.stages] == table(filtered)

    if scenario.granularity:

        def bucket(e):
            day = reference.local_day(e.at, scenario.timezone)
            return reference.week_of(day) if scenario.granularity == "week" else day

        for b in metrics.series:
            assert [as_figures(s) for s in b.stages] == table(
                [e for e in filtered if bucket(e) == b.start]
            ), b.start
        assert sum(s.stages[0].entered for s in metrics.series) == metrics.stages[0].entered

    by_persona = {
        persona_names.get(segment.key) if segment.key else None: [
            as_figures(s) for s in segment.stages
        ]
        for segment in breakdowns["persona"]
    }
    assert by_persona == {
        key: table([e for e in in_period if persona(e.customer) == key])
        for key in {persona(e.customer) for e in in_period}
    }
    by_channel = {
        segment.key: [as_figures(s) for s in segment.stages] for segment in breakdowns["channel"]
    }
    assert by_channel == {
        key: table([e for e in in_period if e.touchpoint.channel == key])
        for key in {e.touchpoint.channel for e in in_period}
    }

    keep_channel = {tp.key for tp in touchpoints if scenario.channel_filter in (None, tp.channel)}
    expected_reach = reference.reach(
        events,
        [tp for tp in touchpoints if tp.key in keep_channel],
        scenario.start,
        scenario.end,
        scenario.timezone,
        as_of,
        keep=lambda c: scenario.persona_filter is None or persona(c) == scenario.persona_filter,
    )
    assert {tp_names[r.touchpoint_id]: r.customers for r in metrics.reach} == expected_reach

    mapped = set(final_mapping(scenario))
    counts: dict[str, int] = {}
    for e in events:
        if e.type == "track" and e.name not in mapped:
            counts[e.name] = counts.get(e.name, 0) + 1
    assert {u.name: u.events for u in unmapped} == counts
