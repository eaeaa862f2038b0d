"""The inbox between the receiver's 2xx and Temporal: at least once, applied once, never stuck.

These drive an Inbox and an InboxForwarder by hand (no background task: `forward_pass()` is called
when the test says so) on a channel of their own, against the session's real dev server, worker
and Postgres.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError

from domain.alerts import AlertEvent
from receiver.config import ReceiverConfig
from receiver.metrics import Metrics
from starter.intake import forwarder as forwarder_module
from starter.intake import inbox_rows
from starter.intake.alertmanager import delivery_from_webhook
from starter.intake.deliveries import Delivery
from starter.intake.forwarder import InboxForwarder
from starter.intake.inbox import Inbox
from starter.intake.inbox_rows import chunks
from starter.intake.payloads import AlertmanagerWebhook
from starter.intake.temporal_feed import TemporalFeed
from stores.alert_routes import AlertRoutes
from stores.incidents import NEXT_NUMBER
from tests.e2e.receiver_support import TOKEN, fresh_group, inbox_drained, view_when, with_status


@dataclass
class ByHand:
    inbox: Inbox
    forwarder: InboxForwarder
    channel: str
    pool: asyncpg.Pool
    client: Client
    config: ReceiverConfig

    def delivery(self, body: dict[str, object]) -> Delivery:
        return delivery_from_webhook(AlertmanagerWebhook.model_validate(body), "checkout", self.config,
                                     datetime.now(UTC))  # fmt: skip

    async def rows(self) -> list[asyncpg.Record]:
        return await self.pool.fetch("SELECT * FROM alert_inbox WHERE channel = $1 ORDER BY seq", self.channel)

    async def view_when(self, workflow_id: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        return await view_when(self.client, workflow_id, ready, pool=self.pool)


@pytest_asyncio.fixture(loop_scope="session")
async def by_hand(dev_client: Client, pool: asyncpg.Pool, dev_worker: str) -> AsyncIterator[ByHand]:
    config = ReceiverConfig(ingest_token=TOKEN, task_queue=dev_worker)
    channel = f"test-{uuid.uuid4().hex[:8]}"
    metrics = Metrics()
    routes = AlertRoutes(pool, channel, config.database_timeout.total_seconds())
    forwarder = InboxForwarder(pool, channel, TemporalFeed(dev_client, routes, config, metrics), config, metrics)
    inbox = Inbox(pool, channel, config, on_commit=lambda: None)
    yield ByHand(inbox, forwarder, channel, pool, dev_client, config)
    await inbox.close()


async def test_rows_sent_again_after_a_stop_before_their_delete_are_applied_once(by_hand: ByHand) -> None:
    group = fresh_group()  # two firing alerts
    first, second = by_hand.delivery(group), by_hand.delivery(group)
    await by_hand.inbox.put(first)
    await by_hand.inbox.put(second)
    saved = await by_hand.rows()
    assert [row["workflow_id"] for row in saved] == [first.route] * 2

    assert await by_hand.forwarder.forward_pass() == 2
    assert await by_hand.rows() == []
    await by_hand.view_when(first.route, lambda v: v["alerts"]["occurrences"] >= 4)

    # the receiver stopped after Temporal took them and before the delete: the same rows are there again
    for row in saved:
        await by_hand.pool.execute("INSERT INTO alert_inbox (seq, channel, workflow_id, delivery) VALUES ($1, $2, $3, $4)",
                                   row["seq"], row["channel"], row["workflow_id"], row["delivery"])  # fmt: skip
    assert await by_hand.forwarder.forward_pass() == 2  # Temporal takes them again...

    await by_hand.inbox.put(by_hand.delivery(group))  # a new delivery still counts
    assert await by_hand.forwarder.forward_pass() == 1
    view = await by_hand.view_when(first.route, lambda v: v["alerts"]["occurrences"] >= 6)
    assert view["alerts"]["occurrences"] == 6  # ...and the incident applied the repeated rows once (else 10)


async def test_a_row_temporal_refuses_for_good_or_that_cannot_be_read_is_set_aside_and_holds_nothing_up(
    by_hand: ByHand,
) -> None:
    good = by_hand.delivery(fresh_group())
    # over Temporal's 2 MB payload limit: refused for good (INVALID_ARGUMENT), however often it is sent
    huge = [event.model_copy(update={"description": "x" * 2_100_000}) for event in good.events[:1]]
    bad = Delivery(route=f"{good.route}-huge", actor=good.actor, events=huge, opens=good.opens)
    await by_hand.inbox.put(bad)
    await by_hand.inbox.put(good)
    await by_hand.pool.execute("INSERT INTO alert_inbox (channel, workflow_id, delivery) VALUES ($1, $2, $3)",
                               by_hand.channel, good.route, '{"written_by": "a future release"}')  # fmt: skip
    [bad_row, _, unreadable_row] = await by_hand.rows()

    assert await by_hand.forwarder.forward_pass() == 1  # the good one
    assert await by_hand.rows() == []
    await by_hand.view_when(good.route, lambda v: v["alerts"]["occurrences"] == 2)
    rejected = await by_hand.pool.fetchrow("SELECT source, service, reason FROM rejected_events WHERE dedup_key = $1",
                                           f"inbox-{bad_row['seq']}")  # fmt: skip
    assert rejected is not None and rejected["source"] == "alert_inbox" and rejected["service"] == "checkout"
    assert rejected["reason"].startswith("Temporal refused it")
    unreadable = await by_hand.pool.fetchval("SELECT reason FROM rejected_events WHERE dedup_key = $1",
                                             f"inbox-{unreadable_row['seq']}")  # fmt: skip
    assert unreadable.startswith("unreadable delivery")


async def test_rows_of_one_incident_arriving_together_go_in_one_call_in_arrival_order(by_hand: ByHand) -> None:
    group = fresh_group()
    deliveries = [by_hand.delivery(group) for _ in range(4)] + [by_hand.delivery(with_status(group, "resolved"))]
    for delivery in deliveries:
        await by_hand.inbox.put(delivery)
    metrics = by_hand.forwarder._metrics  # noqa: SLF001 - the forwarder's own counters are what is checked

    def carrying() -> int:  # calls that took deliveries (a new group first asks an older incident: declined)
        return sum(n for labels, n in metrics.temporal_calls.items() if ("outcome", "ok") in labels)

    calls_before = carrying()
    assert await by_hand.forwarder.forward_pass() == 5
    assert carrying() - calls_before == 1
    view = await by_hand.view_when(deliveries[0].route, lambda v: v["number"] is not None)
    assert view["alerts"]["firing"] == 0  # the resolve came last, so it is what stands


async def test_of_two_receivers_on_one_channel_one_forwards_and_the_other_takes_over_when_it_stops(
    by_hand: ByHand, dev_client: Client
) -> None:
    def forwarder() -> InboxForwarder:
        metrics = Metrics()
        return InboxForwarder(by_hand.pool, by_hand.channel, TemporalFeed(dev_client, AlertRoutes(by_hand.pool, by_hand.channel, 5.0), by_hand.config, metrics),
                              by_hand.config, metrics)  # fmt: skip

    def forwarded(f: InboxForwarder) -> int:
        return sum(f._metrics.forwarded.values())  # noqa: SLF001

    async def drained() -> None:
        await inbox_drained(by_hand.pool, by_hand.channel)

    first, second = forwarder(), forwarder()
    first.start()
    await asyncio.sleep(0.5)  # first holds the channel's lock by now
    second.start()
    try:
        for _ in range(3):
            await by_hand.inbox.put(by_hand.delivery(fresh_group()))
        first.wake()
        await drained()
        assert (forwarded(first), forwarded(second)) == (3, 0)

        await first.stop()  # its session's lock goes with it: the other one forwards from now on
        for _ in range(2):
            await by_hand.inbox.put(by_hand.delivery(fresh_group()))
        await drained()
        assert (forwarded(first), forwarded(second)) == (3, 2)
    finally:
        await first.stop()
        await second.stop()


async def test_rows_another_receiver_commits_reach_the_forwarding_one_at_once_not_at_its_next_poll(
    by_hand: ByHand, dev_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forwarder_module, "IDLE_POLL_SECONDS", 3600.0)  # from now on only a notification wakes it
    metrics = Metrics()
    leader = InboxForwarder(by_hand.pool, by_hand.channel, TemporalFeed(dev_client, AlertRoutes(by_hand.pool, by_hand.channel, 5.0), by_hand.config, metrics),
                            by_hand.config, metrics)  # fmt: skip
    leader.start()
    try:
        # by_hand.inbox stands for the other receiver: its commits call no wake() of this forwarder
        await by_hand.inbox.put(by_hand.delivery(fresh_group()))
        await inbox_drained(by_hand.pool, by_hand.channel)  # it leads, and waits for its next poll in an hour
        await by_hand.inbox.put(by_hand.delivery(fresh_group()))
        await inbox_drained(by_hand.pool, by_hand.channel)
        assert sum(metrics.forwarded.values()) == 2
    finally:
        await leader.stop()


async def test_a_leader_remembers_its_routes_and_reads_them_again_when_it_begins_to_lead(
    by_hand: ByHand, dev_client: Client
) -> None:
    """A storm's updates ask alert_routes nothing (the leader alone writes it), but what another leader
    wrote while this receiver did not lead is read again: its incident is fed, not a stale number."""
    routes, metrics = AlertRoutes(by_hand.pool, by_hand.channel, 5.0), Metrics()
    delivery = by_hand.delivery(fresh_group())
    remembered = await routes.reserve(delivery.route, None)  # this receiver led once and numbered the group
    assert await routes.current(delivery.route) == remembered
    # then another receiver led and gave the group its next number
    others = await by_hand.pool.fetchval(
        f"UPDATE alert_routes SET workflow_id = ({NEXT_NUMBER}) WHERE channel = $1 AND route = $2 RETURNING workflow_id",
        by_hand.channel, delivery.route)  # fmt: skip
    assert await routes.current(delivery.route) == remembered  # from memory: no statement
    leader = InboxForwarder(by_hand.pool, by_hand.channel, TemporalFeed(dev_client, routes, by_hand.config, metrics),
                            by_hand.config, metrics)  # fmt: skip
    await by_hand.inbox.put(delivery)
    leader.start()
    try:
        await inbox_drained(by_hand.pool, by_hand.channel)
    finally:
        await leader.stop()
    assert (await dev_client.get_workflow_handle(others).describe()).status is not None  # the other leader's number
    with pytest.raises(RPCError):
        await dev_client.get_workflow_handle(remembered.workflow_id).describe()  # never started


def test_a_call_carries_at_most_a_thousand_events_and_a_megabyte_and_a_bigger_row_goes_alone() -> None:
    def rows(*shapes: tuple[int, int]) -> list[tuple[dict[str, object], Delivery]]:
        """(events, bytes of stored JSON) per row."""
        event = AlertEvent(key="a", status="firing", at=datetime.now(UTC))
        return [({"seq": i, "delivery": "x" * size}, Delivery(route="w", actor="alertmanager",
                                                               events=[event] * count, opens=None))
                for i, (count, size) in enumerate(shapes)]  # fmt: skip

    def seqs(batches: list[list[tuple[dict[str, object], Delivery]]]) -> list[list[object]]:
        return [[row["seq"] for row, _ in batch] for batch in batches]

    assert seqs(chunks(rows((400, 10), (400, 10), (400, 10)))) == [[0, 1], [2]]  # events
    assert seqs(chunks(rows((1, 400_000), (1, 400_000), (1, 400_000)))) == [[0, 1], [2]]  # bytes
    assert seqs(chunks(rows((1, 10), (1500, 10), (1, 10)))) == [[0], [1], [2]]  # too many events alone
    assert seqs(chunks(rows((1, 10), (1, 1_500_000), (1, 10)))) == [[0], [1], [2]]  # too big alone


async def test_a_batch_temporal_refuses_as_too_large_is_sent_again_row_by_row(
    by_hand: ByHand, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The byte bound keeps calls far below Temporal's 2 MB; without it, the fallback still delivers every row."""
    monkeypatch.setattr(inbox_rows, "MAX_BYTES_PER_CALL", 10_000_000)
    group = fresh_group()
    template = by_hand.delivery(group)
    for k in range(3):  # 0.9 MB each: 2.7 MB together
        event = template.events[0].model_copy(update={"key": f"big-{k}", "description": "x" * 900_000})
        await by_hand.inbox.put(Delivery(route=template.route, actor=template.actor, events=[event],
                                         opens=template.opens))  # fmt: skip
    calls_before = dict(by_hand.forwarder._metrics.temporal_calls)  # noqa: SLF001
    assert await by_hand.forwarder.forward_pass() == 3
    calls = by_hand.forwarder._metrics.temporal_calls  # noqa: SLF001
    failed = sum(n for labels, n in calls.items() if ("outcome", "failed") in labels) - sum(
        n for labels, n in calls_before.items() if ("outcome", "failed") in labels
    )
    assert failed == 1  # the batch of three, refused once; then three single calls taken
    view = await by_hand.view_when(template.route, lambda v: v["alerts"]["occurrences"] >= 3)
    assert view["alerts"] == {"firing": 3, "occurrences": 3, "keys": 3}
