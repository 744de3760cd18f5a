"""The process's LiveListener: NOTIFYs fan out to subscribers, and survive a lost connection."""

import asyncio
import contextlib
import json

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from domain import live
from infrastructure.live import APPLICATION_NAME, LiveListener
from tests.support.waiting import eventually


@pytest.fixture
async def listener(database_url):
    listener = LiveListener(database_url)
    await listener.start()
    yield listener
    await listener.stop()


async def _publish(engine, payload: dict) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": live.Topic.OBSERVATION_LOGGED.value, "payload": json.dumps(payload)},
        )


async def _first(messages, timeout: float = 2.0):
    return await asyncio.wait_for(anext(messages), timeout)


async def test_every_subscriber_of_a_topic_gets_each_message(listener, engine):
    def registered() -> tuple[int, ...]:
        topics = (live.Topic.OBSERVATION_LOGGED, live.Topic.ALERT_FIRED)
        return tuple(listener.subscriber_count(topic) for topic in topics)

    one = listener.messages(live.Topic.OBSERVATION_LOGGED)
    two = listener.messages(live.Topic.OBSERVATION_LOGGED)
    alerts = listener.messages(live.Topic.ALERT_FIRED)
    first, second = asyncio.ensure_future(_first(one)), asyncio.ensure_future(_first(two))
    alert = asyncio.ensure_future(_first(alerts, timeout=0.5))
    await eventually(
        lambda: registered() == (2, 1),
        within=5,
        what="subscribers registered with the listener",
        seen=registered,
    )

    await _publish(engine, {"n": 1})

    assert await first == await second == {"n": 1}
    with pytest.raises(TimeoutError):
        await alert
    for messages in (one, two, alerts):
        await messages.aclose()


async def test_the_listener_reconnects_when_its_connection_is_killed(listener, engine):
    async with engine.begin() as connection:
        killed = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        )
    assert killed == 1

    assert await _published_until_heard(listener, engine) is not None  # LISTEN back in place
    # The killed backend may still deliver a notice before it exits: what proves the
    # reconnection is a notice arriving once LISTEN is in place again.
    assert await _published_until_heard(listener, engine, once_listening=True) is not None
    await asyncio.wait_for(listener.listening.wait(), timeout=10)


async def _published_until_heard(listener, engine, *, once_listening: bool = False):
    """The first notice a subscriber hears, publishing one an attempt (50 at most; with
    `once_listening`, each once the listener says LISTEN is in place); None if none is heard.
    A timed-out wait ends its generator, so each attempt subscribes afresh."""
    for attempt in range(50):
        if once_listening:
            await asyncio.wait_for(listener.listening.wait(), timeout=10)
        waiting = asyncio.ensure_future(
            _first(listener.messages(live.Topic.OBSERVATION_LOGGED), timeout=0.2)
        )
        await asyncio.sleep(0.01)
        await _publish(engine, {"attempt": attempt})
        with contextlib.suppress(TimeoutError):
            return await waiting
    return None


async def test_a_database_url_that_sets_ssl_as_the_engine_takes_it_is_listened_to(
    database_url, engine
):
    """`?ssl=…` is how the engine's URL (SQLAlchemy's asyncpg dialect) asks for TLS or not;
    asyncpg's own URLs spell it `sslmode`, and with `ssl` left in, the server refused every
    connection of the listener."""
    url = make_url(database_url).update_query_dict({"ssl": "disable"})
    listener = LiveListener(url.render_as_string(hide_password=False))
    await listener.start()
    try:
        assert listener.listening.is_set()
        messages = listener.messages(live.Topic.OBSERVATION_LOGGED)
        first = asyncio.ensure_future(_first(messages))
        await eventually(
            lambda: listener.subscriber_count(live.Topic.OBSERVATION_LOGGED) == 1,
            within=5,
            what="subscriber registered with the listener",
            seen=lambda: listener.subscriber_count(live.Topic.OBSERVATION_LOGGED),
        )
        await _publish(engine, {"over": "ssl=disable"})
        assert await first == {"over": "ssl=disable"}
        await messages.aclose()
    finally:
        await listener.stop()
