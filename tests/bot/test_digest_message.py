"""The digest's Block Kit: within Slack's limits, however much there is to say."""

import uuid
from datetime import UTC, date, datetime

import pytest

from bot.blocks import lines_within
from bot.digest_message import render
from bot.text import SECTION_MAX
from domain.digest.service import SeenElsewhere, WeeklyDigest
from domain.team.models import Team
from domain.vocabulary import ObservationKind

pytestmark = pytest.mark.pure


def seen(n: int) -> SeenElsewhere:
    return SeenElsewhere(
        team_name="Support",
        author_name="Sam",
        kind=ObservationKind.PAIN_POINT,
        text=f"observation {n} " + "x" * 400,
        journey_name="Shop",
        stage_name="cart",
        touchpoint_name="Basket",
        created_at=datetime(2026, 11, 4, tzinfo=UTC),
    )


def test_observations_beyond_what_fits_are_counted():
    digest = WeeklyDigest(
        team=Team(id=uuid.uuid4(), name="Checkout"),
        week_start=date(2026, 11, 2),
        journeys=[],
        journeys_total=0,
        observations=[seen(n) for n in range(50)],
        observations_total=73,
    )
    text, blocks = render(digest)
    listed = blocks[-1]["text"]["text"]
    shown = listed.count("• ")
    assert 0 < shown < 50 and len(listed) <= SECTION_MAX
    assert listed.endswith(f"…and {73 - shown} more")
    assert "Your team owns no touchpoints yet." in str(blocks)
    assert "73 observations" in text


def test_lines_within_counts_lines_it_was_not_given():
    assert lines_within(["a", "b"], total=5) == "a\nb\n…and 3 more"
    assert lines_within(["a", "b"]) == "a\nb"
