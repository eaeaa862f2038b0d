"""Hands the inbox's rows to their incident workflows, oldest first, and deletes each once taken.

The leader reads the oldest rows, groups them by alert group (route), and sends each group as one
Temporal call (TemporalFeed.send: the `alerts` update to the group's incident, or signal-with-start
of its next one), groups in parallel, one call at a time per group so an incident sees its alerts
in arrival order. Under a storm rows pile up behind a group's call in flight, so its next call
carries more: the batching adapts to the load by itself. `forward_pass` is one whole round of that
(tests drive it by hand); the background loop does not wait for a round to end before a group's
next call (`_forward_continuously`).

- Temporal unavailable: the rows stay, their attempts are counted, the pass ends and the next
  one starts after a pause; nothing is lost and nothing overtakes (rows are re-read by seq).
- Temporal refuses a call for good (INVALID_ARGUMENT), or a row cannot be read: the rows move to
  rejected_events with the reason, so one bad delivery cannot hold later alerts up forever.
- At least once: a receiver stopped between Temporal's answer and the pass's delete sends those
  rows again; each event carries its row's seq and the workflow applies a row once
  (alerts.first_sight remembers the last INBOX_MEMORY rows; a pass sends at most ROWS_PER_INCIDENT
  of one incident, fewer). An incident that closed in between would take them as a new one.
- Several receivers may share one database: a Postgres advisory lock per channel (the Temporal
  address, namespace and task queue the rows go to) makes one of them the forwarder; the others
  only write rows, and take over when its session ends. The leader reads and deletes on the
  session that holds the lock, so a leader whose session was cut stops at its next statement.
- A P1 goes first: its deliveries' call starts before any other and needs no free call slot, and
  while it is in flight (and a moment after) no other incident's call starts, for a bounded time, and
  then they start at a pace (starter/intake/p1_first.py): the server's work for a storm's incidents
  must not stand between a P1 and its page.
- While a storm's deliveries pour in, they are answered before they are forwarded: no call but a
  P1's starts while rows arrive as a burst, for a bounded time (starter/intake/intake_first.py).
- The leader hears of new rows at once, whichever receiver wrote them: its session LISTENs to the
  inbox's notifications (every insert sends one at commit), and its own receiver also calls wake().
  The poll (IDLE_POLL_SECONDS) stays as the fallback for a notification that never came.
"""

import asyncio
import contextlib
import time
from collections import defaultdict
from typing import Any

import asyncpg
import structlog

from domain.alerts import INBOX_MEMORY
from receiver.config import DATABASE_ERRORS, ReceiverConfig
from receiver.metrics import Metrics
from starter.intake.deliveries import Delivery
from starter.intake.inbox import decode
from starter.intake.inbox_rows import Row, chunks, set_aside, stamped
from starter.intake.intake_first import IntakeFirst
from starter.intake.p1_first import P1First, UrgentRoutes
from starter.intake.temporal_feed import TemporalFeed, TemporalRefused, TemporalUnavailable
from stores import inbox
from stores.schema import migrate

log = structlog.get_logger("receiver")

PASS_ROWS = 5000  # rows read per pass
ROWS_PER_INCIDENT = 500  # per pass: what a stop before the pass's delete can send twice
# Temporal calls in flight (different incidents; a P1's first call never waits for one). Under a storm
# the calls' rows batch up behind them, so more calls do not forward more rows: they only lengthen the
# server's queue in which a P1's start waits (make bench B7 with BENCH_CPUS=1).
PARALLEL_CALLS = 16
GATHER_SECONDS = 0.02  # calls ending this close together share a read and a delete (make bench B2)
# A group's next call waits this long after its last began, so a storm's rows go in fewer, larger calls
# (a call per completion costs the receiver's intake and the server's CPU that a P1 needs: make bench
# B2, B13, B7); a new incident's first call never waits (B7). An alert of a running incident may so
# reach it up to a second later; Alertmanager itself repeats a group's alerts minutes apart.
ROUTE_GAP_SECONDS = 1.0
IDLE_POLL_SECONDS = 1.0  # rows are found at least this often, even if their notification was missed
STOP_SECONDS = 20.0  # a pass still running then is cancelled: its rows stay in the inbox
# The incidents' calls note failures and set rows aside on the receiver's shared pool: one such
# statement at a time (besides the leader's session and stores.alert_routes' share), so they never
# take the connections its other routes need.
ROW_UPDATES_AT_ONCE = 1
assert ROWS_PER_INCIDENT < INBOX_MEMORY, "a re-sent pass must stay within what the workflow remembers"


