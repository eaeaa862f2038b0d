"""Starting an incident workflow: shared by incidentctl, the receiver, tests and bench (lookup: incident_lookup)."""

import asyncpg
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import Priority, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.commands import OpenIncident, WaitRegistered
from domain.priority import queue_priority
from stores.incidents import reserve_number
from workflows.contract import IncidentContract, IncidentView
from workflows.task_queues import incident_queue
from workflows.visibility import initial_search_attributes, static_summary


async def open_incident(client: Client, task_queue: str, request: OpenIncident, actor: str) -> IncidentView:
    """Start the workflow of a numbered incident (its number is its workflow id) and wait, in one
    round trip, until it is registered, prioritized and in the record.

    Raises WorkflowUpdateFailedError carrying ServiceNotInCatalog when the service is outside the
    agreements (the workflow then ends as refused).
    """
    assert request.number is not None, "reserve the number first (stores.incidents.reserve_number)"
    priority = queue_priority(request.impact, request.urgency, request.severity)
    start = WithStartWorkflowOperation(
        IncidentContract.run,
        request,
        id=request.number,
        task_queue=incident_queue(task_queue, priority),
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,  # a number names one incident, ever
        static_summary=static_summary(request.service, request.summary, request.number),
        search_attributes=initial_search_attributes(request.service, request.source, request.number),
        priority=Priority(priority_key=priority),
    )
    return await client.execute_update_with_start_workflow(
        IncidentContract.registered, WaitRegistered(actor=actor), start_workflow_operation=start
    )


async def open_numbered(
    client: Client, pool: asyncpg.Pool, task_queue: str, request: OpenIncident, actor: str
) -> IncidentView:
    """Reserve a number, then open the incident under it (tests, bench and scripts)."""
    numbered = request.model_copy(update={"number": await reserve_number(pool)})
    return await open_incident(client, task_queue, numbered, actor)
