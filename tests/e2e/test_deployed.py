"""The product as deployed (issue 9): the Procfile's processes, other people's clients, Slack
in both modes, crashes.

The workers start, and Slack carries out their first post (a weekly digest) but its answer
never arrives: both workers are killed with SIGKILL while one waits for it. Six weeks of online
shoppers go in through Segment's own Python library while a web server and a worker are killed
again and restarted; every acknowledged event is stored once and the stage metrics count them
exactly. The lost digest is found in its channel, not posted again; each team hears about last
week once. A standalone worker finds the demo's drop at Consideration and posts one alert to
the owning team's channel; a signed *Acknowledge* click on the other web server changes that
message in place. Both Slack modes: one workspace's bot token, or an OAuth installation only.
"""

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from rudderstack.analytics import Client as RudderStackClient
from segment.analytics.client import Client as SegmentClient

from bot.alert_message import AlertButton
from bot.local_slack import Call, LocalSlack, signed_headers
from journeyops import demo_data
from tests.support import shoppers
from tests.support.deployment import SIGNING_SECRET, SLACK_TEAM, Deployment
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

ALERT_CHANNEL = demo_data.TEAMS["product"]  # the team owning Consideration's touchpoints
TEAM_CHANNELS = set(demo_data.TEAMS.values())  # every team owns touchpoints: each gets a digest
CLICKER = "U0001"  # Dana S. to local Slack's users.info
# The libraries wait this long for more events before sending a batch (default 0.5 s).
LIBRARY_UPLOAD_INTERVAL = 0.1
RUDDERSTACK_RETRIES = 1  # its default, 10 exponential backoffs, would outlast any bound


async def stored(deployment: Deployment, message_ids: str) -> int:
    """Raw events stored whose messageId is LIKE `message_ids`."""
    return await deployment.scalar(
        "SELECT count(*) FROM event WHERE message_id LIKE :ids", ids=message_ids
    )


def is_alert(message: dict[str, Any]) -> bool:
    """An alert's message, whatever its state, carries some of the alert's buttons."""
    blocks = json.dumps(message.get("blocks"))
    return any(f'"{button.value}"' in blocks for button in AlertButton)


def is_digest(message: dict[str, Any]) -> bool:
    return "Weekly digest" in json.dumps(message.get("blocks"))


def messages(slack: LocalSlack, kind) -> dict[str, list[dict[str, Any]]]:
    return {channel: [m for m in slack.posted(channel) if kind(m)] for channel in slack.messages}


