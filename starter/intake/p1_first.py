"""While a P1's incident is being opened, the forwarder starts none of the storm's calls.

A P1 alert's page needs the Temporal server for its start, its first workflow task and its page; a
storm's calls started at the same moment put the server's work for dozens of other incidents ahead
of it. On a busy machine that, not any queue of ours, made a P1's first page during a storm ten
times slower than alone (make bench B7 with BENCH_CPUS=1). So a storm call (any other incident's)
waits while a P1's call is in flight and for HOLD_SECONDS after it returned, the time its first
workflow task and page usually take.

Waiting is bounded: the storm is never held for more than HOLD_AT_MOST_SECONDS in a row, and then
goes on for at least RELEASE_SECONDS whatever P1s arrive, so a flood of P1s slows the other
incidents' alerts (they wait, safe, in the inbox) but never stops them. While Temporal fails calls
nothing is held (a P1 gains nothing by it), so every waiting row's call is tried and says why it waits.

While a P1 is being opened the storm's calls go at a pace, STORM_CALLS_PER_SECOND, in a release too.
A storm call returns in milliseconds but leaves the server and the worker a new incident's first
steps to do; released all at once after a hold, dozens of them took most of both cores for seconds,
and the P1s opened then paged five to eight times slower than alone (make bench B7). At a pace the
server keeps up with that work, and the storm's p99 is one to two and a half times alone's.

P1First is pure bookkeeping on the monotonic clock the caller passes in: tests drive it with made-up
times. UrgentRoutes tells which routes' next rows open a P1.
"""

import json
from collections.abc import Hashable
from typing import Any

from domain.priority import queue_priority
from starter.intake.bounded_hold import BoundedHold

HOLD_SECONDS = 0.5
HOLD_AT_MOST_SECONDS = 2.0
RELEASE_SECONDS = 1.0
# 10 and 20 a second did about as well for the P1s in B7; the faster pace forwards a storm sooner
STORM_CALLS_PER_SECOND = 20.0


class P1First:
    def __init__(self) -> None:
        self._in_flight: set[Hashable] = set()  # the P1s' calls not yet returned
        self._hold_until = 0.0  # after the last P1 call returned
        self._hold = BoundedHold(HOLD_AT_MOST_SECONDS, RELEASE_SECONDS)
        self._temporal_failing = False  # the last call to end failed
        self._next_storm_call = 0.0  # the pace's: no storm call starts before then

    def p1_call_started(self, call: Hashable, now: float) -> None:
        if not self._in_force(now):
            self._hold.start_over()  # a new hold begins
        self._in_flight.add(call)

    def call_ended(self, call: Hashable, now: float, failed: bool = False) -> None:
        self._temporal_failing = failed
        if call in self._in_flight:
            self._in_flight.discard(call)
            self._hold_until = now if failed else now + HOLD_SECONDS

    def storm_call_started(self, now: float) -> None:
        if self._p1_waits(now):
            self._next_storm_call = now + 1.0 / STORM_CALLS_PER_SECOND

    def holds_the_storm(self, now: float) -> bool:
        """Whether a storm call may not start now: held, or too soon after the last one."""
        return self._held(now) or now < self._next_storm_call

    def _held(self, now: float) -> bool:
        return self._hold.holds(self._p1_waits(now), now)

    def _p1_waits(self, now: float) -> bool:
        """A P1 is being opened and the storm would stand in its way (while Temporal fails, it would not)."""
        return not self._temporal_failing and self._in_force(now)

    def _in_force(self, now: float) -> bool:
        return bool(self._in_flight) or now < self._hold_until

    def ends_at(self, now: float) -> float | None:
        """When the hold or the pace in force ends unless a P1 call ends first (the caller wakes then);
        None: none in force."""
        if self._held(now):
            at_most = self._hold.ends_by()
            return at_most if self._in_flight else min(self._hold_until, at_most)
        return self._next_storm_call if now < self._next_storm_call else None


class UrgentRoutes:
    """Which routes' next rows open a P1: their call goes before the storm's and never waits for one of
    the PARALLEL_CALLS slots, which a storm's slow updates hold (make bench B7: a P1's first page during
    a storm). Read from a route's first pending row once, while that row is its first."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, bool]] = {}  # route -> (first row's seq, opens a P1)

    def opens_p1(self, route: str, first: Any) -> bool:
        """`first`: the route's first pending inbox row (seq, delivery as stored)."""
        known = self._known.get(route)
        if known is None or known[0] != first["seq"]:
            known = (first["seq"], _stored_delivery_opens_p1(first["delivery"]))
            self._known[route] = known
        return known[1]

    def forget(self, route: str) -> None:
        self._known.pop(route, None)


def opens_p1(impact: Any, urgency: Any, severity: str | None) -> bool:
    """What the sender said makes the incident a P1 (domain.priority)."""
    return queue_priority(impact, urgency, severity or "") == 1


def _stored_delivery_opens_p1(document: str) -> bool:
    try:
        opens = json.loads(document).get("opens") or {}
        return opens_p1(opens.get("impact"), opens.get("urgency"), opens.get("severity"))
    except (ValueError, AttributeError, TypeError):  # unreadable: forwarded as any other, then set aside
        return False
