"""Hands the inbox's rows to their incident workflows, oldest first, and deletes each once taken.

One pass reads the oldest rows (up to PASS_ROWS), groups them by workflow id, and sends each
group as one Temporal call (TemporalFeed.send: signal-with-start, or a plain signal for resolves
only), groups in parallel, one call at a time per workflow so an incident sees its alerts in
arrival order. Under a storm rows pile up during a pass, so the next pass carries more per call:
the batching adapts to the load by itself.

- Temporal unavailable: the rows stay, their attempts are counted, the pass ends and the next
  one starts after a pause; nothing is lost and nothing overtakes (rows are re-read by seq).
- Temporal refuses a call for good (INVALID_ARGUMENT), or a row cannot be read: the rows move to
  rejected_events with the reason, so one bad delivery cannot hold later alerts up forever.
- At least once: a receiver stopped between Temporal's answer and the delete sends those rows
  again; each event carries its row's seq and the workflow applies a row once (alerts.first_sight).
- Several receivers may share one database: a Postgres advisory lock per channel (the Temporal
  address, namespace and task queue the rows go to) makes one of them the forwarder; the others
  only write rows, and take over when its session ends.
"""

import asyncio
import json
from collections import defaultdict
from typing import Any

import asyncpg
import structlog

from activities.schema import migrate
from starter.receiver.config import ReceiverConfig
from starter.receiver.deliveries import Delivery
from starter.receiver.inbox import decode
from starter.receiver.metrics import Metrics
from starter.receiver.temporal_feed import TemporalFeed, TemporalRefused, TemporalUnavailable

log = structlog.get_logger("receiver")

