"""What the domain says of one class of incident (a service, a priority and a category), asked once per class.

A forecast simulates a million incidents; the rules are asked once per class instead of once per
incident, and the answer is a timeline relative to the logged time. A template incident is
registered, categorized and prioritized by domain.process, and then left alone: domain.timers fires
each agreed time and domain.paging_rules pages, as IncidentWorkflow's loop does, until nothing more can
page: the restore target has passed, no support line is left to escalate to and every paging has run
out. What an acknowledgement at offset `a` would have stopped is everything of the group's paging and
response escalation at or after `a`; the restore warning's page to the service manager happens when
restore is later than it. Response escalations go on for as long as nobody acknowledges, one per
response target (the workflow's k-th at k times the target), so they are counted, not listed.
tests/workflows/test_forecast_against_the_workflow.py checks this against the real IncidentWorkflow.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain import paging, paging_rules, process, timers
from domain.catalog import ServiceAgreement, Targets
from domain.enums import Priority, Source
from domain.forecast.queue import Route
from domain.incident import Incident
from domain.paging_rules import WARNING_POLICY
from domain.sla import response_due, restore_due

T0 = datetime(2026, 1, 5, tzinfo=UTC)  # any instant: the answers are offsets from it
SCALE = {Priority.P1: (1, 1), Priority.P2: (1, 2), Priority.P3: (2, 2), Priority.P4: (2, 3), Priority.P5: (3, 3)}


@dataclass(frozen=True)
class Page:
    offset: float  # seconds after logging
    target: str  # schedule:G, person:P or group:G
    warning: bool  # the restore warning's page to the service manager (not stopped by the ack)


@dataclass(frozen=True)
class IncidentClass:
    service: str
    priority: Priority
    group: str  # who takes it (the category's group); its engineers are the simulation's servers
    response_target: float  # seconds
    restore_target: float  # seconds, before time on hold
    pages: tuple[Page, ...] = ()  # offsets of pages while nobody acknowledges, and the manager's warning page
    category: str = ""
    lines: tuple[str, ...] = ()  # the group, then each support line a response escalation moves it to
    share: float = 1.0  # of its service's incidents of this priority, the share in this category

    def escalations_before(self, ack: float) -> int:
        """Response escalations at k x the response target (k = 1, 2, ...) before an ack at `ack`."""
        return max(0, math.ceil(ack / self.response_target) - 1)

    def pages_sent(self, ack: float, restore: float) -> list[Page]:
        return [p for p in self.pages if p.offset < (restore if p.warning else ack)]

    @property
    def route(self) -> Route:
        return Route(self.lines or (self.group,), self.response_target, PRIORITY_RANK[str(self.priority)])


PRIORITY_RANK = {"P1": 0, "P2": 1, "P3": 2, "P4": 3, "P5": 4}


def with_targets(agreement: ServiceAgreement, overrides: dict[str, float]) -> ServiceAgreement:
    """The agreement with what-if targets ("P2.restore" -> seconds)."""
    targets = dict(agreement.targets)
    for key, seconds in overrides.items():
        priority, _, which = key.partition(".")
        current = targets[Priority(priority)]
        targets[Priority(priority)] = Targets(**{**current.model_dump(), which: timedelta(seconds=seconds)})
    return agreement.model_copy(update={"targets": targets})


def support_lines(agreement: ServiceAgreement, group: str) -> tuple[str, ...]:
    """`group`, then each line functional escalation moves an unacknowledged incident to."""
    lines = [group]
    while (following := agreement.next_line(lines[-1])) is not None and following not in lines:
        lines.append(following)
    return tuple(lines)


def incident_class(
    agreement: ServiceAgreement, priority: Priority, category: str | None = None, share: float = 1.0
) -> IncidentClass:
    """`category`: by name, as an incident filed with that category (None: one whose text names none)."""
    impact, urgency = SCALE[priority]
    incident = Incident(
        workflow_id="forecast",
        service=agreement.name,
        summary="forecast",
        source=Source.ENGINEER,
        impact=impact,
        urgency=urgency,
        logged_at=T0,
    )
    process.register(incident, number="INC-0", agreement=agreement, previous_number=None, at=T0)
    process.categorize(incident, process.choose_category(agreement, incident.summary, category), T0)
    process.prioritize(incident, T0)
    group = incident.group
    lines = support_lines(agreement, group)
    respond_by, restore_by = response_due(incident), restore_due(incident, T0)
    assert respond_by is not None and restore_by is not None
    every = agreement.targets[priority].response
    pages: list[Page] = []
    now = T0
    paging_rules.respond(incident, now)
    while True:
        for due in paging_rules.due(incident, now):  # as IncidentWorkflow._page_due_steps
            if due.finished:
                incident.pagings = [p for p in incident.pagings if p is not due]
                continue
            pages.append(
                Page(
                    (now - T0).total_seconds(),
                    paging.due_step(due).target(due.group),
                    due.policy.name == WARNING_POLICY,
                )
            )
            incident.pagings = [paging.advance(due, now) if p is due else p for p in incident.pagings]
        timer = timers.next_timer(incident, now)
        lines_left = incident.response_escalations < len(lines) - 1
        if timer is None or (timer.at > restore_by and not lines_left and not incident.pagings):
            break  # nothing after this can page
        if timer.kind is timers.TimerKind.RESPONSE and not lines_left:
            # with no line left an escalation only tells the service manager: skip to the next other timer
            other = timers.next_timer(incident.model_copy(update={"acknowledged_at": T0}), now)
            if other is None:
                break
            incident.response_escalations = max(incident.response_escalations, (other.at - respond_by) // every + 1)
            continue
        now = timer.at
        if timer.kind is not timers.TimerKind.PAGE:
            timers.fire(incident, timer.kind, now)
            paging_rules.respond(incident, now)
    return IncidentClass(
        service=agreement.name,
        priority=priority,
        group=group,
        response_target=(respond_by - T0).total_seconds(),
        restore_target=(restore_by - T0).total_seconds(),
        pages=tuple(pages),
        category=incident.category or "",
        lines=lines,
        share=share,
    )
