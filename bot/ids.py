"""Every action, block and callback id the bot uses: Slack echoes them back to route."""

from enum import StrEnum


class ActionId(StrEnum):
    PICK_TOUCHPOINT = "pick_touchpoint"  # a candidate button after an ambiguous quick log
    PICK_STAGE = "pick_stage"  # a candidate button after an ambiguous `stage <name>`
    SAME_AS = "same_as"  # "+1, same as this" on an earlier observation, after logging
    OPEN_LOG_MODAL = "open_log_modal"  # App Home button
    OPEN_MAP = "open_map"  # a link button; Slack still sends the click, which we acknowledge
    JOURNEY = "log_journey"
    STAGE = "log_stage"
    TOUCHPOINT = "log_touchpoint"
    KIND = "log_kind"
    EMOTION = "log_emotion"
    SENTIMENT = "log_sentiment"
    TEXT = "log_text"
    TEAM = "log_team"
    PERSONA = "log_persona"


class CallbackId(StrEnum):
    LOG_MODAL = "log_observation"
    LOG_SHORTCUT = "log_as_observation"  # the message shortcut (bot/manifest.yml)


class BlockId(StrEnum):
    """Modal inputs; a domain error's field names the block that shows it inline."""

    JOURNEY = "journey"
    STAGE = "stage"
    TOUCHPOINT = "touchpoint"
    KIND = "kind"
    EMOTION = "emotion"
    SENTIMENT = "sentiment"
    TEXT = "text"
    TEAM = "team"
    PERSONA = "persona"
