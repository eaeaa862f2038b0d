"""B14 the engineers' API: `incidentctl ack` through the API against B3's floor (the same update sent
straight to Temporal by a minimal SDK script), and the API's `list` of 1,000 and `show` against the
direct store queries."""

from typing import Any

from bench.stack import Stack


async def run(stack: Stack, task_queue: str, rounds: int, listed: int) -> dict[str, Any]:
    raise NotImplementedError("B14 is being written")
