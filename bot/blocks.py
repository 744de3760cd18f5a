"""Block Kit for messages, built by pure functions from domain objects.

Every piece of user text passes through `bot.text.escape`; every list is cut to Slack's
limits (50 blocks a message, 3,000 characters a section) with "…and N more".
"""

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import ActionId
from bot.payload import Storable
from bot.text import (
    BLOCKS_MAX,
    PLAIN_TEXT_MAX,
    SECTION_MAX,
    escape,
    local_time,
    quote,
    shorten,
    shorten_mrkdwn,
)
from domain.alert.detectable import SMALL_STAGE_POINTS
from domain.alert.evaluation import StageDetectableFall
from domain.alert.models import AlertStatus
from domain.alert.named_list import AlertsOverview, NamedRule, OpenAlert
from domain.auth.map_links import LINK_LIFETIME, SESSION_LIFETIME, IssuedLink
from domain.by_name.stage import StagePlace
from domain.by_name.touchpoint import TouchpointPlace
from domain.journey.summary import JourneyMap, StageSummary
from domain.mention.service import Raised
from domain.metrics.trend import RecentMetrics, StageTrend
from domain.observation.models import Observation
from domain.observation.team_views import TeamView
from domain.team.models import Team
from domain.vocabulary import Emotion, ObservationKind, TokenScope

CHOICES_MAX = 10
BUTTON_VALUE_MAX = 2000

Blocks = list[dict[str, Any]]


def section(mrkdwn: str) -> SectionBlock:
    """A section of already-escaped mrkdwn, cut at Slack's limit."""
    return SectionBlock(text=MarkdownTextObject(text=shorten_mrkdwn(mrkdwn, SECTION_MAX)))


def note(mrkdwn: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=shorten_mrkdwn(mrkdwn, SECTION_MAX))])


def lines_within(
    lines: Sequence[str], limit: int = SECTION_MAX, *, total: int | None = None
) -> str:
    """Join lines up to `limit` characters, ending with "…and N more" when some do not fit;
    `total` (default: all given) also counts lines that were never fetched."""
    total = len(lines) if total is None else total
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        more = f"…and {total - index} more"
        if size + len(line) + 1 + len(more) > limit:
            return "\n".join([*kept, more])
        kept.append(line)
        size += len(line) + 1
    if total > len(lines):
        kept.append(f"…and {total - len(lines)} more")
    return "\n".join(kept)


def fit(blocks: Sequence[Block]) -> Blocks:
    """At most 50 blocks; the last says how many did not fit."""
    if len(blocks) > BLOCKS_MAX:
        hidden = len(blocks) - (BLOCKS_MAX - 1)
        blocks = [*blocks[: BLOCKS_MAX - 1], note(f"…and {hidden} more")]
    return [block.to_dict() for block in blocks]


def label(value: str) -> str:
    """An enum value as people read it: pain_point → pain point."""
    return value.replace("_", " ")


EXAMPLES = [
    ("log", "open the form to log an observation"),
    (
        "log checkout Shipping costs surprise people #frustration !pain_point",
        "log in one line (touchpoint by key or name; `#emotion` and `!kind` optional)",
    ),
    ("map Online purchase", "the journey stage by stage"),
    ("stage decision", "what each team observed at a stage lately"),
    ("team Support", "say which team you are on (your observations carry it)"),
    ("subscribe Online purchase > checkout", "this channel gets that journey's alerts"),
    ("unsubscribe", "stop them"),
    ("metrics Online purchase 30d", "stage metrics (add `public` to post them)"),
    ("alerts Online purchase", "open alerts and alert rules (of one journey or all)"),
    ("alerts add Online purchase > checkout", "alert on a stage (or every stage) with defaults"),
    ("alerts remove Online purchase > checkout", "delete that alert rule and its alerts"),
    ("action Show shipping costs early at decision", "create an action (opens the form)"),
    ("actions Support", "actions by status, of a team or a journey (yours by default)"),
]


