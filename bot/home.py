"""The App Home tab: my team's journeys, their open alerts and my team's actions by status,
what all teams observed lately (each with *Create action*), a button to log."""

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.action_message import status_sections
from bot.blocks import alert_line, fit, label, lines_within, note, section
from bot.ids import ActionId
from bot.text import escape, quote
from domain.action.views import ActionsByStatus
from domain.alert.named_list import OpenAlert
from domain.observation.team_views import StaffOverview


def home_view(
    overview: StaffOverview,
    base_url: str,
    alerts: Sequence[OpenAlert] = (),
    actions: ActionsByStatus | None = None,
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
    if overview.team is not None and actions is not None:
        blocks += [DividerBlock(), section(f"*{escape(overview.team.name)}'s actions*")]
        blocks += status_sections(actions) or [
            note("None yet: *Create action* on an observation or an alert starts one.")
        ]
    blocks += [DividerBlock(), section("*Recent observations across teams*")]
    for index, recent in enumerate(overview.recent):
        o = recent.observation
        team = escape(recent.team_name) if recent.team_name else "no team"
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f">{quote(o.text, 500)}"),
                accessory=ButtonElement(
                    text="Create action",
                    action_id=f"{ActionId.CREATE_ACTION_ON_OBSERVATION}:{index}",
                    value=str(o.id),
                ),
            )
        )
        blocks.append(
            note(
                f"{label(o.kind.value)} · {escape(recent.where)} · {escape(o.author_name)}, {team}"
            )
        )
    if not overview.recent:
        blocks.append(note("Nothing logged yet."))
    return View(type="home", blocks=fit(blocks)).to_dict()
