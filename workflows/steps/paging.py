"""Paging inside the incident workflow: each due step of an escalation policy is an activity that
pages who the step means now; its result is a timeline entry ("paged dana (email) ..."). Pages run
beside the incident, so they never hold up its agreed times; acknowledging stops the paging at once
(domain.paging_rules clears it, and the next timer no longer includes it).
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.paging import DeliverPages, PageRequest, PageResult, PagingActivities
    from domain import acknowledgement, paging, paging_rules
    from domain.acknowledgement import Via
    from domain.commands import PageAck
    from domain.enums import Action
    from domain.incident_state import IncidentState
    from domain.lifecycle import record
    from domain.process import SYSTEM
    from workflows.contract import ILLEGAL_TRANSITION
    from workflows.releases import Patches
    from workflows.task_queues import is_urgent, paging_queue

PAGE_TIMEOUT = timedelta(seconds=60)  # the rows, then one try of each channel (SMTP and webhooks: 10 s each)
PAGE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(seconds=30)
)
DELIVERY_PATIENCE = timedelta(hours=1)  # a channel down longer than this: the row stays pending, visible
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=2)
)


class Pager:
    def __init__(
        self, state: IncidentState, incident_key: Callable[[], str], changed: Callable[[], None], patches: Patches
    ) -> None:
        self.state, self.incident_key, self.changed, self.patches = state, incident_key, changed, patches
        self.page_tasks: list[asyncio.Task[Any]] = []
        self.redeliveries: list[asyncio.Task[Any]] = []

    def due(self) -> bool:
        return bool(paging_rules.due(self.state.incident, workflow.now()))

    def page_due_steps(self) -> None:
        """Start a page for every paging whose step is due, and move each to its next step."""
        now, incident = workflow.now(), self.state.incident
        for due in paging_rules.due(incident, now):
            if due.finished:
                paging_rules.give_up(incident, due, now)
                continue
            step = paging.due_step(due)
            incident.pages_sent += 1
            request = PageRequest(
                incident_key=self.incident_key(),
                number=incident.display_name,
                service=incident.service,
                priority=str(incident.priority or "-"),
                summary=incident.summary,
                runbook=paging_rules.runbook(incident),
                target=step.target(due.group),
                step=paging.describe_step(due),
                reason=due.reason,
                page=incident.pages_sent,
                at=due.next_at,
            )
            task = workflow.start_activity_method(
                PagingActivities.page,
                request,
                task_queue=self._queue(),
                start_to_close_timeout=PAGE_TIMEOUT,
                retry_policy=PAGE_RETRY,
                summary=f"{request.number}: page {request.target} ({request.step})",
            )
            task.add_done_callback(lambda done, request=request: self._paged(request, done))
            self.page_tasks.append(task)
            following = paging.advance(due, now)
            incident.pagings = [following if p is due else p for p in incident.pagings]
        self.changed()

    def acknowledge(self, request: PageAck) -> None:
        """An acknowledgement link was used: the paged person takes the incident (or its page)."""
        self.check_acknowledgement()
        acknowledgement.acknowledge(self.state.incident, request.actor, workflow.now(), Via.LINK, request.page)
        self.changed()

    def check_acknowledgement(self) -> None:
        reason = acknowledgement.refusal(self.state.incident, Via.LINK)
        if reason is not None:
            raise ApplicationError(reason, type=ILLEGAL_TRANSITION, non_retryable=True)

    async def finish(self) -> None:
        """Before the run ends: every page issued has its story; deliveries still retrying are called off
        (the incident no longer needs anyone woken; their rows keep what was tried)."""
        while any(not t.done() for t in self.page_tasks):
            await asyncio.gather(*self.page_tasks, return_exceptions=True)
        for retry in self.redeliveries:
            retry.cancel()
        await asyncio.gather(*self.redeliveries, return_exceptions=True)
        self.page_tasks, self.redeliveries = [], []

    def _queue(self) -> str | None:
        """Release 1.1 pages on the paging queue (a page never waits for an activity slot behind a storm's
        records and notifications); None: on the incident's own task queue, as 1.0 did. Release 1.2 pages
        a P1 on its own queue again, the urgent one, where no storm runs: the server hands the page to the
        worker in its answer to the workflow task that scheduled it (eager activity execution), one trip
        through a task queue fewer than the paging queue's (make bench B7 with BENCH_CPUS=1)."""
        own_queue = workflow.info().task_queue
        if is_urgent(own_queue) and self.patches("p1-pages-on-the-urgent-queue"):
            return None
        return paging_queue(own_queue) if self.patches("pages-on-their-own-queue") else None

    def _paged(self, request: PageRequest, done: asyncio.Task[Any]) -> None:
        """The page's story, once the activity answered: who, by which channel, or why nobody."""
        if done.cancelled() or done.exception() is not None:
            return  # the run is ending (continue-as-new, cancellation): the rows tell what was sent
        result: PageResult = done.result()
        where = f"{request.target}, {request.step}: {request.reason}"
        if result.people:
            detail, notify = f"paged {', '.join(result.channels)} ({where})", []
        else:
            detail = f"nobody paged: {result.nobody} ({where})"
            notify = [f"group:{self.state.incident.group}"]
        record(
            self.state.incident, at=workflow.now(), actor=SYSTEM, action=Action.PAGE, detail=detail[:500], notify=notify
        )
        if result.undelivered:
            retry = workflow.start_activity_method(
                PagingActivities.deliver_pages,
                DeliverPages(incident_key=request.incident_key),
                task_queue=self._queue(),
                start_to_close_timeout=PAGE_TIMEOUT,
                schedule_to_close_timeout=DELIVERY_PATIENCE,
                retry_policy=DELIVERY_RETRY,
                summary=f"{request.number}: deliver {result.undelivered} page(s) again",
            )
            self.redeliveries.append(retry)
        self.changed()