def help_message(unknown: str | None = None) -> Blocks:
    intro = (
        f"I don't know “{escape(unknown)}”. Here is what I can do:"
        if unknown
        else "*`/journey`*: your customers' journey, where you work."
    )
    usage = "\n".join(f"• `/journey {escape(example)}`: {what}" for example, what in EXAMPLES)
    vocabulary = (
        "Kinds: "
        + ", ".join(f"`{k.value}`" for k in ObservationKind)
        + ". Emotions: "
        + ", ".join(f"`{e.value}`" for e in Emotion)
        + "."
    )
    return fit([section(intro), section(usage), note(vocabulary)])


def error_message(message: str) -> Blocks:
    return fit([section(f":warning: {escape(message)}")])


def plain_message(mrkdwn: str) -> Blocks:
    return fit([section(mrkdwn)])


def logged_message(
    observation: Observation,
    where: str,
    team_name: str | None,
    similar: Sequence[Observation] = (),
) -> Blocks:
    about = f"*{label(observation.kind.value)}*"
    if observation.emotion:
        about += f", feeling *{label(observation.emotion.value)}*"
    by = f" for *{escape(team_name)}*" if team_name else ""
    logged = section(
        f":white_check_mark: Logged {about} at *{escape(where)}*{by}:\n"
        f">{quote(observation.text, 2500)}"
    )
    # The same form as elsewhere, this observation pre-selected (bot/listeners/actions.py).
    act = ActionsBlock(
        elements=[
            ButtonElement(
                text="Create action",
                action_id=f"{ActionId.CREATE_ACTION_ON_OBSERVATION}:0",
                value=str(observation.id),
            )
        ]
    )
    return fit([logged, act, *_same_as_offers(observation, similar)])


def _same_as_offers(copy: Observation, similar: Sequence[Observation]) -> list[Block]:
    """Earlier observations like the one just logged, each with a +1 that counts it there."""
    if not similar:
        return []
    offers: list[Block] = [
        section(
            "*Same as one of these?* A +1 counts the problem once, instead of what you just logged."
        )
    ]
    for index, earlier in enumerate(similar[:CHOICES_MAX]):
        offers.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f">{quote(earlier.text, 500)}\n_{quote(earlier.author_name, 120)}_"
                ),
                accessory=ButtonElement(
                    text="+1 Same as this",
                    action_id=f"{ActionId.SAME_AS}:{index}",
                    value=f"{earlier.id}:{copy.id}",
                ),
            )
        )
    return offers


def read_same_as_value(value: str | None) -> tuple[uuid.UUID, uuid.UUID]:
    """The earlier observation and the copy a +1 button names; ValueError when not that."""
    earlier, copy = str(value).split(":")
    return uuid.UUID(earlier), uuid.UUID(copy)


def counted_message(observation: Observation, raised: str) -> Blocks:
    return fit(
        [
            section(
                f":heavy_plus_sign: Counted as your +1 ({escape(raised)}):\n"
                f">{quote(observation.text, 2500)}"
            )
        ]
    )


def pick_value(place_id: str, pending: dict[str, Any]) -> str | None:
    """A candidate button's value: the touchpoint and the quick log waiting for it
    (None when it would not fit Slack's 2,000 characters)."""
    value = json.dumps({"touchpoint": place_id, **pending}, separators=(",", ":"))
    return value if len(value) <= BUTTON_VALUE_MAX else None


class PendingLog(BaseModel):
    """A candidate button's value read back (`pick_value`), every field of its type."""

    model_config = ConfigDict(strict=True, extra="forbid")

    touchpoint: uuid.UUID
    text: str = ""
    emotion: str | None = None
    kind: str | None = None
    key: Storable | None = None  # the idempotency key


def read_pick_value(value: str | None) -> PendingLog:
    """The quick log a candidate button carries; ValueError when the value is not one."""
    return PendingLog.model_validate_json(value or "")


