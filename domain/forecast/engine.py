"""One replication of a forecast: a discrete-event simulation over simulated seconds.

Event heaps from the standard library, not SimPy: there are three kinds of event (an incident
arrives, an engineer finishes, a waiting incident escalates to the next line's queue), a replication
runs tens of thousands of them, and a generator-based library costs several times more per event for
no extra expressiveness here (make bench B10).

Who takes an incident and when is the groups' queues (queue.py): its category's group, or the support
line functional escalation has moved it to while it waited. Taken at s: acknowledged
at s + acknowledge, restored at ack + restore + hold (the hold pauses the restore clock, as
domain.sla counts it), and the engineer is free again at restore. Everything else (whether a target
was met, how many response escalations and which pages happened before the ack) is what the
incident's class (classes.py, from the domain rules) says of those times.
"""

import bisect
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from domain.forecast.classes import IncidentClass
from domain.forecast.queue import serve
from domain.forecast.scenario import ServiceLoad

DAY = 86400.0


@dataclass
class OnCallLookup:
    """Who a page reaches: per schedule, the shift starts (POSIX seconds from the forecast's start)
    and their person, from domain.oncall.shifts over the simulated period; people of each group."""

    starts: dict[str, list[float]] = field(default_factory=dict)
    people: dict[str, list[str | None]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)

    def paged(self, target: str, at: float) -> list[str]:
        kind, _, name = target.partition(":")
        if kind == "person":
            return [name]
        if kind == "group":
            return self.members.get(name, [f"{name} (no schedule)"])
        starts = self.starts.get(name)
        if not starts:
            return [f"{name} on-call (no schedule)"]
        person = self.people[name][max(0, bisect.bisect_right(starts, at) - 1)]
        return [person or f"nobody ({name} has a hole)"]


@dataclass
class ClassTally:
    incidents: int = 0
    response_met: int = 0
    restore_met: int = 0
    escalations: int = 0
    waited: int = 0  # taken later than it arrived (all engineers busy)
    wait_seconds: float = 0.0
    response_seconds: float = 0.0
    restore_seconds: float = 0.0


@dataclass
class Replication:
    tallies: dict[tuple[str, str], ClassTally]
    pages: Counter[str]
    hours: Counter[int]  # arrivals by hour of day
    records: list[dict[str, Any]]  # per incident, when asked for (tests, history fitting)


def simulate(
    classes: list[IncidentClass],
    loads: dict[str, ServiceLoad],
    staff: dict[str, int],
    days: int,
    seed: int,
    oncall: OnCallLookup,
    hourly: list[float] | None = None,
    start_hour: float = 0.0,
    keep_records: bool = False,
) -> Replication:
    rng = random.Random(seed)
    horizon = days * DAY
    arrivals: list[tuple[float, int]] = []
    samplers = []
    peak = max(hourly) if hourly else 1.0
    drawn: dict[tuple[str, str], float] = {}  # a fitted rate's draw, one per service and priority
    for index, cls in enumerate(classes):
        load = loads[cls.service]
        samplers.append((load.acknowledge.sampler(rng), load.restore.sampler(rng), load.hold.sampler(rng)))
        key = (cls.service, str(cls.priority))
        if key not in drawn:
            seen = load.observed.get(cls.priority, 0)
            drawn[key] = rng.gammavariate(seen, 1.0) / seen if seen else 1.0  # a fitted rate: this replication's
        rate = load.arrivals.get(cls.priority, 0.0) * cls.share * drawn[key] / (30 * DAY)  # per second
        if hourly:
            rate *= peak / (sum(hourly) / 24)  # thinning: draw at the peak rate, keep by the hour's weight
        if rate <= 0:
            continue
        t = rng.expovariate(rate)
        while t < horizon:
            if not hourly or rng.random() * peak < hourly[int((start_hour + t / 3600) % 24)]:
                arrivals.append((t, index))
            t += rng.expovariate(rate)
    arrivals.sort()
    routes = [cls.route for cls in classes]
    tallies = {(c.service, str(c.priority)): ClassTally() for c in classes}
    pages: Counter[str] = Counter()
    hours: Counter[int] = Counter()
    records: list[dict[str, Any]] = []

    def take(index: int, arrived: float, now: float, group: str) -> float:
        cls = classes[index]
        acknowledge, restore, hold = samplers[index]
        ack = now + acknowledge()
        held = hold()
        restored = ack + restore() + held
        response, elapsed = ack - arrived, restored - arrived - held
        tally = tallies[(cls.service, str(cls.priority))]
        tally.incidents += 1
        tally.response_met += response <= cls.response_target
        tally.restore_met += elapsed <= cls.restore_target
        escalations = cls.escalations_before(response)
        tally.escalations += escalations
        tally.waited += now > arrived
        tally.wait_seconds += now - arrived
        tally.response_seconds += response
        tally.restore_seconds += elapsed
        sent = cls.pages_sent(response, restored - arrived)
        for page in sent:
            for person in oncall.paged(page.target, arrived + page.offset):
                pages[person] += 1
        if keep_records:
            records.append(
                {
                    "service": cls.service,
                    "priority": str(cls.priority),
                    "category": cls.category,
                    "group": group,
                    "arrived": arrived,
                    "waited": now - arrived,
                    "response": response,
                    "restore": elapsed,
                    "hold": held,
                    "escalations": escalations,
                    "pages": len(sent),
                    "response_met": response <= cls.response_target,
                    "restore_met": elapsed <= cls.restore_target,
                }
            )
        return restored

    def counted() -> Any:
        for arrived, index in arrivals:
            hours[int((start_hour + arrived / 3600) % 24)] += 1
            yield arrived, index, routes[index]

    serve(counted(), staff, take)
    return Replication(tallies=tallies, pages=pages, hours=hours, records=records)
