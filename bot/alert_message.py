"""An alert as a Slack message: pure functions from the alert to text and Block Kit blocks.

The dispatcher renders when it delivers, so a posted message and each in-place update show
the alert as it is at that moment. Button action ids are stable: the bot's interactivity
handlers call the matching use cases in domain.alert.service.
"""

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.text import SECTION_MAX, escape, local_time, shorten_mrkdwn
from domain.alert.models import Alert, AlertStatus, Resolution


class AlertButton(StrEnum):
    ACKNOWLEDGE = "alert_acknowledge"
    ASSIGN_TO_ME = "alert_assign_to_me"
    MUTE = "alert_mute"  # a menu of MUTE_CHOICES
    # The fixed "Mute 24 h" button of messages posted before the menu: their clicks still count.
    MUTE_24H = "alert_mute_24h"
    RESOLVE = "alert_resolve"
    CREATE_ACTION = "alert_create_action"  # opens the "Create action" modal (bot.action_modal)
    OPEN_MAP = "alert_open_map"


# How long the mute menu offers, in hours (the domain accepts 1 to 720).
MUTE_CHOICES = ((1, "1 hour"), (24, "24 hours"), (7 * 24, "7 days"))


def mute_value(alert_id: uuid.UUID, hours: int) -> str:
    """A mute option's value: the hours and the alert, as `read_mute_value` reads them back."""
    return f"{hours}:{alert_id}"


def read_mute_value(value: str) -> tuple[int, uuid.UUID]:
    """The hours and the alert of a chosen mute option; ValueError when it is not one."""
    hours, _, alert_id = value.partition(":")
    return int(hours), uuid.UUID(alert_id)


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    journey_name: str
    stage_name: str
    map_url: str


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def summary(view: AlertView) -> str:
    """The notification text (and the fallback where blocks are not shown)."""
    alert = view.alert
    return (
        f"{escape(view.journey_name)} › {escape(view.stage_name)}: converted within "
        f"{alert.converted_within} {_percent(alert.recent_rate)} against "
        f"{_percent(alert.baseline_rate)} "
        f"({alert.change_points:+.1f} points)"
    )


def _status(alert: Alert) -> str:
    if alert.status is AlertStatus.RESOLVED:
        how = "resolved itself" if alert.resolution is Resolution.RECOVERED else "resolved"
        who = f" by {escape(alert.resolved_by)}" if alert.resolved_by else ""
        return f":white_check_mark: {how.capitalize()}{who}"
    parts = [
        ":rotating_light: Open"
        if alert.status is AlertStatus.OPEN
        else f":eyes: Acknowledged by {escape(alert.acknowledged_by or 'someone')}"
    ]
    if alert.assignee_id:
        parts.append(f"assigned to <@{escape(alert.assignee_id)}>")
    if alert.muted_until:
        parts.append(f":no_bell: Muted until {local_time(alert.muted_until)}")
    return " · ".join(parts)


def _figures(alert: Alert) -> str:
    entered = f"{alert.recent_first:%b %d}"
    if alert.recent_last != alert.recent_first:
        entered += f"–{alert.recent_last:%b %d}"
    text = (
        f"*Converted within {alert.converted_within}:* {_percent(alert.recent_rate)} of "
        f"{alert.recent_entered:,} customers who entered {entered}, against "
        f"{_percent(alert.baseline_rate)} of {alert.baseline_entered:,} in the "
        f"{(alert.baseline_last - alert.baseline_first).days + 1} days before; weekday for "
        f"weekday, *{alert.change_points:+.1f} points* (z = {alert.z_score:.1f}, "
        f"p = {alert.p_value:.1g})."
    )
    if alert.driver_label and alert.driver_points is not None:
        text += (
            f"\n*Driven by* {escape(alert.driver_dimension or '')} "
            f"*{escape(alert.driver_label)}*: {alert.driver_points:+.1f} of the "
            f"{alert.change_points:+.1f} points."
        )
    return text


def _observations(alert: Alert) -> str | None:
    if not alert.observations:
        return None
    lines = [
        f"• “{escape(o['text'])}” — {escape(o.get('author_name') or 'someone')}"
        for o in alert.observations
    ]
    return "*What staff logged here lately*\n" + "\n".join(lines)


def render(view: AlertView) -> tuple[str, list[dict[str, Any]]]:
    """The message text and blocks for an alert in its current state."""
    alert = view.alert
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f":chart_with_downwards_trend: *{escape(view.stage_name)}* in "
                f"*{escape(view.journey_name)}* is losing customers"
            )
        ),
        SectionBlock(text=MarkdownTextObject(text=shorten_mrkdwn(_figures(alert), SECTION_MAX))),
    ]
    observations = _observations(alert)
    if observations:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=shorten_mrkdwn(observations, SECTION_MAX)))
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_status(alert))]))
    buttons = [ButtonElement(text="Open map", action_id=AlertButton.OPEN_MAP, url=view.map_url)]
    if alert.status is not AlertStatus.RESOLVED:
        value = str(alert.id)
        buttons = [
            ButtonElement(text="Acknowledge", action_id=AlertButton.ACKNOWLEDGE, value=value),
            ButtonElement(text="Assign to me", action_id=AlertButton.ASSIGN_TO_ME, value=value),
            StaticSelectElement(
                placeholder="Mute…",
                action_id=AlertButton.MUTE,
                options=[
                    Option(text=label, value=mute_value(alert.id, hours))
                    for hours, label in MUTE_CHOICES
                ],
            ),
            ButtonElement(
                text="Resolve", action_id=AlertButton.RESOLVE, value=value, style="primary"
            ),
            ButtonElement(text="Create action", action_id=AlertButton.CREATE_ACTION, value=value),
            *buttons,
        ]
    blocks.append(ActionsBlock(elements=buttons))
    return summary(view), [block.to_dict() for block in blocks]
