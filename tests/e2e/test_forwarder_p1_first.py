"""The inbox forwarder (real Postgres inbox and leadership; Temporal, the far edge, replaced by a feed
that records its calls) sends a P1's deliveries first and without waiting for a call slot, however
many slow calls of a storm hold them, starts no storm call while a P1's is in flight (for a bounded time:
starter/intake/p1_first.py) and then only at a pace, and a P1's route statements do not queue behind the storm's for a
connection: a P1's page must not wait for the storm's updates (bench B7); and a storm that never pauses
is forwarded while it pours in, nothing lost."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import pytest

from receiver.config import ReceiverConfig
from receiver.metrics import Metrics
from starter.intake import forwarder as forwarder_module
from starter.intake.alertmanager import delivery_from_webhook
from starter.intake.deliveries import Delivery
from starter.intake.forwarder import InboxForwarder
from starter.intake.inbox import Inbox
from starter.intake.intake_first import HOLD_AT_MOST_SECONDS, RELEASE_SECONDS
from starter.intake.p1_first import STORM_CALLS_PER_SECOND
from starter.intake.payloads import AlertmanagerWebhook
from stores.alert_routes import CONNECTIONS_AT_ONCE, AlertRoutes, Route
from tests.e2e.receiver_support import TOKEN, fresh_group


class SlowStormFeed:
    """Temporal as a storm makes it: every call for a warning group hangs until released."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.release = asyncio.Event()

    def forget_routes(self) -> None:
        """No routes are kept here: nothing to read again."""

    async def send(self, route: str, deliveries: list[Delivery]) -> None:
        if all(d.opens is not None and d.opens.severity != "critical" for d in deliveries):
            await self.release.wait()
        self.sent.append(route)


