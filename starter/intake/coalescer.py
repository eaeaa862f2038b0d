"""Per-key coalescing: under a burst, one downstream call carries many requests, none acked early.

    coalescer = Coalescer(flush=send_batch)       # flush(key, items) -> result
    result = await coalescer.submit(key, item)    # returns once the call carrying `item` returned

Each key has a lane. The first item for an idle key starts a call right away (no
waiting for company, so a quiet system adds no latency). Items submitted for that key
while its call is in flight wait in the lane and all go out together in the next
single call. Every submitter awaits the call that actually carried its item and gets
that call's result, or its exception: nothing is acknowledged before it is durable,
and a failure is reported to exactly the submitters whose items it affected.

Calls for one key never overlap, so their order is the order items arrived in. Calls
for different keys run concurrently. The class knows nothing of HTTP, Postgres or
Temporal; the inbox uses it with one key, so concurrent requests share one INSERT.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class CoalescerClosed(RuntimeError):
    """Submitted after close(): the process is draining."""


@dataclass
class _Lane(Generic[Item, Result]):
    waiting: deque[tuple[Item, "asyncio.Future[Result]"]] = field(default_factory=deque)
    task: "asyncio.Task[None] | None" = None


class Coalescer(Generic[Item, Result]):
    def __init__(
        self,
        flush: Callable[[str, list[Item]], Awaitable[Result]],
        *,
        weight: Callable[[Item], int] = lambda item: 1,
        max_weight: int = 1000,
    ) -> None:
        """`max_weight` bounds one call (e.g. events per signal), but a single heavier item still goes alone."""
        self._flush = flush
        self._weight = weight
        self._max_weight = max_weight
        self._lanes: dict[str, _Lane[Item, Result]] = {}
        self._closed = False

    @property
    def busy_keys(self) -> int:
        return len(self._lanes)

    async def submit(self, key: str, item: Item) -> Result:
        if self._closed:
            raise CoalescerClosed("not accepting new items: shutting down")
        lane = self._lanes.setdefault(key, _Lane())
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        # A submitter that went away (client disconnect) must not leave an unretrieved exception behind.
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        lane.waiting.append((item, future))
        if lane.task is None:
            lane.task = asyncio.create_task(self._run_lane(key, lane), name=f"coalescer:{key}")
        # shield: one submitter being cancelled must not cancel the call that carries the others' items
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Refuse new items, then wait for every lane to finish its calls."""
        self._closed = True
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _take_batch(self, lane: _Lane[Item, Result]) -> list[tuple[Item, "asyncio.Future[Result]"]]:
        batch, total = [], 0
        while lane.waiting:
            weight = self._weight(lane.waiting[0][0])
            if batch and total + weight > self._max_weight:
                break
            batch.append(lane.waiting.popleft())
            total += weight
        return batch

    async def _run_lane(self, key: str, lane: _Lane[Item, Result]) -> None:
        try:
            while lane.waiting:
                batch = self._take_batch(lane)
                try:
                    result = await self._flush(key, [item for item, _ in batch])
                except asyncio.CancelledError:
                    for _, future in batch:
                        future.cancel()
                    raise
                except Exception as err:  # reported to each submitter of this batch, and only them
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(err)
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_result(result)
        finally:
            for _, future in lane.waiting:  # only left over when cancelled
                future.cancel()
            del self._lanes[key]
