"""Interaction payloads and events shaped like the ones Slack sends
(api.slack.com/reference/interaction-payloads, api.slack.com/events)."""

from typing import Any

from tests.support.slack_requests import USER, team, user

HOME_OPENED = {
    "type": "app_home_opened",
    "user": USER,
    "channel": "D0HOME001",
    "tab": "home",
    "event_ts": "1700000005.000100",
}


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def view_state(view: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """State values for `view` as Slack reports them, with `chosen` (block base id → value;
    a list of values for a multi-select, "YYYY-MM-DD" for a date picker). An input left out
    holds what the view pre-filled, as in Slack."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        block_id = block["block_id"]
        element = block["element"]
        base = block_id.split(".")[0]
        value = chosen.get(base)
        if element["type"] == "plain_text_input":
            typed = value if base in chosen else element.get("initial_value")
            state = {"type": "plain_text_input", "value": typed}
        elif element["type"] == "datepicker":
            state = {"type": "datepicker", "selected_date": value or element.get("initial_date")}
        elif element["type"] == "multi_static_select":
            options = (
                [_option(v) for v in value]
                if base in chosen
                else element.get("initial_options") or []
            )
            state = {"type": "multi_static_select", "selected_options": options}
        else:
            selected = (
                {"text": {"type": "plain_text", "text": value}, "value": value}
                if value is not None
                else element.get("initial_option")
            )
            state = {"type": element["type"], "selected_option": selected}
        values[block_id] = {element["action_id"]: state}
    return {"values": values}


def submitted_view(
    view: dict[str, Any], chosen: dict[str, Any], view_id: str = "V0MODAL1"
) -> dict[str, Any]:
    return {
        **view,
        "id": view_id,
        "team_id": "T0001",
        "hash": "h1",
        "state": view_state(view, chosen),
    }


def view_submission(view: dict[str, Any], chosen: dict[str, Any], **kwargs) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": team(),
        "user": user(USER),
        "api_app_id": "A0001",
        "token": "verification",
        "trigger_id": "trigger.submit",
        "view": submitted_view(view, chosen, **kwargs),
        "response_urls": [],
        "is_enterprise_install": False,
    }


def block_suggestion(
    view: dict[str, Any], chosen: dict[str, str], action_id: str, typed: str
) -> dict[str, Any]:
    block_id = next(
        b["block_id"] for b in view["blocks"] if b.get("element", {}).get("action_id") == action_id
    )
    return {
        "type": "block_suggestion",
        "user": user(USER),
        "container": {"type": "view", "view_id": "V0MODAL1"},
        "api_app_id": "A0001",
        "token": "verification",
        "action_id": action_id,
        "block_id": block_id,
        "value": typed,
        "team": team(),
        "view": submitted_view(view, chosen),
    }


def view_select(
    view: dict[str, Any], action_id: str, option: dict[str, Any], chosen: dict[str, str]
) -> dict[str, Any]:
    block_id = next(
        b["block_id"] for b in view["blocks"] if b.get("element", {}).get("action_id") == action_id
    )
    return {
        "type": "block_actions",
        "user": user(USER),
        "api_app_id": "A0001",
        "token": "verification",
        "container": {"type": "view", "view_id": "V0MODAL1"},
        "trigger_id": "trigger.select",
        "team": team(),
        "view": submitted_view(view, chosen),
        "actions": [
            {
                "type": "external_select",
                "action_id": action_id,
                "block_id": block_id,
                "selected_option": option,
                "action_ts": "1700000002.000100",
            }
        ],
    }


def message_action(text: str, response_url: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "token": "verification",
        "action_ts": "1700000003.000100",
        "team": team(),
        "user": user(USER),
        "channel": {"id": "C0SUPPORT1", "name": "support"},
        "is_enterprise_install": False,
        "callback_id": "log_as_observation",
        "trigger_id": "trigger.shortcut",
        "response_url": response_url,
        "message_ts": "1700000000.000300",
        "message": {
            "type": "message",
            "user": "U0CUSTOMER",
            "ts": "1700000000.000300",
            "text": text,
        },
    }


def home_button(action_id: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": user(USER),
        "api_app_id": "A0001",
        "token": "verification",
        "container": {"type": "view", "view_id": "V0HOME01"},
        "trigger_id": "trigger.home",
        "team": team(),
        "view": {"id": "V0HOME01", "type": "home", "blocks": [], "team_id": "T0001"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "home.actions",
                "text": {"type": "plain_text", "text": "Log observation"},
                "action_ts": "1700000004.000100",
            }
        ],
    }


def home_accessory(view: dict[str, Any], action_id: str) -> dict[str, Any]:
    """A click on the button beside a section of the App Home `view` (its action id)."""
    [button] = [
        {**block["accessory"], "block_id": block.get("block_id", "home.section")}
        for block in view["blocks"]
        if (block.get("accessory") or {}).get("action_id") == action_id
    ]
    payload = home_button(action_id)
    payload["actions"] = [
        {
            "type": "button",
            "action_id": action_id,
            "block_id": button["block_id"],
            "text": {**button["text"], "emoji": True},
            "value": button["value"],
            "action_ts": "1700000004.000200",
        }
    ]
    return payload


def _alert_element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    [element] = [
        {**element, "block_id": block.get("block_id", "actions")}
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]
    return element


def alert_button(
    blocks: list[dict[str, Any]],
    action_id: str,
    response_url: str,
    *,
    value: str | None = None,
    user_id: str = USER,
    channel: str = "C0ALERTS1",
) -> dict[str, Any]:
    """A click on a button of the alert message `blocks`, as posted in `channel`."""
    button = _alert_element(blocks, action_id)
    clicked = {
        "type": "button",
        "action_id": action_id,
        "block_id": button["block_id"],
        "text": {**button["text"], "emoji": True},
        "action_ts": "1700000006.000100",
    }
    if value is not None or "value" in button:
        clicked["value"] = value if value is not None else button["value"]
    if "style" in button:
        clicked["style"] = button["style"]
    return _on_alert_message(blocks, clicked, response_url, user_id=user_id, channel=channel)


def alert_menu(
    blocks: list[dict[str, Any]],
    action_id: str,
    label: str,
    response_url: str,
    *,
    value: str | None = None,
    user_id: str = USER,
    channel: str = "C0ALERTS1",
) -> dict[str, Any]:
    """The option labelled `label` chosen in a static_select menu of the alert message `blocks`
    (its value replaced by `value` if given), as Slack reports it: `selected_option`, no
    `value`."""
    menu = _alert_element(blocks, action_id)
    [option] = [o for o in menu["options"] if o["text"]["text"] == label]
    selected = {
        "text": {**option["text"], "emoji": True},
        "value": value if value is not None else option["value"],
    }
    chosen = {
        "type": "static_select",
        "action_id": action_id,
        "block_id": menu["block_id"],
        "selected_option": selected,
        "placeholder": {**menu["placeholder"], "emoji": True},
        "action_ts": "1700000007.000100",
    }
    # A message's state holds what its menus show, by block and action id.
    state = {menu["block_id"]: {action_id: {"type": "static_select", "selected_option": selected}}}
    return _on_alert_message(
        blocks, chosen, response_url, user_id=user_id, channel=channel, state=state
    )


def _on_alert_message(
    blocks: list[dict[str, Any]],
    action: dict[str, Any],
    response_url: str,
    *,
    user_id: str,
    channel: str,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The block_actions payload of `action` on the alert message `blocks` in `channel`."""
    return {
        "type": "block_actions",
        "user": user(user_id),
        "api_app_id": "A0001",
        "token": "verification",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000500",
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "trigger.alert",
        "team": team(),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "alerts"},
        "message": {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0001",
            "user": "UBOT",
            "ts": "1700000000.000500",
            "text": "Online purchase › consideration is losing customers",
            "blocks": blocks,
        },
        "state": {"values": state or {}},
        "response_url": response_url,
        "actions": [action],
    }
