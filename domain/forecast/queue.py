"""Who takes an incident, and when: the groups' queues, shared by the simulation (engine.py) and the
reconstruction of pickups from the record (fit.py), so that both follow one discipline.

Each group has `staff` engineers on call at once (default 1). An arriving incident is taken by a free
engineer of its group, else waits, highest priority first, then first come. While it waits, each
response target that passes without an acknowledgement moves it to the next support line's queue, as
the workflow's functional escalation moves `incident.group` (domain.timers.fire): that line's engineer
takes it. An incident already taken stays with the engineer who took it.
"""

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    lines: tuple[str, ...]  # the group that takes it, then each support line escalation moves it to
    every: float  # the response target in seconds: one move each time it passes unacknowledged
    rank: int  # priority: lower is taken first


# take(item, arrived, taken_at, group) -> when that engineer is free again
Take = Callable[[int, float, float, str], float]


def serve(arrivals: Iterable[tuple[float, int, Route]], staff: dict[str, int], take: Take) -> None:
    """arrivals: (time, item, route) in time order. Calls `take` once per item, in the order the
    engineers take them. At one instant, engineers finishing come first, then moves, then arrivals."""
    free: dict[str, int] = {}
    waiting: dict[str, list[tuple[int, float, int]]] = {}  # group -> (rank, arrived, seq)
    where: dict[int, str] = {}  # seq -> the group whose queue it waits in (other entries are stale)
    held: dict[int, tuple[float, int, Route]] = {}  # seq -> (arrived, item, route) while it waits
    moves: list[tuple[float, int, int]] = []  # (at, seq, how many escalations by then)
    finishing: list[tuple[float, str]] = []

    def start(arrived: float, item: int, at: float, group: str) -> None:
        heapq.heappush(finishing, (take(item, arrived, at, group), group))

    def offer(seq: int, arrived: float, item: int, route: Route, at: float, group: str, k: int) -> None:
        """The incident is in `group`'s hands at `at` (after k escalations): taken, or waiting."""
        if free.setdefault(group, staff.get(group, 1)) > 0:
            free[group] -= 1
            start(arrived, item, at, group)
            return
        heapq.heappush(waiting.setdefault(group, []), (route.rank, arrived, seq))
        where[seq], held[seq] = group, (arrived, item, route)
        if k + 1 < len(route.lines) and math.isfinite(route.every):
            heapq.heappush(moves, (arrived + route.every * (k + 1), seq, k + 1))

    def freed(at: float, group: str) -> None:
        queue = waiting.get(group, [])
        while queue:
            _, _, seq = heapq.heappop(queue)
            if where.get(seq) == group:
                del where[seq]
                arrived, item, _ = held.pop(seq)
                start(arrived, item, at, group)
                return
        free[group] += 1

    def moved(at: float, seq: int, k: int) -> None:
        if seq not in where:  # taken before this escalation
            return
        del where[seq]
        arrived, item, route = held.pop(seq)
        offer(seq, arrived, item, route, at, route.lines[k], k)

    def until(moment: float) -> None:
        while finishing or moves:
            finish = finishing[0][0] if finishing else math.inf
            move = moves[0][0] if moves else math.inf
            if min(finish, move) > moment:
                return
            if finish <= move:
                freed(*heapq.heappop(finishing))
            else:
                moved(*heapq.heappop(moves))

    for seq, (arrived, item, route) in enumerate(arrivals):
        until(arrived)
        offer(seq, arrived, item, route, arrived, route.lines[0], 0)
    until(math.inf)  # incidents still open at the end are followed to their restore
