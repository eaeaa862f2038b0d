"""While a storm's deliveries pour in, the forwarder lets the receiver answer them before it forwards.

Every delivery Alertmanager or a PagerDuty sender is waiting on is answered once its row is in the
inbox; the forwarder's calls then open and feed the incidents, and each of those costs the Temporal
server and the worker many times what answering a delivery costs the receiver. Where they share the
machine's CPU, forwarding during the burst takes the CPU the answers need: on one core a storm of
2,000 deliveries over 100 groups was answered at 2 to 4 times the floor's rate from one run to the
next (make bench B13 with BENCH_CPUS=1). So while rows arrive as a burst (at least BURST_ROWS within
BURST_SECONDS), no call but a P1's starts (starter/intake/p1_first.py); the rows wait, safe, in the
inbox, and go when the burst pauses.

Waiting is bounded as P1First's is (starter/intake/bounded_hold.py): never more than
HOLD_AT_MOST_SECONDS in a row, then the calls go on for at least RELEASE_SECONDS however the rows keep
coming, so a storm that never pauses is forwarded all the same, a little later. A lone alert is never held.

Pure bookkeeping on the monotonic clock the caller passes in: tests drive it with made-up times.
"""

from collections import deque

from starter.intake.bounded_hold import BoundedHold

BURST_ROWS = 20
BURST_SECONDS = 0.2
HOLD_AT_MOST_SECONDS = 1.0
RELEASE_SECONDS = 1.0


class IntakeFirst:
    def __init__(self) -> None:
        self._arrivals: deque[tuple[float, int]] = deque()  # (when rows were read, how many), within BURST_SECONDS
        self._hold = BoundedHold(HOLD_AT_MOST_SECONDS, RELEASE_SECONDS)

    def rows_read(self, count: int, now: float) -> None:
        if count:
            self._arrivals.append((now, count))

    def holds_the_calls(self, now: float) -> bool:
        """Whether a call that opens no P1 may not start now."""
        return self._hold.holds(self._bursting(now), now)

    def ends_at(self, now: float) -> float | None:
        """When the hold in force ends unless more rows come (the caller wakes on new rows); None: none in force."""
        if not self.holds_the_calls(now):
            return None
        # the burst is over once its rows are older than BURST_SECONDS, unless more come
        return min(self._hold.ends_by(), self._burst_ends_at())

    def _bursting(self, now: float) -> bool:
        while self._arrivals and self._arrivals[0][0] + BURST_SECONDS <= now:  # as _burst_ends_at says
            self._arrivals.popleft()
        return sum(count for _, count in self._arrivals) >= BURST_ROWS

    def _burst_ends_at(self) -> float:
        """When the rows read so far stop making a burst (the oldest ones leave the window first)."""
        left = sum(count for _, count in self._arrivals)
        for at, count in self._arrivals:
            left -= count
            if left < BURST_ROWS:
                return at + BURST_SECONDS
        raise AssertionError("no burst to end")  # called only while bursting: the last row's expiry ends it
