"""What Slack posts to `/slack/events`, read and type-checked before Bolt or a listener sees it.

Bolt digs ids out of many corners of a payload (team, user, enterprise, channel,
authorizations, the event…) and the listeners read values, options and a view's state; a
field of an unexpected type anywhere there used to end in a 500 (`user` as a number) or in
SQL (a number where a touchpoint id belongs). So each payload this app serves has its shape
here, and what passes on is the payload *as checked*: every field anyone reads typed, fields
nobody reads dropped, so nothing unchecked gets through. Only the parts that go back to Slack
as they came (a view's blocks, an option) keep fields unknown here.

`read` answers `Unreadable` for a body that is no Slack payload at all (400) and `Unexpected`
for a payload of a kind or shape this app does not serve (acknowledged and ignored).
"""

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import ValidationError as ShapeError

from domain.validation import unstorable_reason


class Unreadable(ValueError):
    """The body is not JSON or a form Slack would send."""


class Unexpected(ValueError):
    """A payload of a kind this app does not serve, or not of the shape Slack sends."""


class Part(BaseModel):
    """A part of a payload: the fields read typed (strictly: no number for a string), the
    rest dropped."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Echoed(Part):
    """A part that goes back to Slack as it came (an option, a block): unknown fields kept."""

    model_config = ConfigDict(strict=True, extra="allow")


def _storable(value: str) -> str:
    reason = unstorable_reason(value)
    if reason is not None:
        raise ValueError(reason)
    return value


# Ids and names end up in SQL (a trigger id is an idempotency key, a handle an actor's name),
# so they must be text PostgreSQL can store; what people typed is left to the use cases, which
# answer with what to fix.
Storable = Annotated[str, AfterValidator(_storable)]
Id = Storable | None
Typed = str | None


class Team(Part):
    id: Id = None
    domain: Id = None
    enterprise_id: Id = None


class User(Part):
    id: Id = None
    name: Id = None
    username: Id = None
    team_id: Id = None


class Named(Part):
    """A channel or an enterprise."""

    id: Id = None
    name: Id = None


class Authorization(Part):
    enterprise_id: Id = None
    team_id: Id = None
    user_id: Id = None
    is_bot: bool | None = None
    is_enterprise_install: bool | None = None


class ResponseUrl(Part):
    response_url: Id = None
    block_id: Id = None
    action_id: Id = None
    channel_id: Id = None


class Option(Echoed):
    value: Storable
    text: dict[str, Any] | None = None


class Input(Part):
    """What one input of a view holds: typed text, the option or options chosen, a date."""

    type: Id = None
    value: Typed = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_date: Id = None


class State(Part):
    values: dict[str, dict[str, Input]] = {}


class Block(Echoed):
    type: Id = None
    block_id: Id = None
    element: dict[str, Any] | None = None


class View(Part):
    id: Id = None
    type: Id = None
    team_id: Id = None
    app_installed_team_id: Id = None
    callback_id: Id = None
    hash: Id = None
    private_metadata: Typed = None
    title: dict[str, Any] | None = None
    submit: dict[str, Any] | None = None
    close: dict[str, Any] | None = None
    blocks: list[Block] | None = None
    state: State | None = None


class SubmittedView(View):
    id: Storable
    type: Storable
    callback_id: Storable
    state: State


class Message(Part):
    type: Id = None
    subtype: Id = None
    user: Id = None
    bot_id: Id = None
    ts: Id = None
    thread_ts: Id = None
    text: Typed = None


class Container(Part):
    type: Id = None
    message_ts: Id = None
    channel_id: Id = None
    view_id: Id = None
    is_ephemeral: bool | None = None


class Action(Part):
    action_id: Storable
    block_id: Id = None
    type: Id = None
    value: Id = None
    selected_option: Option | None = None
    action_ts: Id = None
    text: dict[str, Any] | None = None


class Envelope(Part):
    """What Bolt reads of any payload to tell who, where and how to answer."""

    token: Id = None
    api_app_id: Id = None
    team: Team | Storable | None = None
    team_id: Id = None
    user: User | Storable | None = None
    user_id: Id = None
    enterprise: Named | Storable | None = None
    enterprise_id: Id = None
    channel: Named | Storable | None = None
    channel_id: Id = None
    is_enterprise_install: bool | Storable | None = None
    authorizations: list[Authorization] | None = None
    response_url: Id = None
    response_urls: list[ResponseUrl] | None = None
    trigger_id: Id = None


class BlockActions(Envelope):
    type: Literal["block_actions"]
    actions: list[Action] = Field(min_length=1)
    view: View | None = None
    message: Message | None = None
    container: Container | None = None


class BlockSuggestion(Envelope):
    type: Literal["block_suggestion"]
    action_id: Storable
    block_id: Id = None
    value: str = ""  # typed into a picker
    view: View | None = None
    container: Container | None = None


class ViewSubmission(Envelope):
    type: Literal["view_submission"]
    view: SubmittedView


class Channel(Part):
    id: Storable
    name: Id = None


class MessageAction(Envelope):
    type: Literal["message_action"]
    callback_id: Storable
    trigger_id: Storable
    channel: Channel
    message: Message
    message_ts: Id = None


class Tokens(Part):
    oauth: list[Storable] | None = None
    bot: list[Storable] | None = None


class Event(Part):
    type: Storable
    subtype: Id = None
    user: User | Storable | None = None
    team: Id = None
    user_team: Id = None
    channel: Named | Storable | None = None
    tab: Id = None
    bot_id: Id = None
    ts: Id = None
    thread_ts: Id = None
    event_ts: Id = None
    tokens: Tokens | None = None


class EventCallback(Envelope):
    type: Literal["event_callback"]
    event: Event
    event_id: Id = None
    event_time: int | None = None


class UrlVerification(Part):
    type: Literal["url_verification"]
    challenge: Storable
    token: Id = None


class SlashCommand(Part):
    """A slash command: a form of strings (so only missing fields can be wrong)."""

    command: Storable
    text: str = ""  # what was typed after the command
    trigger_id: Storable
    channel_id: Storable
    user_id: Storable
    team_id: Storable
    response_url: Storable
    user_name: Id = None
    team_domain: Id = None
    enterprise_id: Id = None
    channel_name: Id = None
    api_app_id: Id = None
    is_enterprise_install: Id = None
    token: Id = None


# Events API bodies (JSON) and interactivity payloads (a form's `payload` field), by type.
EVENTS: dict[str, type[Part]] = {
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
}
INTERACTIONS: dict[str, type[Part]] = {
    "block_actions": BlockActions,
    "block_suggestion": BlockSuggestion,
    "view_submission": ViewSubmission,
    "message_action": MessageAction,
}


def read(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The payload of a (signed) request body, as checked; Unreadable or Unexpected otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("The body is not UTF-8.") from None
    if (content_type or "").split(";")[0].strip().lower() == "application/json":
        return _checked(_json_object(text), EVENTS)
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return _checked(_json_object(form["payload"]), INTERACTIONS)
    if "command" in form:
        return _shaped(SlashCommand, form, "slash command")
    raise Unreadable("The body holds no Slack payload.")


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Unreadable("The payload is not valid JSON.") from None
    if not isinstance(value, dict):
        raise Unreadable("The payload is not a JSON object.")
    return value


def _checked(payload: dict[str, Any], shapes: dict[str, type[Part]]) -> dict[str, Any]:
    kind = payload.get("type")
    shape = shapes.get(kind) if isinstance(kind, str) else None
    if shape is None:
        raise Unexpected(f"a payload of type {_brief(kind)}, which this app does not serve")
    return _shaped(shape, payload, kind)


def _shaped(shape: type[Part], payload: dict[str, Any], kind: str) -> dict[str, Any]:
    try:
        checked = shape.model_validate(payload)
    except ShapeError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the payload"
        raise Unexpected(f"a {kind} payload whose {_brief(where)} is wrong: {first['msg']}") from (
            None
        )
    return checked.model_dump(mode="json", exclude_unset=True)


def _brief(value: object, limit: int = 60) -> str:
    """A value for a log line: never the whole of whatever was sent."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
