"""Prometheus text exposition (format 0.0.4), written by hand: a few counters and one histogram.

A client library would be one more dependency for four metric families; this stays
small because every metric is declared here, in one place, with its help text.
"""

from collections import Counter
from collections.abc import Iterable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Answer times worth telling apart: loopback Temporal (~5 ms) up to the 10 s RPC bound.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _series(name: str, labels: Labels) -> str:
    if not labels:
        return name
    return name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Histogram:
    def __init__(self) -> None:
        self.buckets = [0] * len(LATENCY_BUCKETS)
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        for index, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.buckets[index] += 1

    def lines(self, name: str, labels: Labels) -> Iterable[str]:
        for bound, count in zip(LATENCY_BUCKETS, self.buckets, strict=True):
            yield f"{_series(name + '_bucket', (*labels, ('le', repr(bound))))} {count}"
        yield f"{_series(name + '_bucket', (*labels, ('le', '+Inf')))} {self.count}"
        yield f"{_series(name + '_sum', labels)} {_number(self.total)}"
        yield f"{_series(name + '_count', labels)} {self.count}"


class Metrics:
    """Everything /metrics reports. Single event loop, so plain counters need no locks."""

    def __init__(self) -> None:
        self.accepted: Counter[Labels] = Counter()
        self.alerts: Counter[Labels] = Counter()
        self.refused: Counter[Labels] = Counter()
        self.temporal_calls: Counter[Labels] = Counter()
        self.carried: Counter[Labels] = Counter()
        self.forwarded: Counter[Labels] = Counter()
        self.latency: dict[Labels, Histogram] = {}

    def accept(self, endpoint: str, alerts: int) -> None:
        self.accepted[(("endpoint", endpoint),)] += 1
        self.alerts[(("endpoint", endpoint),)] += alerts

    def refuse(self, endpoint: str, reason: str) -> None:
        self.refused[(("endpoint", endpoint), ("reason", reason))] += 1

    def answered(self, endpoint: str, seconds: float) -> None:
        self.latency.setdefault((("endpoint", endpoint),), Histogram()).observe(seconds)

    def temporal_call(self, call: str, deliveries: int, failed: bool = False, declined: bool = False) -> None:
        """`declined`: the incident is closed (or gone), so it took nothing and the next one opens."""
        labels = (("call", call), ("outcome", "failed" if failed else "declined" if declined else "ok"))
        self.temporal_calls[labels] += 1
        self.carried[labels] += 0 if failed or declined else deliveries

    def inbox_forwarded(self, rows: int) -> None:
        self.forwarded[()] += rows

    def render(self) -> str:
        out: list[str] = []
        self._counter(
            out, "incident_events_accepted_total", "Deliveries answered 2xx: committed to the inbox.", self.accepted
        )
        self._counter(out, "incident_alerts_accepted_total", "Alerts (events) inside accepted deliveries.", self.alerts)
        self._counter(
            out,
            "incident_events_refused_total",
            "Deliveries refused, by reason (the HTTP status tells the sender what to do).",
            self.refused,
        )
        self._counter(
            out,
            "incident_temporal_calls_total",
            "Signal(-with-start) calls to Temporal; fewer than deliveries under a burst.",
            self.temporal_calls,
        )
        self._counter(
            out,
            "incident_temporal_deliveries_total",
            "Deliveries carried by those calls (coalesced per incident).",
            self.carried,
        )
        self._counter(
            out,
            "incident_inbox_forwarded_total",
            "Inbox rows Temporal took (accepted minus this: rows still waiting).",
            self.forwarded,
        )
        name = "incident_receiver_answer_seconds"
        out += [f"# HELP {name} Time from request to answer on the ingest endpoints.", f"# TYPE {name} histogram"]
        for labels, histogram in sorted(self.latency.items()):
            out += histogram.lines(name, labels)
        return "\n".join(out) + "\n"

    @staticmethod
    def _counter(out: list[str], name: str, help_text: str, values: Counter[Labels]) -> None:
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        out += [f"{_series(name, labels)} {count}" for labels, count in sorted(values.items())]