PASS_ROWS = 5000  # rows read per pass
PARALLEL_CALLS = 64  # Temporal calls in flight per pass (different incidents)
MAX_EVENTS_PER_CALL = 1000  # far below Temporal's 2 MB payload limit with DESCRIPTION_LIMIT-sized events
IDLE_POLL_SECONDS = 1.0  # rows written by another receiver are found at least this often
_LEADER_LOCK = 7_233  # any constant; with the channel's hash, one forwarder per channel
_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class InboxForwarder:
    def __init__(self, pool: asyncpg.Pool, channel: str, feed: TemporalFeed, config: ReceiverConfig,
                 metrics: Metrics) -> None:  # fmt: skip
        self._pool = pool
        self._channel = channel
        self._feed = feed
        self._config = config
        self._metrics = metrics
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._backoff = float(config.retry_after_seconds)

    def wake(self) -> None:
        """New rows are committed: start a pass now rather than at the next poll."""
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-forwarder")

    async def stop(self) -> None:
        """Finish the pass in flight (its calls and deletes), then stop; rows left wait for the next start."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def forward_pass(self) -> int:
        """One pass; returns how many rows Temporal took. Raises TemporalUnavailable after the others finished."""
        rows = await self._pool.fetch("SELECT seq, workflow_id, delivery FROM alert_inbox WHERE channel = $1"
                                      " ORDER BY seq LIMIT $2", self._channel, PASS_ROWS)  # fmt: skip
        groups: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            groups[row["workflow_id"]].append(row)
        gate = asyncio.Semaphore(PARALLEL_CALLS)

        async def one(workflow_id: str, group: list[asyncpg.Record]) -> list[int]:
            async with gate:
                if self._stopping:  # stopping: the rest waits for the next start, as it would on a crash
                    return []
                return await self._forward_group(workflow_id, group)

        results = await asyncio.gather(*(one(w, g) for w, g in groups.items()), return_exceptions=True)
        taken = [seq for result in results if isinstance(result, list) for seq in result]
        # one delete (one commit) per pass; a stop before it re-sends these rows, which first_sight skips
        await self._pool.execute("DELETE FROM alert_inbox WHERE seq = ANY($1::bigint[])", taken)
        self._metrics.inbox_forwarded(len(taken))
        for result in results:
            if isinstance(result, BaseException):
                raise result  # TemporalUnavailable (rows kept for the next pass), or a bug
        return len(taken)

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                async with self._pool.acquire() as conn:
                    await self._lead(conn)
            except _DATABASE_ERRORS as err:
                log.warning("inbox forwarder: Postgres unavailable", error=str(err))
                await self._pause(self._backoff)
            except Exception as err:  # a bug must not end forwarding for good: log, pause, go on
                log.error("inbox forwarder failed", error=f"{type(err).__name__}: {err}")
                await self._pause(self._backoff)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        """Forward for as long as this receiver holds the lock (its session ends with the connection)."""
        await migrate(self._pool)  # the receiver may start before the worker: the table must exist
        while not self._stopping and not await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))",
                                                                      _LEADER_LOCK, self._channel):
            await self._pause(IDLE_POLL_SECONDS)  # another receiver forwards
        try:
            while not self._stopping:
                self._wakeup.clear()
                try:
                    moved = await self.forward_pass()
                except TemporalUnavailable as err:
                    log.warning("inbox forwarder: Temporal unavailable, rows kept", error=str(err))
                    await self._pause(self._backoff)
                    continue
                if moved == 0:
                    await self._pause(IDLE_POLL_SECONDS)
        finally:
            if not conn.is_closed():
                await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", _LEADER_LOCK, self._channel)

    async def _pause(self, seconds: float) -> None:
        """Sleep until woken (new rows, stop) or `seconds` passed."""
        if self._stopping:
            return
        try:
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        except TimeoutError:
            pass
        if not self._stopping:
            self._wakeup.clear()

    # -- one incident's rows -----------------------------------------------------------------

    async def _forward_group(self, workflow_id: str, rows: list[asyncpg.Record]) -> list[int]:
        """The seqs Temporal took, oldest first; stops at the first call Temporal could not take now."""
        done: list[int] = []
        readable: list[tuple[int, Delivery]] = []
        for row in rows:
            try:
                readable.append((row["seq"], decode(row["delivery"])))
            except ValueError as err:  # written by another release, say: kept aside, never blocking the rest
                await self._set_aside([row], f"unreadable delivery: {err}")
        for chunk in _chunks(readable):
            seqs = [seq for seq, _ in chunk]
            try:
                await self._feed.send(workflow_id, [_stamped(delivery, seq) for seq, delivery in chunk])
            except TemporalUnavailable as err:
                await self._pool.execute("UPDATE alert_inbox SET attempts = attempts + 1, last_error = $2"
                                         " WHERE seq = ANY($1::bigint[])", seqs, str(err)[:500])  # fmt: skip
                if done:  # what went before is in Temporal: delete it now, as the pass would
                    await self._pool.execute("DELETE FROM alert_inbox WHERE seq = ANY($1::bigint[])", done)
                raise  # the later rows of this incident wait too: they must not overtake these
            except TemporalRefused as err:
                await self._set_aside([row for row in rows if row["seq"] in seqs], f"Temporal refused it: {err}")
            else:
                done += seqs
        return done

    async def _set_aside(self, rows: list[asyncpg.Record], reason: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            for row in rows:
                await conn.execute(
                    "INSERT INTO rejected_events (dedup_key, source, service, reason, payload)"
                    " VALUES ($1, 'alert_inbox', $2, $3, $4::jsonb) ON CONFLICT (dedup_key) DO NOTHING",
                    f"inbox-{row['seq']}", _service_named(row["delivery"]), reason[:500], row["delivery"],
                )  # fmt: skip
                await conn.execute("DELETE FROM alert_inbox WHERE seq = $1", row["seq"])
        log.error("inbox rows set aside", workflow_id=rows[0]["workflow_id"], rows=len(rows), reason=reason)


def _service_named(document: str) -> str | None:
    """The catalog service a stored delivery would open an incident for, if it says."""
    delivery: Any = json.loads(document)
    opens = delivery.get("opens") if isinstance(delivery, dict) else None
    service = opens.get("service") if isinstance(opens, dict) else None
    return service if isinstance(service, str) else None


def _stamped(delivery: Delivery, seq: int) -> Delivery:
    events = [event.model_copy(update={"inbox_seq": seq}) for event in delivery.events]
    return Delivery(workflow_id=delivery.workflow_id, actor=delivery.actor, events=events, opens=delivery.opens)


def _chunks(rows: list[tuple[int, Delivery]]) -> list[list[tuple[int, Delivery]]]:
    """Consecutive rows, at most MAX_EVENTS_PER_CALL events each (a bigger row goes alone)."""
    chunks: list[list[tuple[int, Delivery]]] = []
    weight = 0
    for seq, delivery in rows:
        if not chunks or weight + len(delivery.events) > MAX_EVENTS_PER_CALL:
            chunks.append([])
            weight = 0
        chunks[-1].append((seq, delivery))
        weight += len(delivery.events)
    return chunks