async def scraped(url: str) -> dict[str, float]:
    """`/metrics` of a web server: each sample by name and labels, as Prometheus reads it."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        answer = await http.get("/metrics")
    assert answer.status_code == 200, answer.text
    return {
        sample.name + _labels(sample.labels): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _labels(labels: dict[str, str]) -> str:
    inside = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{{{inside}}}" if inside else ""


def seen_in_slack(slack: LocalSlack) -> list[str]:
    return [f"{c.method}({c.params.get('channel')}) {c.outcome}" for c in slack.calls]


@dataclass(frozen=True)
class Crash:
    stored_before: int  # events stored when web A and worker A were killed
    restarted_at: datetime  # what web A stored since carries a later received_at


async def send_with_crashes(deployment: Deployment, events: list[shoppers.Event]) -> Crash:
    """Send `events` with Segment's library to web A; once a quarter are stored, kill web A
    and worker A with SIGKILL and start them again."""
    web, worker = deployment.webs[0], deployment.workers[0]
    errors: list[str] = []
    client = SegmentClient(
        write_key=deployment.write_token,
        host=web.url,
        gzip=False,
        max_queue_size=len(events) + 1,
        on_error=lambda error, batch: errors.append(f"{error} ({len(batch)} events)"),
    )
    for event in events:
        client.track(
            user_id=event.user_id,
            event=event.event,
            timestamp=event.timestamp,
            message_id=event.message_id,
        )
    sending = asyncio.create_task(asyncio.to_thread(client.shutdown))  # flushes, then stops

    async def a_quarter_stored() -> int:
        count = await stored(deployment, "shopper-%")
        return count if count >= len(events) // 4 else 0

    at_kill = await eventually(
        a_quarter_stored, within=120, what="quarter of the events stored", seen=lambda: errors
    )
    web.kill()
    worker.kill()
    restarted_at = datetime.now(UTC)
    web.start()
    worker.start()
    await web.wait_healthy()
    await asyncio.wait_for(sending, timeout=120)
    assert errors == [], errors
    return Crash(at_kill, restarted_at)


async def stage_figures(deployment: Deployment, now: datetime) -> dict[str, tuple]:
    """Per stage name, (entered, converted) over the weeks the shoppers came, read on web B."""
    data = await deployment.graphql(
        """query($id: ID!, $from: Date!, $to: Date!) { journey(id: $id) {
             stageMetrics(from: $from, to: $to) { stages { stage entered converted } } } }""",
        {
            "id": deployment.journey_id,
            "from": (now - timedelta(days=shoppers.DAYS + 1)).date().isoformat(),
            "to": (now + timedelta(days=1)).date().isoformat(),
        },
        web=1,
    )
    stages = data["journey"]["stageMetrics"]["stages"]
    return {s["stage"]: (s["entered"], s["converted"]) for s in stages}


async def click(deployment: Deployment, message: dict[str, Any], button: AlertButton) -> None:
    """A click on `button` of the alert `message` in the alert channel, as Slack sends it
    (signed, form-encoded) to web B's Request URL."""
    [element] = [
        {**element, "block_id": block.get("block_id")}
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == button.value
    ]
    user = {"id": CLICKER, "username": "dana", "name": "dana", "team_id": SLACK_TEAM}
    payload = {
        "type": "block_actions",
        "user": user,
        "api_app_id": "A0001",
        "token": "verification",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": ALERT_CHANNEL,
            "is_ephemeral": False,
        },
        "trigger_id": "13345224609.738474920.e2e",
        "team": {"id": SLACK_TEAM, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": ALERT_CHANNEL, "name": "product"},
        "message": {**message, "type": "message", "subtype": "bot_message"},
        "state": {"values": {}},
        "response_url": deployment.slack.response_url("click"),
        "actions": [
            {
                "type": "button",
                "action_id": element["action_id"],
                "block_id": element["block_id"],
                "text": {**element["text"], "emoji": True},
                "value": element["value"],
                "action_ts": f"{datetime.now(UTC).timestamp():.6f}",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = signed_headers(body, "application/x-www-form-urlencoded", secret=SIGNING_SECRET)
    async with httpx.AsyncClient(base_url=deployment.webs[1].url, timeout=10) as http:
        answer = await http.post("/slack/events", content=body, headers=headers)
    assert answer.status_code == 200, answer.text


async def test_events_become_one_alert_acknowledged_in_place_and_one_digest_a_team(deployment):
    slack = deployment.slack
    # The workers' first post (a digest) is carried out by Slack, but its answer is lost; both
    # workers are killed while one of them waits for it.
    slack.lose_response("chat.postMessage")
    deployment.start_workers()
    [lost] = await eventually(
        lambda: [c for c in slack.calls_to("chat.postMessage") if c.outcome == "lost"],
        within=60,
        what="post whose answer is lost",
        seen=lambda: seen_in_slack(slack),
    )
    for worker in deployment.workers:
        worker.kill()
        worker.start()

    now = datetime.now(UTC)
    crowd = shoppers.shoppers(now)
    events = shoppers.events(crowd)
    crash = await send_with_crashes(deployment, events)
    assert 0 < crash.stored_before < len(events)  # the crash came in the middle of the stream
    assert await stored(deployment, "shopper-%") == len(events)  # every one, once
    receipts = "SELECT count(*) FROM event_receipt WHERE message_id LIKE 'shopper-%'"
    assert await deployment.scalar(receipts) == len(events)

    checked_out = sum(1 for s in crowd if s.checked_out_at)
    figures = await stage_figures(deployment, now)
    assert figures["Consideration"] == (len(crowd), checked_out)
    assert figures["Decision"][0] == checked_out

    # Each team hears about last week; the dead worker's claim on the lost one runs out, and
    # the next attempt finds the message in the channel instead of posting it again.
    await eventually(
        lambda: all(messages(slack, is_digest).get(c) for c in TEAM_CHANNELS),
        within=60,
        what="weekly digest in every team's channel",
        seen=lambda: seen_in_slack(slack),
    )
    lost_id = lost["metadata"]["event_payload"]["notification_id"]

    async def attempts_once_sent() -> int | None:
        sent = "SELECT attempts FROM notification WHERE id = :id AND status = 'sent'"
        return await deployment.scalar(sent, id=lost_id)

    attempts = await eventually(
        attempts_once_sent, within=60, what="lost post recorded as sent", seen=lambda: lost_id
    )
    assert attempts >= 2  # another claim after the dead one's ran out

    [alert] = await eventually(
        lambda: messages(slack, is_alert).get(ALERT_CHANNEL),
        within=90,
        what="alert in the owning team's channel",
        seen=lambda: seen_in_slack(slack),
    )
    assert "Consideration" in alert["text"]

    await click(deployment, alert, AlertButton.ACKNOWLEDGE)

    def updated() -> list[Call]:
        return [
            c
            for c in slack.calls_to("chat.update")
            if c.outcome == "ok" and c["channel"] == ALERT_CHANNEL and c["ts"] == alert["ts"]
        ]

    await eventually(
        updated,
        within=30,
        what="chat.update of the alert message",
        seen=lambda: seen_in_slack(slack),
    )
    # Changed in place; by the clicker's name if users.info answered within its second, else
    # by their handle (bot/people.py), as on a busy machine.
    shown = json.dumps(alert["blocks"])
    assert "Acknowledged by Dana S." in shown or "Acknowledged by dana" in shown, shown
    assert "Track record: would" in shown, shown  # the evidence, computed as it fired

    # Nothing posted twice, nothing lost, nothing elsewhere, all with this mode's token.
    posted_ids = Counter(
        c["metadata"]["event_payload"]["notification_id"]
        for c in slack.calls_to("chat.postMessage")
        if c.outcome in ("ok", "lost")  # both were carried out
    )
    assert set(posted_ids.values()) == {1}, posted_ids
    assert len(posted_ids) == len(TEAM_CHANNELS) + 1  # the digests and the alert
    assert set(slack.messages) == TEAM_CHANNELS
    assert {c: len(m) for c, m in messages(slack, is_digest).items()} == dict.fromkeys(
        TEAM_CHANNELS, 1
    )
    assert {c: len(m) for c, m in messages(slack, is_alert).items() if m} == {ALERT_CHANNEL: 1}

    async def all_recorded_sent() -> bool:  # a worker records a message sent after Slack's answer
        unsent = "SELECT count(*) FROM notification WHERE status <> 'sent'"
        return await deployment.scalar(unsent) == 0

    await eventually(
        all_recorded_sent, within=30, what="outbox all sent", seen=lambda: seen_in_slack(slack)
    )
    assert await deployment.scalar("SELECT count(*) FROM pending_batch") == 0  # all folded
    for web in deployment.webs:  # what an operator scraping /metrics would see
        figures = await scraped(web.url)
        assert figures["journeyops_outbox_messages"] == 0
        assert figures["journeyops_fold_pending_batches"] == 0
    # Web A's processes since its restart took the rest of the stream and count it together.
    accepted = "SELECT count(*) FROM event WHERE message_id LIKE 'shopper-%' AND received_at >= :at"
    counted = (await scraped(deployment.webs[0].url))['journeyops_events_total{result="accepted"}']
    assert counted == await deployment.scalar(accepted, at=crash.restarted_at)
    assert {c.token for c in slack.calls if c.token} == {deployment.slack_token}
    for process in [*deployment.webs, *deployment.workers]:
        log = process.log()
        at = log.find("Traceback")
        assert at < 0, f"{process.name} logged a traceback:\n{log[max(0, at - 300) : at + 3000]}"


@pytest.mark.parametrize("gzip", [False, True])
async def test_segments_library_stores_every_track_and_identify_once(deployment, gzip):
    prefix = f"segment-gzip-{gzip}-{deployment.mode}"
    errors: list[str] = []
    client = SegmentClient(
        write_key=deployment.write_token,
        host=deployment.webs[1].url,
        gzip=gzip,
        upload_interval=LIBRARY_UPLOAD_INTERVAL,
        on_error=lambda error, batch: errors.append(f"{error} ({len(batch)} events)"),
    )
    await asyncio.to_thread(send_library_checks, client, prefix)
    await asyncio.to_thread(client.shutdown)
    assert errors == []
    await assert_stored_with_persona(deployment, prefix)


async def test_rudderstacks_sdk_with_its_defaults_stores_every_track_and_identify_once(
    deployment,
):
    prefix = f"rudderstack-{deployment.mode}"
    errors: list[str] = []
    client = RudderStackClient(
        write_key=deployment.write_token,
        host=deployment.webs[1].url,
        max_retries=RUDDERSTACK_RETRIES,
        upload_interval=LIBRARY_UPLOAD_INTERVAL,
        on_error=lambda error, batch: errors.append(f"{error!r} ({len(batch)} events)"),
    )
    await asyncio.to_thread(send_library_checks, client, prefix)
    await asyncio.to_thread(client.shutdown)
    assert errors == []
    await assert_stored_with_persona(deployment, prefix)


LIBRARY_CUSTOMERS = 60
PERSONA = demo_data.PERSONAS[1]["name"]


def send_library_checks(client: Any, prefix: str) -> None:
    """Per customer an identify naming a persona and three tracks no touchpoint maps (so the
    journey's figures stay the loop's)."""
    at = datetime.now(UTC) - timedelta(hours=2)
    for n in range(LIBRARY_CUSTOMERS):
        customer = f"{prefix}-customer-{n}"
        client.identify(
            user_id=customer, traits={"persona": PERSONA}, timestamp=at, message_id=f"{prefix}-{n}"
        )
        for k in range(3):
            client.track(
                user_id=customer,
                event="Library Check",
                properties={"k": k},
                timestamp=at + timedelta(minutes=k),
                message_id=f"{prefix}-{n}-{k}",
            )


async def assert_stored_with_persona(deployment: Deployment, prefix: str) -> None:
    assert await stored(deployment, f"{prefix}-%") == LIBRARY_CUSTOMERS * 4

    async def with_persona() -> bool:
        count = await deployment.scalar(
            "SELECT count(*) FROM customer c JOIN persona p ON p.workspace_id = c.workspace_id "
            "AND p.id = c.persona_id WHERE c.external_id LIKE :ids AND p.name = :persona",
            ids=f"{prefix}-customer-%",
            persona=PERSONA,
        )
        return count == LIBRARY_CUSTOMERS

    await eventually(
        with_persona, within=30, what=f"persona “{PERSONA}” on every customer", seen=lambda: prefix
    )
