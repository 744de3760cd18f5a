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
    # "Create action" on an observation (App Home) or a stage (`/journey stage`), numbered
    # within a message: `create_action_on_observation:3`.
    CREATE_ACTION_ON_OBSERVATION = "create_action_on_observation"
    CREATE_ACTION_AT_STAGE = "create_action_at_stage"
    ACTION_TITLE = "action_title"
    ACTION_OWNER = "action_owner"
    ACTION_DUE = "action_due"
    ACTION_OBSERVATIONS = "action_observations"


class CallbackId(StrEnum):
    LOG_MODAL = "log_observation"
    CREATE_ACTION = "create_action"
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
    ACTION_TITLE = "action_title"
    ACTION_OWNER = "action_owner"
    ACTION_DUE = "action_due"
    ACTION_OBSERVATIONS = "action_observations"
