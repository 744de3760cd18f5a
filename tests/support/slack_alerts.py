"""An alert message in Slack: an open alert and its blocks, a click on them as Slack sends it,
and what the click left behind (the alert, its activity, the message updates queued)."""

from sqlalchemy import select

from bot.alert_message import AlertButton, AlertView, render
from domain.alert import service as alert_service
from domain.alert.models import Alert, AlertActivity
from domain.notification.models import Notification, NotificationKind
from tests.support.factories import make_alert, make_alert_rule
from tests.support.slack_app import Acme
from tests.support.slack_payloads import alert_button, alert_menu


async def fired(db, acme: Acme) -> tuple[Alert, list[dict]]:
    """An open alert at Online purchase › consideration, and its message as Slack shows it."""
    async with db.begin() as session:
        rule = await make_alert_rule(session, acme.online, acme.stages[1])
        alert = await make_alert(session, rule, acme.stages[1])
    view = AlertView(alert, "Online purchase", "consideration", "https://jo.example/map")
    return alert, render(view)[1]


async def click(slack, blocks, button: AlertButton, *, label: str = "24 hours", **kwargs):
    """Click (on the mute menu: choose `label`), and wait for the listener: Bolt runs it after
    the ack, in a task of its own."""
    if button is AlertButton.MUTE:
        payload = alert_menu(blocks, button, label, slack.response_url, **kwargs)
    else:
        payload = alert_button(blocks, button, slack.response_url, **kwargs)
    response = await slack.settled(slack.interaction(payload))
    assert response.status_code == 200, response.text
    return response


async def state(db, alert: Alert) -> tuple[Alert, list[AlertActivity], list[Notification]]:
    async with db() as session:
        now = await alert_service.get(session, workspace_id=alert.workspace_id, alert_id=alert.id)
        activity = await alert_service.activity(
            session, workspace_id=alert.workspace_id, alert_id=alert.id
        )
        updates = list(
            await session.scalars(
                select(Notification).where(
                    Notification.alert_id == alert.id,
                    Notification.kind == NotificationKind.UPDATE,
                )
            )
        )
    return now, activity, updates
