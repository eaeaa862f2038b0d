"""The receiver's durable intake: a delivery is a committed `alert_inbox` row before its 2xx.

    inbox = Inbox(pool, channel_of(client, config), config, on_commit=forwarder.wake)
    await inbox.put(delivery)        # returns once the row is committed; InboxUnavailable otherwise

Requests arriving together share one INSERT and one commit (the Coalescer on a single lane:
while one insert commits, the next requests wait and then go in together), so a storm costs
Postgres a commit per batch, not per request. The forwarder (forwarder.py) takes it from there.
"""

from collections.abc import Callable

import asyncpg
from pydantic import TypeAdapter
from temporalio.client import Client

from receiver.config import DATABASE_ERRORS, ReceiverConfig
from receiver.database import bounded
from receiver.refusals import is_data_error
from starter.intake.coalescer import Coalescer
from starter.intake.deliveries import Delivery
from stores import inbox

DELIVERY = TypeAdapter(Delivery)
MAX_ROWS_PER_INSERT = 500  # one statement's parameters stay small; a bigger burst takes a few commits
_LANE = "inbox"  # one lane: this process writes one batch at a time


def channel_of(client: Client, config: ReceiverConfig) -> str:
    """Which Temporal this receiver's rows go to: another receiver's forwarder must not take them."""
    return f"{client.service_client.config.target_host}/{client.namespace}/{config.task_queue}"


class InboxUnavailable(Exception):
    """Postgres did not take the delivery: nothing was stored, the sender must retry (503)."""


class InboxRefused(ValueError):
    """Postgres can never store this delivery (a data error): a retry would fail the same way (400)."""


def encode(delivery: Delivery) -> str:
    return DELIVERY.dump_json(delivery).decode()


def decode(document: str) -> Delivery:
    return DELIVERY.validate_json(document)  # parsed and validated in one pass (pydantic-core)


class Inbox:
    def __init__(self, pool: asyncpg.Pool, channel: str, config: ReceiverConfig, on_commit: Callable[[], None]) -> None:
        self._pool = pool
        self._channel = channel
        self._timeout = config.database_timeout.total_seconds()
        self._on_commit = on_commit
        self._lane: Coalescer[Delivery, dict[int, str]] = Coalescer(self._insert, max_weight=MAX_ROWS_PER_INSERT)

    async def put(self, delivery: Delivery) -> None:
        refused = await self._lane.submit(_LANE, delivery)
        if id(delivery) in refused:
            raise InboxRefused(refused[id(delivery)])

    async def close(self) -> None:
        """Refuse new deliveries (CoalescerClosed), then wait for the inserts in flight."""
        await self._lane.close()

    async def _insert(self, _lane: str, deliveries: list[Delivery]) -> dict[int, str]:
        """Commit the batch; returns the deliveries (by id()) Postgres refused as data, and why."""
        refused: dict[int, str] = {}
        try:
            async with bounded(self._pool, self._timeout) as conn:
                try:
                    await inbox.put(conn, self._channel, [d.route for d in deliveries], [encode(d) for d in deliveries])
                except DATABASE_ERRORS as err:
                    if not is_data_error(err):
                        raise
                    refused = await self._one_by_one(conn, deliveries)
        except DATABASE_ERRORS as err:
            raise InboxUnavailable(f"{type(err).__name__}: {err}") from err
        if len(refused) < len(deliveries):
            self._on_commit()
        return refused

    async def _one_by_one(self, conn: asyncpg.Connection, deliveries: list[Delivery]) -> dict[int, str]:
        """One delivery Postgres cannot hold must not refuse the others sharing its INSERT: each gets its
        own savepoint, and the ones it took commit together."""
        refused: dict[int, str] = {}
        async with conn.transaction():
            for delivery in deliveries:
                try:
                    async with conn.transaction():
                        await inbox.put(conn, self._channel, [delivery.route], [encode(delivery)])
                except DATABASE_ERRORS as err:
                    if not is_data_error(err):
                        raise
                    refused[id(delivery)] = getattr(err, "message", "") or str(err)
        return refused
