"""Hands coalesced deliveries to the incident workflow: the one place the receiver calls Temporal.

A batch that may open an incident goes out as signal-with-start: it starts the
workflow when none is running for the id (a closed incident's id is reused, making a
new incident that registration links to the previous one) and signals it otherwise.
A batch of only resolves/acknowledges is a plain signal, so it never opens anything.
"""

import structlog
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import AlertBatch
from starter.receiver.config import ReceiverConfig
from starter.receiver.deliveries import Delivery
from starter.receiver.metrics import Metrics
from workflows.incident import IncidentWorkflow
from workflows.visibility import initial_search_attributes, static_summary

log = structlog.get_logger("receiver")

ALERT_SIGNAL = "alert"  # IncidentWorkflow.alert


class TemporalUnavailable(Exception):
    """Temporal did not take the events now; try again later."""


class TemporalRefused(Exception):
    """Temporal will never take this call as it is (INVALID_ARGUMENT): retrying cannot help."""


class TemporalFeed:
    def __init__(self, client: Client, config: ReceiverConfig, metrics: Metrics) -> None:
        self._client = client
        self._config = config
        self._metrics = metrics

    async def send(self, workflow_id: str, deliveries: list[Delivery]) -> None:
        """One Temporal call for every delivery in the batch; returns once it is durable (or moot)."""
        batch = AlertBatch(actor=deliveries[0].actor, events=[e for d in deliveries for e in d.events])
        opens = next((d.opens for d in deliveries if d.opens is not None), None)
        call = "signal_with_start" if opens is not None else "signal"
        run_id: str | None = None
        outcome = "signalled"
        try:
            if opens is not None:
                handle = await self._client.start_workflow(
                    IncidentWorkflow.run, opens, id=workflow_id, task_queue=self._config.task_queue,
                    start_signal=ALERT_SIGNAL, start_signal_args=[batch],
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                    static_summary=static_summary(opens.service, opens.summary),
                    search_attributes=initial_search_attributes(opens.service, opens.source),
                    rpc_timeout=self._config.temporal_rpc_timeout,
                )  # fmt: skip
                run_id = handle.result_run_id
            elif not await self._signal_running(workflow_id, batch):
                outcome = "no open incident"
        except RPCError as err:
            self._metrics.temporal_call(call, len(deliveries), failed=True)
            if err.status is RPCStatusCode.INVALID_ARGUMENT:
                raise TemporalRefused(err.message) from err
            raise TemporalUnavailable(f"{err.status.name}: {err.message}") from err
        except RuntimeError as err:  # the SDK reports "cannot connect" as a RuntimeError, not an RPCError
            self._metrics.temporal_call(call, len(deliveries), failed=True)
            raise TemporalUnavailable(str(err)) from err
        self._metrics.temporal_call(call, len(deliveries))
        log.info("events sent", workflow_id=workflow_id, run_id=run_id, call=call, result=outcome,
                 deliveries=len(deliveries), events=len(batch.events))  # fmt: skip

    async def _signal_running(self, workflow_id: str, batch: AlertBatch) -> bool:
        """False: nothing running to resolve/acknowledge (never started, or closed), so nothing to do."""
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            await handle.signal(ALERT_SIGNAL, batch, rpc_timeout=self._config.temporal_rpc_timeout)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True
