"""Hands one alert group's deliveries to its incident: the one place the receiver calls Temporal.

Incidents are numbered at intake and the number is the workflow id (INC-1042). A group's route
(routes.py) names its current incident; a group with no route has none yet.

1. Deliver to the current incident with the `alerts` Update. Its validator refuses once the
   incident is closed (a signal could not refuse: it would be taken by a closed incident).
2. Refused as closed, no such workflow, or no route yet: if the deliveries fire an alert, reserve
   the next number (the route moves first, so a retry uses the same number), then start that
   incident with signal-with-start; it links to the one it follows. Resolves and acknowledgements
   alone open nothing.
"""

from typing import Literal

import structlog
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import Priority, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import AlertBatch, OpenIncident
from domain.priority import queue_priority
from receiver.config import ReceiverConfig
from receiver.metrics import Metrics
from starter.intake.deliveries import Delivery
from starter.intake.p1_first import opens_p1
from stores.alert_routes import AlertRoutes, Route
from workflows.contract import INCIDENT_CLOSED, IncidentContract, name_of
from workflows.task_queues import incident_queue
from workflows.visibility import initial_search_attributes, static_summary

log = structlog.get_logger("receiver")

Delivered = Literal["applied", "closed", "absent"]


class TemporalUnavailable(Exception):
    """Temporal did not take the events now; try again later."""


class TemporalRefused(Exception):
    """Temporal will never take this call as it is (INVALID_ARGUMENT): retrying cannot help."""


class TemporalFeed:
    def __init__(self, client: Client, routes: AlertRoutes, config: ReceiverConfig, metrics: Metrics) -> None:
        self._client = client
        self._routes = routes
        self._config = config
        self._metrics = metrics

    def forget_routes(self) -> None:
        """This receiver begins to lead: the routes another leader may have written are read again."""
        self._routes.forget()

    async def send(self, route_key: str, deliveries: list[Delivery]) -> None:
        """Every delivery of the batch reaches the group's incident (or opens its next one); returns once durable."""
        batch = AlertBatch(actor=deliveries[0].actor, events=[e for d in deliveries for e in d.events])
        opens = next((d.opens for d in deliveries if d.opens is not None), None)
        # its statements take the P1s' own connection
        urgent = opens is not None and opens_p1(opens.impact, opens.urgency, opens.severity)
        for _ in range(2):  # a second round only after a start found its incident already closed
            route = await self._routes.current(route_key, urgent)
            if route is None and opens is None:
                self._log(route_key, None, "none", "no incident: nothing to open", deliveries, batch)
                return
            if route is None:
                route = await self._routes.reserve(route_key, None, urgent)
            elif route.started:
                delivered = await self._call("update", len(deliveries), self._deliver(route.workflow_id, batch))
                if delivered == "applied" or opens is None:
                    result = "applied" if delivered == "applied" else f"{delivered}: nothing to open"
                    self._log(route_key, route.workflow_id, "update", result, deliveries, batch)
                    return
                route = await self._routes.reserve(route_key, route.workflow_id, urgent)
            start = self._start(route_key, route, opens, batch, urgent)
            if await self._call("signal_with_start", len(deliveries), start):
                self._log(route_key, route.workflow_id, "signal_with_start", "opened", deliveries, batch)
                return
        raise TemporalUnavailable(f"{route_key}: its incident closed while it was being opened; retrying")

    async def _deliver(self, workflow_id: str, batch: AlertBatch) -> Delivered:
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            await handle.execute_update(IncidentContract.alerts, batch, rpc_timeout=self._config.temporal_rpc_timeout)
        except WorkflowUpdateFailedError as err:
            if isinstance(err.cause, ApplicationError) and err.cause.type == INCIDENT_CLOSED:
                return "closed"
            raise TemporalRefused(f"{workflow_id} refused the alerts: {err.cause}") from err
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:  # never started, or finished (closed)
                return "absent"
            raise
        return "applied"

    async def _start(self, route_key: str, route: Route, opens: OpenIncident, batch: AlertBatch, urgent: bool) -> bool:
        """Start the route's incident with the batch; False when it had been started and is closed by now."""
        request = opens.model_copy(
            update={"number": route.workflow_id, "previous_workflow_id": route.previous_workflow_id}
        )
        priority = queue_priority(request.impact, request.urgency, request.severity)
        try:
            await self._client.start_workflow(
                IncidentContract.run,
                request,
                id=route.workflow_id,
                task_queue=incident_queue(self._config.task_queue, priority),  # a P1: the urgent queue
                start_signal=name_of(IncidentContract.alert),
                start_signal_args=[batch],
                # running already (an earlier attempt started it, then stopped before marking the
                # route): the signal joins it; finished: refused, for a number names one incident, ever
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=static_summary(request.service, request.summary, route.workflow_id),
                search_attributes=initial_search_attributes(request.service, request.source, route.workflow_id),
                # a critical alert's steps go before a warning storm's when the worker is behind
                priority=Priority(priority_key=priority),
                rpc_timeout=self._config.temporal_rpc_timeout,
            )
            started = True
        except WorkflowAlreadyStartedError:  # started by an earlier attempt, and closed since
            started = False
        await self._routes.mark_started(route_key, route.workflow_id, urgent)
        return started

    async def _call(self, call: str, deliveries: int, work):  # type: ignore[no-untyped-def]
        """Count the call; Temporal's errors become Unavailable (retry later) or Refused (set aside)."""
        try:
            result = await work
        except RPCError as err:
            self._metrics.temporal_call(call, deliveries, failed=True)
            if err.status is RPCStatusCode.INVALID_ARGUMENT:
                raise TemporalRefused(err.message) from err
            raise TemporalUnavailable(f"{err.status.name}: {err.message}") from err
        except RuntimeError as err:  # the SDK reports "cannot connect" as a RuntimeError, not an RPCError
            self._metrics.temporal_call(call, deliveries, failed=True)
            raise TemporalUnavailable(str(err)) from err
        self._metrics.temporal_call(call, deliveries, declined=result in ("closed", "absent", False))
        return result

    @staticmethod
    def _log(
        route: str, workflow_id: str | None, call: str, result: str, deliveries: list[Delivery], batch: AlertBatch
    ) -> None:
        log.info(
            "events sent",
            route=route,
            workflow_id=workflow_id,
            call=call,
            result=result,
            deliveries=len(deliveries),
            events=len(batch.events),
        )