def touchpoint_choices(
    message: str, places: Sequence[TouchpointPlace], pending: dict[str, Any]
) -> Blocks:
    """Which touchpoint did you mean? One button per candidate, logging on click."""
    blocks: list[Block] = [section(escape(message))]
    buttons: list[ButtonElement] = []
    for place in places[:CHOICES_MAX]:
        value = pick_value(str(place.id), pending)
        if value is None:
            blocks.append(
                note("Your text is too long to pick with a button; log again with the key below.")
            )
            buttons = []
            break
        buttons.append(
            ButtonElement(
                text=shorten(place.label, PLAIN_TEXT_MAX),
                action_id=f"{ActionId.PICK_TOUCHPOINT}:{len(buttons)}",
                value=value,
            )
        )
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    keys = ", ".join(f"`{escape(p.key)}` ({escape(p.label)})" for p in places)
    if keys:
        blocks.append(note(f"Keys: {shorten_mrkdwn(keys, 2000)}"))
    return fit(blocks)


def stage_choices(message: str, places: Sequence[StagePlace]) -> Blocks:
    buttons = [
        ButtonElement(
            text=shorten(place.label, PLAIN_TEXT_MAX),
            action_id=f"{ActionId.PICK_STAGE}:{index}",
            value=str(place.id),
        )
        for index, place in enumerate(places[:CHOICES_MAX])
    ]
    blocks: list[Block] = [section(escape(message))]
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return fit(blocks)


def _stage_lines(summary: StageSummary) -> list[str]:
    stage = summary.stage
    lines = [f"*{stage.position + 1}. {escape(stage.name)}*"]
    if stage.customer_goal:
        lines.append(f"_Goal: {quote(stage.customer_goal, 200)}_")
    for touchpoint in summary.touchpoints:
        owner = f" — {escape(touchpoint.owner_team)}" if touchpoint.owner_team else ""
        lines.append(f"• {escape(touchpoint.name)} (`{escape(touchpoint.key)}`){owner}")
    if summary.emotions:
        felt = ", ".join(f"{label(e.value)} ×{n}" for e, n in summary.emotions[:4])
        expected = (
            f" (expected: {label(stage.expected_emotion.value)})" if stage.expected_emotion else ""
        )
        lines.append(f"Staff report: {felt}{expected}")
    for pain in summary.pain_points:
        lines.append(f":warning: {quote(pain.text, 200)}")
    if summary.conversion_rate is not None:
        lines.append(
            f"Conversion: {percent(summary.conversion_rate)} of {summary.entered} who entered"
        )
    return lines


def _link_note(link: IssuedLink) -> str:
    """What the personal link does, so that nobody forwards it."""
    may = "edit" if link.scope.allows(TokenScope.WRITE) else "read"
    hours = int(SESSION_LIFETIME.total_seconds() // 3600)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return (
        f"_The button signs you in to the map for {hours} hours (you may {may} it). It is yours "
        f"alone and works once, within {minutes} minutes: do not forward it._"
    )


def map_message(journey_map: JourneyMap, url: str, link: IssuedLink) -> Blocks:
    journey = journey_map.journey
    blocks: list[Block] = [
        HeaderBlock(text=shorten(journey.name, 150)),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{len(journey_map.stages)} stages · observations and conversion of the "
                f"last {journey_map.days} days\n{_link_note(link)}"
            ),
            accessory=ButtonElement(text="Open the map", url=url, action_id=ActionId.OPEN_MAP),
        ),
    ]
    for summary in journey_map.stages:
        blocks += [DividerBlock(), section(lines_within(_stage_lines(summary)))]
    if not journey_map.stages:
        blocks.append(section("This journey has no stages yet."))
    return fit(blocks)