async def test_a_p1_is_forwarded_while_slow_storm_calls_hold_every_call_slot(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(forwarder_module, "PARALLEL_CALLS", 2)
    feed = SlowStormFeed()
    # the P1 last, behind four groups that will each hold a call
    async with forwarding(pool, feed, ["warning"] * 4 + ["critical"]) as sent:
        p1 = sent[-1]
        try:
            await until(lambda: p1.route in feed.sent, f"the P1 was not forwarded; sent {feed.sent}", 10)
            assert feed.sent == [p1.route]  # before any storm call came back
        finally:
            feed.release.set()


async def test_a_p1s_route_statements_go_through_while_the_storms_hold_every_route_connection(pool: asyncpg.Pool):
    channel = f"test-lane-{uuid.uuid4().hex[:8]}"
    routes = AlertRoutes(pool, channel, timeout=10)
    storm = [f"storm-{i}" for i in range(CONNECTIONS_AT_ONCE)]
    for route in storm:
        await routes.mark_started(route, (await routes.reserve(route, None)).workflow_id)
    async with pool.acquire() as holder, holder.transaction():
        # the storm's next incidents are being numbered while their rows are locked: every statement
        # the storm may have in flight waits, as on a slow or busy database
        await holder.execute("SELECT 1 FROM alert_routes WHERE channel = $1 FOR UPDATE", channel)
        held = [asyncio.create_task(routes.reserve(route, "before")) for route in storm]
        waiting = asyncio.create_task(routes.current("storm-next"))
        await asyncio.sleep(0.3)
        assert not any(task.done() for task in [*held, waiting])  # every storm lane is taken
        opened = await asyncio.wait_for(routes.reserve("the-p1", None, urgent=True), 5)
        await asyncio.wait_for(routes.mark_started("the-p1", opened.workflow_id, urgent=True), 5)
        assert await asyncio.wait_for(routes.current("the-p1", urgent=True), 5) == Route(
            opened.workflow_id, None, started=True
        )
        assert not waiting.done()  # the storm's statement still waits for its lane
    await asyncio.gather(*held, waiting)
    await pool.execute("DELETE FROM alert_routes WHERE channel = $1", channel)


class P1HangsFeed:
    """Temporal as seen while a P1 opens: its call returns when released; the storm's at once."""

    def __init__(self) -> None:
        self.story: list[tuple[str, str]] = []  # ("start" | "end", "p1" | "storm"), in order
        self.release = asyncio.Event()

    def forget_routes(self) -> None:
        """No routes are kept here: nothing to read again."""

    async def send(self, route: str, deliveries: list[Delivery]) -> None:
        who = "p1" if any(d.opens is not None and d.opens.severity == "critical" for d in deliveries) else "storm"
        self.story.append(("start", who))
        if who == "p1":
            await self.release.wait()
        self.story.append(("end", who))


@asynccontextmanager
async def forwarding(pool: asyncpg.Pool, feed: object, severities: list[str]) -> AsyncIterator[list[Delivery]]:
    """A forwarder leading a fresh channel whose inbox holds one new group per severity, in that order;
    yields the deliveries, and stops and clears it all after."""
    config = ReceiverConfig(ingest_token=TOKEN, task_queue="nobody")
    channel = f"test-p1-{uuid.uuid4().hex[:8]}"
    inbox = Inbox(pool, channel, config, on_commit=lambda: None)
    sent = [delivery_from_webhook(AlertmanagerWebhook.model_validate(fresh_group(severity=severity)), "checkout",
                                  config, datetime.now(UTC)) for severity in severities]  # fmt: skip
    for one in sent:
        await inbox.put(one)
    forwarder = InboxForwarder(pool, channel, feed, config, Metrics())  # type: ignore[arg-type]
    forwarder.start()
    try:
        yield sent
    finally:
        await forwarder.stop()
        await inbox.close()
        await pool.execute("DELETE FROM alert_inbox WHERE channel = $1", channel)


async def until(done: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_no_storm_call_starts_while_a_p1s_is_in_flight(pool: asyncpg.Pool):
    feed = P1HangsFeed()
    async with forwarding(pool, feed, ["critical"] + ["warning"] * 4):
        try:
            await until(lambda: ("start", "p1") in feed.story, "the P1's call never started")
            await asyncio.sleep(1.0)  # within the longest hold: the storm must not have started
            assert feed.story == [("start", "p1")]
            feed.release.set()
            await until(lambda: feed.story.count(("end", "storm")) == 4, f"the storm was not forwarded: {feed.story}")
            assert feed.story[:2] == [("start", "p1"), ("end", "p1")]  # every storm call after the P1's
        finally:
            feed.release.set()


async def test_a_p1_call_that_never_returns_holds_the_storm_only_for_a_while(pool: asyncpg.Pool):
    feed = P1HangsFeed()
    async with forwarding(pool, feed, ["critical"] + ["warning"] * 4):
        try:
            await until(lambda: feed.story.count(("end", "storm")) == 4, f"the storm waited for good: {feed.story}")
            assert ("end", "p1") not in feed.story  # the P1's call is still in flight
        finally:
            feed.release.set()


class P1HangsTimedFeed(P1HangsFeed):
    """P1HangsFeed, and when each storm call started."""

    def __init__(self) -> None:
        super().__init__()
        self.storm_starts: list[float] = []

    async def send(self, route: str, deliveries: list[Delivery]) -> None:
        if not any(d.opens is not None and d.opens.severity == "critical" for d in deliveries):
            self.storm_starts.append(time.monotonic())
        await super().send(route, deliveries)


async def test_released_beside_a_p1_the_storms_calls_start_at_a_pace_and_all_go(pool: asyncpg.Pool):
    """Released all at once, a storm's new incidents took the cores a P1's page needed (bench B7)."""
    feed, storm = P1HangsTimedFeed(), 10
    async with forwarding(pool, feed, ["critical"] + ["warning"] * storm):
        try:
            await until(lambda: len(feed.storm_starts) == storm, f"the storm was not forwarded: {feed.story}")
            gaps = [b - a for a, b in zip(feed.storm_starts, feed.storm_starts[1:], strict=False)]
            assert min(gaps) >= 0.9 / STORM_CALLS_PER_SECOND, f"storm calls started {gaps} s apart"
            assert ("end", "p1") not in feed.story  # all of it beside the P1's call in flight
        finally:
            feed.release.set()
    assert feed.story.count(("end", "storm")) == storm  # nothing lost


async def test_a_storm_of_p1s_takes_the_storm_lanes_too_not_one_statement_at_a_time(pool: asyncpg.Pool):
    """Every service down at once: every alert a P1. One P1's statement waiting must not hold up the next."""
    channel = f"test-lanes-{uuid.uuid4().hex[:8]}"
    routes = AlertRoutes(pool, channel, timeout=10)
    await routes.reserve("p1-first", None, urgent=True)
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("SELECT 1 FROM alert_routes WHERE channel = $1 FOR UPDATE", channel)
        waiting = asyncio.create_task(routes.reserve("p1-first", "before", urgent=True))  # holds the P1s' lane
        await asyncio.sleep(0.3)
        assert not waiting.done()
        await asyncio.wait_for(routes.reserve("p1-second", None, urgent=True), 5)  # on a storm lane
    await waiting
    await pool.execute("DELETE FROM alert_routes WHERE channel = $1", channel)


POURING_SECONDS = 6.0  # three of the intake-first hold's longest holds and releases
assert POURING_SECONDS >= 3 * (HOLD_AT_MOST_SECONDS + RELEASE_SECONDS)


class TimedFeed:
    """Temporal answering at once; when each call started, and how many deliveries it carried."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, int]] = []

    def forget_routes(self) -> None:
        """No routes are kept here: nothing to read again."""

    async def send(self, route: str, deliveries: list[Delivery]) -> None:
        self.calls.append((time.monotonic(), len(deliveries)))


async def test_a_storm_that_never_pauses_is_forwarded_while_it_pours_in_and_nothing_is_lost(pool: asyncpg.Pool):
    """The intake-first hold (starter/intake/intake_first.py) lets a burst's deliveries be answered
    before they are forwarded, for a bounded time: a storm that goes on is forwarded while it goes on."""
    config = ReceiverConfig(ingest_token=TOKEN, task_queue="nobody")
    channel = f"test-burst-{uuid.uuid4().hex[:8]}"
    inbox = Inbox(pool, channel, config, on_commit=lambda: None)
    groups = [fresh_group(severity="warning") for _ in range(10)]
    feed, put = TimedFeed(), 0
    forwarder = InboxForwarder(pool, channel, feed, config, Metrics())  # type: ignore[arg-type]
    forwarder.start()
    try:
        pouring_until = time.monotonic() + POURING_SECONDS
        while time.monotonic() < pouring_until:  # a burst all along: 10 rows every 20 ms
            received = datetime.now(UTC)
            await asyncio.gather(*(inbox.put(delivery_from_webhook(AlertmanagerWebhook.model_validate(group),
                                                                   "checkout", config, received))
                                   for group in groups))  # fmt: skip
            put += len(groups)
            await asyncio.sleep(0.02)
        # a longest hold and a release fit in the storm's last seconds: calls went out while it poured
        late = pouring_until - (HOLD_AT_MOST_SECONDS + RELEASE_SECONDS)
        assert any(late <= at < pouring_until for at, _ in feed.calls), "the storm's rows waited until it paused"
        await until(lambda: sum(n for _, n in feed.calls) == put, f"forwarded {feed.calls} of {put}", 30)
    finally:
        await forwarder.stop()
        await inbox.close()
        await pool.execute("DELETE FROM alert_inbox WHERE channel = $1", channel)
