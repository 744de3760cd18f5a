"""An action's message, its direct message and its lists: pure rendering, escaped, with the
buttons its status allows."""

import uuid
from datetime import UTC, date, datetime

import pytest

from bot.action_message import ActionButton, actions_message, render
from domain.action.models import Action
from domain.action.views import (
    STATUS_ORDER,
    ActionLine,
    ActionMessage,
    ActionsByStatus,
    AddressedObservation,
)
from domain.vocabulary import ActionStatus
from tests.support.slack_requests import shown

HOSTILE = "<!channel> Show <https://evil|shipping> & costs"


def line(status=ActionStatus.OPEN, title=HOSTILE, **extra) -> ActionLine:
    action = Action(
        id=uuid.uuid4(),
        title=title,
        description="",
        status=status,
        due_on=date(2026, 12, 24),
        created_by_name="Dana <S>",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    return ActionLine(action, "Online purchase", "decision", "Support <team>", **extra)


def message(status=ActionStatus.OPEN, moved_by="Sam") -> ActionMessage:
    return ActionMessage(
        line(status),
        [AddressedObservation("<!here> costs appear late", "Ana")],
        addressed_total=4,
        moved_by=moved_by,
    )


def buttons(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (ActionStatus.OPEN, [ActionButton.START, ActionButton.DONE, ActionButton.DROP]),
        (ActionStatus.IN_PROGRESS, [ActionButton.DONE, ActionButton.DROP]),
        (ActionStatus.DONE, []),
        (ActionStatus.DROPPED, []),
    ],
)
def test_the_buttons_are_those_the_status_allows(status, offered):
    _, blocks = render(message(status))
    assert buttons(blocks) == offered


def test_everything_people_typed_is_escaped():
    text, blocks = render(message())
    body = shown(blocks)
    for raw in ("<!channel>", "<https://evil", "<!here>", "<S>", "<team>"):
        assert raw not in body and raw not in text
    assert "&lt;!channel&gt; Show &lt;https://evil|shipping&gt; &amp; costs" in body
    assert "…and 3 more" in body  # four addressed, one shown
    assert "created by Dana &lt;S&gt;" in body and "due Dec 24, 2026" in body


def test_lists_go_by_status_and_count_what_does_not_fit():
    groups = {status: [] for status in STATUS_ORDER}
    groups[ActionStatus.OPEN] = [line(title=f"Fix {n}") for n in range(3)]
    groups[ActionStatus.DONE] = [line(ActionStatus.DONE, title="Done one")]
    totals = {**dict.fromkeys(STATUS_ORDER, 0), ActionStatus.OPEN: 7, ActionStatus.DONE: 1}
    body = shown(actions_message(ActionsByStatus(groups, totals), "of Support"))
    assert body.index("Open* (7)") < body.index("Done* (1)")
    assert "…and 4 more" in body and "In progress" not in body
    assert "owned by *Support &lt;team&gt;*" in body
