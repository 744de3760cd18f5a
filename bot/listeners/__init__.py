"""Every listener, registered in one place."""

import re

from slack_bolt.async_app import AsyncApp

from bot.action_message import ActionButton
from bot.alert_message import AlertButton
from bot.ids import ActionId, CallbackId
from bot.listeners import actions, alert_actions, command, home, log_modal, quick_log, same_as


async def _ack_only(ack) -> None:
    await ack()


def register(app: AsyncApp) -> None:
    app.command("/journey")(command.journey)
    app.action(re.compile(f"^{ActionId.PICK_STAGE}:"))(command.pick_stage)
    app.action(re.compile(f"^{ActionId.PICK_TOUCHPOINT}:"))(quick_log.pick_touchpoint)
    app.action(re.compile(f"^{ActionId.SAME_AS}:"))(same_as.clicked)
    app.options(ActionId.JOURNEY)(log_modal.journey_options)
    app.options(ActionId.STAGE)(log_modal.stage_options)
    app.options(ActionId.TOUCHPOINT)(log_modal.touchpoint_options)
    app.action(ActionId.JOURNEY)(log_modal.journey_chosen)
    app.view(CallbackId.LOG_MODAL)(log_modal.submit)
    app.shortcut(CallbackId.LOG_SHORTCUT)(log_modal.from_message)
    app.action(ActionId.OPEN_LOG_MODAL)(log_modal.from_home)
    app.action(ActionId.OPEN_MAP)(_ack_only)
    app.action(AlertButton.OPEN_MAP)(_ack_only)
    for button in alert_actions.USE_CASES:
        app.action(button)(alert_actions.clicked)
    app.action(AlertButton.CREATE_ACTION)(actions.from_alert)
    app.action(re.compile(f"^{ActionId.CREATE_ACTION_ON_OBSERVATION}:"))(actions.from_observation)
    app.action(re.compile(f"^{ActionId.CREATE_ACTION_AT_STAGE}:"))(actions.at_stage)
    app.view(CallbackId.CREATE_ACTION)(actions.submit)
    for button in ActionButton:
        app.action(button)(actions.moved)
    app.event("app_home_opened")(home.opened)