def stage_message(place: StagePlace, views: Sequence[TeamView], days: int) -> Blocks:
    blocks: list[Block] = [
        HeaderBlock(text=shorten(place.label, 150)),
        note(f"What each team observed in the last {days} days"),
    ]
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Create action",
                    action_id=f"{ActionId.CREATE_ACTION_AT_STAGE}:0",
                    value=str(place.id),
                )
            ]
        )
    )
    for view in views:
        team = escape(view.team_name) if view.team_name else "No team set"
        lines = [f"*{team}*: {view.count} observation{'s' if view.count != 1 else ''}"]
        lines += [
            f">{label(o.kind.value)}: {quote(o.text, 300)}{raised_note(view.raised.get(o.id))}"
            for o in view.latest
        ]
        blocks.append(section(lines_within(lines)))
    if not views:
        blocks.append(
            section(f"Nobody logged anything here in the last {days} days. `/journey log` it!")
        )
    return fit(blocks)


def raised_note(raised: Raised | None) -> str:
    """ " — raised 7 times by 3 teams" when others +1'd it; nothing for a lone observation."""
    return f" — _{raised}_" if raised and raised.mentioned else ""


def team_message(team: Team) -> Blocks:
    return plain_message(
        f"You are on *{escape(team.name)}*. Your observations now carry it; "
        "`/journey team &lt;name&gt;` changes it."
    )


def subscribed_message(covers: str, channel_id: str) -> Blocks:
    return plain_message(
        f"<#{channel_id}> now receives the alerts and digests of *{escape(covers)}*."
    )


def unsubscribed_message(removed: int, channel_id: str) -> Blocks:
    if not removed:
        return plain_message(f"<#{channel_id}> was not subscribed to that.")
    return plain_message(f"<#{channel_id}> stopped {removed} subscription(s).")


BAR_WIDTH = 20


def duration(seconds: float | None) -> str:
    """Seconds as people read them: 45 min, 3.2 h, 2.5 d."""
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def change(now: float | None, before: float | None, *, points: bool) -> str:
    """▲/▼ against the previous period: relative for counts, percentage points for rates."""
    if now is None or before is None:
        return ""
    if points:
        delta = (now - before) * 100
        return "" if abs(delta) < 0.05 else f" ({'▲' if delta > 0 else '▼'}{abs(delta):.1f} pts)"
    if not before:
        return ""
    delta = (now - before) / before * 100
    return "" if abs(delta) < 0.5 else f" ({'▲' if delta > 0 else '▼'}{abs(delta):.0f}%)"


def funnel_bar(entered: int, widest: int) -> str:
    filled = round(BAR_WIDTH * entered / widest) if widest else 0
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def _metrics_lines(trend: StageTrend, widest: int, last: bool) -> list[str]:
    now, before = trend.current, trend.previous
    lines = [
        f"*{now.position + 1}. {escape(now.stage)}*",
        f"`{funnel_bar(now.entered, widest)}` {now.entered} entered"
        + change(now.entered, before.entered, points=False),
    ]
    if not last:  # for the last stage only `entered` is meaningful
        lines.append(
            f"conversion {percent(now.conversion_rate)}"
            + change(now.conversion_rate, before.conversion_rate, points=True)
            + f" · drop-off {percent(now.drop_off_rate)}"
            + change(now.drop_off_rate, before.drop_off_rate, points=True)
            + f" · {now.pending or 0} pending"
        )
        lines.append(
            f"time to convert: median {duration(now.median_time_to_convert)}, "
            f"90th percentile {duration(now.p90_time_to_convert)}"
        )
    return lines


def metrics_message(metrics: RecentMetrics, url: str) -> Blocks:
    journey = metrics.journey
    trends = metrics.stages
    widest = max((t.current.entered for t in trends), default=0)
    last = len(trends) - 1
    shown = [(i, t) for i, t in enumerate(trends) if metrics.stage_id in (None, t.current.stage_id)]
    blocks: list[Block] = [
        HeaderBlock(text=shorten(journey.name, 150)),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Customers who entered each stage in the last {metrics.days} days "
                f"({metrics.start:%b %-d} – {metrics.end - timedelta(days=1):%b %-d}, "
                f"{escape(journey.timezone)}), against the {metrics.days} days before"
            ),
            accessory=ButtonElement(text="Open the map", url=url, action_id=ActionId.OPEN_MAP),
        ),
    ]
    for index, trend in shown:
        blocks.append(section(lines_within(_metrics_lines(trend, widest, index == last))))
    if not widest:
        blocks.append(note("No customer entered these stages in the period yet."))
    return fit(blocks)