class InboxForwarder:
    def __init__(
        self, pool: asyncpg.Pool, channel: str, feed: TemporalFeed, config: ReceiverConfig, metrics: Metrics
    ) -> None:
        self._pool = pool
        self._channel = channel
        self._feed = feed
        self._metrics = metrics
        self._timeout = config.database_timeout.total_seconds()
        self._backoff = float(config.retry_after_seconds)
        self._new_rows = asyncio.Event()
        self._row_updates = asyncio.Semaphore(ROW_UPDATES_AT_ONCE)
        # across rounds: a hold's bound holds however often Temporal fails
        self._p1_first, self._intake_first = P1First(), IntakeFirst()
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New rows are committed: start a pass now rather than at the next poll."""
        self._new_rows.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-forwarder")

    async def stop(self) -> None:
        """Let the pass in flight finish (bounded), then stop; rows left wait for the next start."""
        self._stopped.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_SECONDS)
        except TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            log.warning("inbox forwarder stopped mid-pass; its rows wait for the next start")

    async def forward_pass(self, leader: asyncpg.Connection | None = None) -> int:
        """One pass; returns how many rows Temporal took. Raises TemporalUnavailable after the others finished.

        `leader`: the connection holding the channel's lock (the rows are read and deleted on it).
        """
        db = leader or self._pool
        rows = await self._read(db, after=0)
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            if len(groups[row["workflow_id"]]) < ROWS_PER_INCIDENT:  # the rest: next pass, still in order
                groups[row["workflow_id"]].append(row)
        gate = asyncio.Semaphore(PARALLEL_CALLS)

        async def one(route: str, group: list[Row]) -> tuple[list[int], BaseException | None]:
            async with gate:
                return await self._forward_group(route, group)

        results = await asyncio.gather(*(one(w, g) for w, g in groups.items()), return_exceptions=True)
        taken = [seq for result in results if isinstance(result, tuple) for seq in result[0]]
        await self._delete(db, taken)  # one delete (one commit) per pass, for every incident, however far each got
        for result in results:
            error = result if isinstance(result, BaseException) else result[1]
            if error is not None:
                raise error  # TemporalUnavailable (the rows not taken wait for the next pass), or a bug
        return len(taken)

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                async with self._pool.acquire() as conn:
                    try:
                        await self._lead(conn)
                    except (*DATABASE_ERRORS, asyncio.CancelledError):
                        # a statement failed or went unanswered: the session holding the lock is in doubt, so
                        # it is dropped (never waited on: asyncpg's cancel and reset have no bound) and the
                        # lock with it once Postgres notices; leading starts over on a new session
                        with contextlib.suppress(asyncpg.InterfaceError):  # asyncpg may have dropped it already
                            conn.terminate()
                        raise
            except DATABASE_ERRORS as err:
                log.warning("inbox forwarder: Postgres unavailable", error=str(err))
                await self._pause(self._backoff, on_new_rows=False)
            except Exception as err:  # a bug must not end forwarding for good: log, pause, go on
                log.error("inbox forwarder failed", error=f"{type(err).__name__}: {err}")
                await self._pause(self._backoff, on_new_rows=False)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        """Forward for as long as this receiver holds the lock (it goes with the session)."""
        await asyncio.wait_for(migrate(self._pool), 60)  # the receiver may start before the worker
        while not await inbox.try_to_lead(conn, self._channel, self._timeout):
            if self._stopped.is_set():
                return
            await self._pause(IDLE_POLL_SECONDS)  # another receiver forwards
        self._feed.forget_routes()
        listener = await inbox.listen(conn, self._channel, self.wake, self._timeout)  # before the first read
        try:
            while not self._stopped.is_set():
                try:
                    await self._forward_continuously(conn)
                except TemporalUnavailable as err:
                    log.warning("inbox forwarder: Temporal unavailable, rows kept", error=str(err))
                    await self._pause(self._backoff, on_new_rows=False)  # new rows must not make it hammer
        finally:
            if not conn.is_closed():
                await inbox.stop_listening(conn, listener, self._timeout)
                await inbox.stop_leading(conn, self._channel, self._timeout)

    async def _forward_continuously(self, leader: asyncpg.Connection) -> None:
        """forward_pass without the pass: an incident's next rows go as soon as its previous call returns,
        so a new incident's first alert never waits for a busy incident's call (make bench B7: during a
        storm, a whole pass would last as long as its slowest update). Each incident still has one call at a
        time, in seq order; rows are read once (seq > the last read: seqs commit in order per channel)
        and deleted on the leader's session as their calls return. Temporal unavailable: no new calls,
        the calls in flight finish, then it raises and the caller starts over from the table."""
        calls: dict[asyncio.Task[tuple[list[int], BaseException | None]], str] = {}  # in flight -> route
        try:
            failure = await self._forward_until_stopped(leader, calls)
        finally:  # Postgres went away mid-way, or cancelled: the rows not deleted are sent again, applied once
            for call in calls:
                call.cancel()
        if failure is not None:
            raise failure  # TemporalUnavailable: the rows not taken wait; anything else: a bug, logged by _run

    async def _forward_until_stopped(
        self,
        leader: asyncpg.Connection,
        calls: dict[asyncio.Task[tuple[list[int], BaseException | None]], str],
    ) -> BaseException | None:
        pending: dict[str, list[Row]] = defaultdict(list)  # read, not yet sent: per incident, oldest first
        urgent, p1_first, intake_first = UrgentRoutes(), self._p1_first, self._intake_first
        began: dict[str, float] = {}  # route -> when its last call began, within the last ROUTE_GAP_SECONDS
        last_read, failure, next_read = 0, None, 0.0
        while calls or not (self._stopped.is_set() or failure):
            taking = not (self._stopped.is_set() or failure)
            room = taking and sum(map(len, pending.values())) < PASS_ROWS
            if room and (self._new_rows.is_set() or time.monotonic() >= next_read):  # others' rows: polled
                self._new_rows.clear()
                next_read = time.monotonic() + IDLE_POLL_SECONDS
                rows = await self._read(leader, after=last_read)
                for row in rows:
                    pending[row["workflow_id"]].append(row)
                last_read = rows[-1]["seq"] if rows else last_read
                intake_first.rows_read(len(rows), time.monotonic())
            now, busy = time.monotonic(), set(calls.values())
            began = {route: at for route, at in began.items() if now - at < ROUTE_GAP_SECONDS}
            ready = [r for r in pending if r not in busy and r not in began]
            for route in sorted(ready, key=lambda r: not urgent.opens_p1(r, pending[r][0])):  # a P1's first
                opens_p1 = urgent.opens_p1(route, pending[route][0])
                if not taking or not (opens_p1 or (len(calls) < PARALLEL_CALLS and not self._held(now))):
                    break
                group, rest = pending[route][:ROWS_PER_INCIDENT], pending[route][ROWS_PER_INCIDENT:]
                pending[route] = rest
                if not rest:
                    del pending[route]
                    urgent.forget(route)
                call = asyncio.create_task(self._forward_group(route, group))
                calls[call] = route
                began[route] = now
                if opens_p1:
                    p1_first.p1_call_started(call, now)
                else:
                    p1_first.storm_call_started(now)
            waiting = [began[r] + ROUTE_GAP_SECONDS for r in pending if r in began and r not in busy]
            held = (
                [at for at in (p1_first.ends_at(now), intake_first.ends_at(now)) if at is not None] if pending else []
            )
            wake_at = min([next_read, *waiting, *held]) if taking else None
            if not calls:
                if wake_at is not None:
                    await self._pause(max(0.0, wake_at - time.monotonic()))
                continue
            done = await self._first_to_end(calls, on_new_rows=room, until=wake_at)
            if done and len(done) < len(calls):  # a storm: gather the calls ending together, one read and delete
                more, _ = await asyncio.wait([c for c in calls if c not in done], timeout=GATHER_SECONDS)
                done += more
            taken: list[int] = []
            ended_at = time.monotonic()
            for call in done:
                del calls[call]
                try:
                    seqs, error = call.result()
                except Exception as err:  # a bug, or Postgres while setting a row aside: after the rest finish
                    seqs, error = [], err
                p1_first.call_ended(call, ended_at, failed=error is not None)
                taken += seqs
                failure = failure or error
            await self._delete(leader, taken)
        return failure

    def _held(self, now: float) -> bool:
        """Whether a call that opens no P1 waits: for a P1's start, or for a burst's deliveries to be answered."""
        return self._p1_first.holds_the_storm(now) or self._intake_first.holds_the_calls(now)

    async def _read(self, db: asyncpg.Connection | asyncpg.Pool, after: int) -> list[Row]:
        """The channel's oldest rows after seq `after` (seqs commit in order per channel)."""
        return await inbox.oldest(db, self._channel, after, PASS_ROWS, self._timeout)

    async def _delete(self, db: asyncpg.Connection | asyncpg.Pool, taken: list[int]) -> None:
        """The rows Temporal took, in one statement."""
        if taken:
            await inbox.delete(db, taken, self._timeout)
        self._metrics.inbox_forwarded(len(taken))

    async def _first_to_end(
        self, calls: dict[asyncio.Task[Any], str], on_new_rows: bool, until: float | None
    ) -> list[asyncio.Task[Any]]:
        """The calls that ended; returns early (with none) at `until` (the next poll, or a group's next
        call falling due), or on new rows when `on_new_rows`."""
        woken = asyncio.ensure_future(self._new_rows.wait())
        try:
            done, _ = await asyncio.wait(
                [*calls, woken] if on_new_rows else [*calls],
                return_when=asyncio.FIRST_COMPLETED,
                timeout=None if until is None else max(0.0, until - time.monotonic()),
            )
        finally:
            woken.cancel()
        return [call for call in done if call in calls]

    async def _pause(self, seconds: float, on_new_rows: bool = True) -> None:
        """Sleep for `seconds`, or until stopped, or (on_new_rows) until rows are committed."""
        waits = [asyncio.ensure_future(self._stopped.wait())]
        if on_new_rows:
            waits.append(asyncio.ensure_future(self._new_rows.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    # -- one incident's rows -----------------------------------------------------------------

    async def _forward_group(self, route: str, rows: list[Row]) -> tuple[list[int], BaseException | None]:
        """The seqs Temporal took, oldest first, and why it stopped early (a call it could not take now)."""
        readable: list[tuple[Row, Delivery]] = []
        for row in rows:
            try:
                readable.append((row, decode(row["delivery"])))
            except ValueError as err:  # written by another release, say: kept aside, never blocking the rest
                async with self._row_updates:
                    await set_aside(self._pool, row, f"unreadable delivery: {err}", self._timeout)
        done: list[int] = []
        for chunk in chunks(readable):
            if self._stopped.is_set():
                break  # the rest waits for the next start, as it would after a crash
            try:
                await self._send(route, chunk, done)
            except TemporalUnavailable as err:
                return done, err  # the later rows of this incident wait too: they must not overtake these
        return done, None

    async def _send(self, route: str, chunk: list[tuple[Row, Delivery]], done: list[int]) -> None:
        """One call; the seqs Temporal took go into `done`. A refused batch is retried row by row."""
        seqs = [row["seq"] for row, _ in chunk]
        try:
            await self._feed.send(route, [stamped(delivery, row["seq"]) for row, delivery in chunk])
        except TemporalUnavailable as err:
            async with self._row_updates:
                await inbox.note_failure(self._pool, seqs, str(err)[:500], self._timeout)
            raise
        except TemporalRefused as err:
            if len(chunk) == 1:
                async with self._row_updates:
                    await set_aside(self._pool, chunk[0][0], f"Temporal refused it: {err}", self._timeout)
                return
            for one in chunk:  # which row is it? only that one is set aside
                await self._send(route, [one], done)
        else:
            done += seqs
