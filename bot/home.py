"""The App Home tab: my team's journeys and their open alerts, what all teams observed lately,
a button to log."""

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
)
from slack_sdk.models.views import View

from bot.blocks import alert_line, fit, label, lines_within, note, section
from bot.ids import ActionId
from bot.text import escape, quote
from domain.alert.named_list import OpenAlert
from domain.observation.team_views import StaffOverview


def home_view(
    overview: StaffOverview, base_url: str, alerts: Sequence[OpenAlert] = ()
) -> dict[str, Any]:
    blocks: list[Block] = [
        HeaderBlock(text="Customer journeys"),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Log observation", action_id=ActionId.OPEN_LOG_MODAL, style="primary"
                )
            ]
        ),
    ]
    if overview.team is None:
        blocks.append(
            section(
                "Say which team you are on with `/journey team &lt;name&gt;` to see its journeys."
            )
        )
    else:
        journeys = [
            f"• <{base_url}/journeys/{j.id}|{escape(j.name)}>" for j in overview.journeys
        ] or ["No journey has touchpoints owned by your team yet."]
        blocks.append(section(f"*{escape(overview.team.name)}'s journeys*"))
        blocks.append(section(lines_within(journeys)))
    if alerts:
        whose = "your team's journeys" if overview.team else "all journeys"
        blocks += [DividerBlock(), section(f"*Open alerts* in {whose}")]
        blocks.append(section(lines_within([alert_line(a) for a in alerts])))
        blocks.append(note("`/journey alerts` lists them with the alert rules."))
    blocks += [DividerBlock(), section("*Recent observations across teams*")]
    for recent in overview.recent:
        o = recent.observation
        team = escape(recent.team_name) if recent.team_name else "no team"
        blocks.append(section(f">{quote(o.text, 500)}"))
        blocks.append(
            note(
                f"{label(o.kind.value)} · {escape(recent.where)} · {escape(o.author_name)}, {team}"
            )
        )
    if not overview.recent:
        blocks.append(note("Nothing logged yet."))
    return View(type="home", blocks=fit(blocks)).to_dict()