def alert_line(open_alert: OpenAlert) -> str:
    """One open alert: where, drop-off now against the baseline, status and assignee."""
    alert = open_alert.alert
    status = "open" if alert.status is AlertStatus.OPEN else "acknowledged"
    if alert.assignee_name:
        status += f", assigned to {escape(alert.assignee_name)}"
    if alert.muted_until:
        status += f", muted until {local_time(alert.muted_until)}"
    return (
        f"• *{escape(open_alert.place.label)}*: drop-off {percent(1 - alert.recent_rate)} "
        f"against {percent(1 - alert.baseline_rate)}, not converted within "
        f"{alert.converted_within} ({alert.recent_entered:,} vs "
        f"{alert.baseline_entered:,} customers) · {status} · since {alert.fired_at:%b %-d}"
    )


def _can_show(stage: StageDetectableFall) -> str:
    """One watched stage: the smallest fall the rule can detect there now, or why none."""
    fall = stage.fall
    flag = "" if fall.shows(SMALL_STAGE_POINTS) else ":warning: "
    shows = (
        f"can detect a fall of {fall.points:.1f} points"
        if fall.points is not None
        else escape(fall.reason)
    )
    return f"      ↳ {flag}{escape(stage.stage_name)}: {shows}"


def _rule_text(named: NamedRule) -> str:
    """A rule and, one line each, what the stages it watches can show."""
    rule = named.rule
    where = escape(named.journey_name) + (
        f" › {escape(named.stage_name)}" if named.stage_name else " (every stage)"
    )
    paused = "" if rule.enabled else " · _paused_"
    line = (
        f"• {where}: a fall of {rule.min_change_points:g}+ points over {rule.recent_days} days "
        f"against the {rule.baseline_days} before{paused}"
    )
    if not named.can_show:
        return line
    stages = [_can_show(stage) for stage in named.can_show]
    return f"{line}\n{lines_within(stages, SECTION_MAX - len(line) - 1)}"


def alerts_message(overview: AlertsOverview) -> Blocks:
    of = f" of {escape(overview.journey.name)}" if overview.journey else ""
    alerts = [alert_line(a) for a in overview.alerts] or ["No open alerts."]
    # A section per rule, each with its stages: the blocks that do not fit are counted.
    rules = [section(_rule_text(r)) for r in overview.rules] or [
        section("No alert rules yet: `/journey alerts add &lt;journey&gt; [&gt; stage]` adds one.")
    ]
    return fit(
        [
            section(f"*Open alerts{of}*"),
            section(lines_within(alerts)),
            section(f"*Alert rules{of}*"),
            *rules,
        ]
    )


def rule_added_message(named: NamedRule) -> Blocks:
    where = escape(named.journey_name) + (
        f" › {escape(named.stage_name)}" if named.stage_name else " (every stage but the last)"
    )
    added = (
        f":white_check_mark: Alerting on *{where}* with the default settings. Alerts go to the "
        "channels subscribed to the journey (`/journey subscribe`) and to the teams owning its "
        "touchpoints."
    )
    if not named.warnings:
        return plain_message(added)
    warnings = [f":warning: {escape(warning)}" for warning in named.warnings]
    return fit([section(added), section(lines_within(warnings))])


def rule_removed_message(named: NamedRule) -> Blocks:
    where = escape(named.journey_name) + (
        f" › {escape(named.stage_name)}" if named.stage_name else ""
    )
    return plain_message(f"Removed the alert rule for *{where}* and its alerts.")
