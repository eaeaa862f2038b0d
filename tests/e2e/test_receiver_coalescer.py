"""The per-key coalescer on its own: deterministic, no server (the e2e tests show it under real load)."""

import asyncio

import pytest

from starter.intake.coalescer import Coalescer, CoalescerClosed


class GatedFlush:
    """A downstream call that records each batch and returns only when the test opens the gate."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.gate = asyncio.Event()
        self.fail_next = False

    async def __call__(self, key: str, items: list[int]) -> str:
        self.batches.append((key, items))
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("downstream unavailable")
        return f"call {len(self.batches)}"


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_items_arriving_while_a_call_is_in_flight_go_out_together_in_the_next_call() -> None:
    flush = GatedFlush()
    coalescer: Coalescer[int, str] = Coalescer(flush)
    first = asyncio.create_task(coalescer.submit("k", 1))
    await settle()
    later = [asyncio.create_task(coalescer.submit("k", n)) for n in range(2, 7)]
    await settle()
    assert flush.batches == [("k", [1])]  # the first call does not wait for company
    assert not any(t.done() for t in [first, *later])  # nobody is answered before their call returned
    flush.gate.set()
    assert await first == "call 1"
    assert await asyncio.gather(*later) == ["call 2"] * 5
    assert flush.batches == [("k", [1]), ("k", [2, 3, 4, 5, 6])]
    assert coalescer.busy_keys == 0


async def test_a_failed_call_fails_exactly_the_items_it_carried() -> None:
    flush = GatedFlush()
    coalescer: Coalescer[int, str] = Coalescer(flush)
    flush.fail_next = True
    first = asyncio.create_task(coalescer.submit("k", 1))
    await settle()
    second = asyncio.create_task(coalescer.submit("k", 2))
    await settle()
    flush.gate.set()
    with pytest.raises(ConnectionError):
        await first
    assert await second == "call 2"


async def test_keys_do_not_wait_for_each_other_and_batches_respect_the_weight_limit() -> None:
    flush = GatedFlush()
    coalescer: Coalescer[int, str] = Coalescer(flush, weight=lambda n: n, max_weight=5)
    tasks = [asyncio.create_task(coalescer.submit(key, n)) for key, n in [("a", 1), ("b", 1)]]
    await settle()
    tasks += [asyncio.create_task(coalescer.submit("a", n)) for n in (3, 2, 9)]
    await settle()
    assert sorted(flush.batches) == [("a", [1]), ("b", [1])]
    flush.gate.set()
    await asyncio.gather(*tasks)
    assert [items for key, items in flush.batches if key == "a"] == [[1], [3, 2], [9]]  # 9 alone: too heavy to share


async def test_a_cancelled_submitter_does_not_cancel_the_call_carrying_other_items() -> None:
    flush = GatedFlush()
    coalescer: Coalescer[int, str] = Coalescer(flush)
    gone = asyncio.create_task(coalescer.submit("k", 1))
    stays = asyncio.create_task(coalescer.submit("k", 2))
    await settle()
    gone.cancel()
    flush.gate.set()
    assert await stays == "call 1"
    assert flush.batches == [("k", [1, 2])]


async def test_close_waits_for_calls_in_flight_and_refuses_new_items() -> None:
    flush = GatedFlush()
    coalescer: Coalescer[int, str] = Coalescer(flush)
    in_flight = asyncio.create_task(coalescer.submit("k", 1))
    await settle()
    closing = asyncio.create_task(coalescer.close())
    await settle()
    assert not closing.done()
    with pytest.raises(CoalescerClosed):
        await coalescer.submit("k", 2)
    flush.gate.set()
    await closing
    assert await in_flight == "call 1"
