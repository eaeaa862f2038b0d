"""Which incident an alert group feeds: the `alert_routes` table (migrations/004_alert_routes.sql).

Only the channel's forwarder writes it (it holds the channel's leader lock), so the steps below
never race each other; each is one statement, and a forwarder that stops between them finds the
route as it left it. A route is written *before* its incident is started (`started` false), so a
start that may or may not have happened is retried under the same number, never a second one.

Because the leader alone writes, it remembers what it read and wrote, and a storm's updates to
running incidents ask the table nothing (two round trips a call fewer: the read and the pool's reset;
make bench B13). The memory is forgotten whenever leadership begins (`forget`): another receiver may
have led, and written, in between.
"""

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from stores.incidents import NEXT_NUMBER

# The forwarder asks about many incidents at once (forwarder.PARALLEL_CALLS), each statement on a pooled
# connection: the receiver's own pool for them (receiver.database.open_routes_pool), or where none is
# given its shared pool, which its /readyz probe, acknowledgement pages and release routes use too.
# Over a slow link a statement holds its connection for round trips: with no limit they would take
# every connection of a shared pool and the others would wait past the database timeout (503). At
# most this many at a time leaves the rest free.
CONNECTIONS_AT_ONCE = 4
# A P1's statements have a connection of their own beside those (and take a storm's when it is free):
# under a storm of many groups the four are always taken, and a P1's incident would be opened only
# after the storm's statements ahead of it (make bench B7, BENCH_CPUS=1: 0.1 to 0.3 s of its first page).
URGENT_CONNECTIONS = 1
ROUTES_REMEMBERED = 10_000  # the most recently used; a storm's groups are far fewer


@dataclass(frozen=True)
class Route:
    workflow_id: str  # the incident's number
    previous_workflow_id: str | None
    started: bool


class AlertRoutes:
    def __init__(
        self, pool: asyncpg.Pool, channel: str, timeout: float, connections: int = CONNECTIONS_AT_ONCE
    ) -> None:
        self._pool = pool
        self._channel = channel
        self._timeout = timeout
        self._at_once = asyncio.Semaphore(connections)
        self._urgent_at_once = asyncio.Semaphore(URGENT_CONNECTIONS)
        self._known: OrderedDict[str, Route] = OrderedDict()  # route -> as this leader last read or wrote it

    def forget(self) -> None:
        """Leadership begins: what another leader may have written since is read again."""
        self._known.clear()

    @asynccontextmanager
    async def _lane(self, urgent: bool) -> AsyncIterator[None]:
        """A storm's statement waits for one of its lanes; a P1's takes its own lane or, when that one is
        busy, a free storm lane, so a storm of P1s (every service down at once) is not one at a time."""
        lanes = (self._urgent_at_once, self._at_once) if urgent else (self._at_once,)
        async with next((lane for lane in lanes if not lane.locked()), lanes[0]):
            yield

    async def current(self, route: str, urgent: bool = False) -> Route | None:
        if route in self._known:
            self._known.move_to_end(route)
            return self._known[route]
        async with self._lane(urgent):
            row = await self._pool.fetchrow(
                "SELECT workflow_id, previous_workflow_id, started FROM alert_routes WHERE channel = $1 AND route = $2",
                self._channel,
                route,
                timeout=self._timeout,
            )
        if row is None:
            return None
        return self._remember(route, Route(row["workflow_id"], row["previous_workflow_id"], row["started"]))

    async def reserve(self, route: str, previous_workflow_id: str | None, urgent: bool = False) -> Route:
        """A new number for the group's next incident, recorded before anything is started."""
        async with self._lane(urgent):
            number = await self._pool.fetchval(
                f"INSERT INTO alert_routes (channel, route, workflow_id, previous_workflow_id) VALUES ($1, $2, ({NEXT_NUMBER}), $3)"
                " ON CONFLICT (channel, route) DO UPDATE SET workflow_id = EXCLUDED.workflow_id,"
                " previous_workflow_id = EXCLUDED.previous_workflow_id, started = false, updated_at = now()"
                " RETURNING workflow_id",
                self._channel,
                route,
                previous_workflow_id,
                timeout=self._timeout,
            )
        return self._remember(route, Route(number, previous_workflow_id, started=False))

    async def mark_started(self, route: str, workflow_id: str, urgent: bool = False) -> None:
        async with self._lane(urgent):
            await self._pool.execute(
                "UPDATE alert_routes SET started = true, updated_at = now()"
                " WHERE channel = $1 AND route = $2 AND workflow_id = $3",
                self._channel,
                route,
                workflow_id,
                timeout=self._timeout,
            )
        known = self._known.get(route)
        if known is not None and known.workflow_id == workflow_id:
            self._remember(route, Route(workflow_id, known.previous_workflow_id, started=True))
        else:  # not what this leader wrote: read again when next asked
            self._known.pop(route, None)

    def _remember(self, route: str, known: Route) -> Route:
        self._known[route] = known
        self._known.move_to_end(route)
        if len(self._known) > ROUTES_REMEMBERED:
            self._known.popitem(last=False)
        return known
