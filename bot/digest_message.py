"""A team's weekly digest as a Slack message: pure functions from the digest to text and blocks.

Every piece of user text is escaped; lists are cut to Slack's limits with "…and N more".
"""

from datetime import timedelta

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.action_message import status_sections
from bot.blocks import (
    Blocks,
    change,
    fit,
    label,
    lines_within,
    note,
    percent,
    raised_note,
    section,
)
from bot.text import escape, quote, shorten
from domain.digest.service import JourneyMovement, SeenElsewhere, WeeklyDigest
from domain.metrics.trend import StageTrend

QUOTE_MAX = 200


def summary(digest: WeeklyDigest) -> str:
    """The notification text (and the fallback where blocks are not shown)."""
    return (
        f"Weekly digest for {escape(digest.team.name)}, week of {digest.week_start:%b %-d}: "
        f"{digest.journeys_total} journeys, {digest.observations_total} observations "
        "from other teams at your touchpoints"
    )


def _stage_line(trend: StageTrend, owned: bool, last: bool) -> str:
    now, before = trend.current, trend.previous
    name = f"*{escape(now.stage)}*" + (" (yours)" if owned else "")
    line = f"• {name}: {now.entered} entered" + change(now.entered, before.entered, points=False)
    if not last:  # the last stage has no conversion
        line += (
            f" · conversion {percent(now.conversion_rate)}"
            + change(now.conversion_rate, before.conversion_rate, points=True)
            + f" · drop-off {percent(now.drop_off_rate)}"
            + change(now.drop_off_rate, before.drop_off_rate, points=True)
        )
    return line


def _movement(movement: JourneyMovement) -> str:
    last = len(movement.stages) - 1
    lines = [
        _stage_line(t, t.current.stage_id in movement.owned_stage_ids, i == last)
        for i, t in enumerate(movement.stages)
    ]
    return lines_within([f"*{escape(movement.journey.name)}*", *lines])


def _seen(seen: SeenElsewhere) -> str:
    who = escape(seen.author_name) + (f" ({escape(seen.team_name)})" if seen.team_name else "")
    where = (
        f"{escape(seen.touchpoint_name)}, {escape(seen.journey_name)} › {escape(seen.stage_name)}"
    )
    text = quote(seen.text, QUOTE_MAX)
    return f"• _{label(seen.kind.value)}_ at *{where}* by {who}: “{text}”{raised_note(seen.raised)}"


def render(digest: WeeklyDigest) -> tuple[str, Blocks]:
    week_end = digest.week_start + timedelta(days=6)
    blocks: list[Block] = [
        HeaderBlock(text=shorten(f"Weekly digest: {digest.team.name}", 150)),
        note(
            f"Customers who entered each stage {digest.week_start:%b %-d} – {week_end:%b %-d} "
            "against the week before, in the journeys where you own touchpoints."
        ),
    ]
    blocks += [section(_movement(m)) for m in digest.journeys]
    if digest.journeys_total > len(digest.journeys):
        blocks.append(note(f"…and {digest.journeys_total - len(digest.journeys)} more journeys"))
    if not digest.journeys_total:
        blocks.append(note("Your team owns no touchpoints yet."))
    blocks.append(DividerBlock())
    if digest.observations_total:
        blocks.append(section("*What other teams saw at your touchpoints this week*"))
        lines = [_seen(s) for s in digest.observations]
        blocks.append(section(lines_within(lines, total=digest.observations_total)))
    else:
        blocks.append(note("No other team logged anything at your touchpoints this week."))
    if digest.actions is not None and not digest.actions.is_empty:
        blocks += [DividerBlock(), section("*Your team's actions*")]
        blocks += status_sections(digest.actions)
    return summary(digest), fit(blocks)
