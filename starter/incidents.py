"""Starting an incident workflow: shared by incidentctl, the receiver, tests and bench (lookup: incident_lookup)."""

import uuid
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from domain.commands import OpenIncident, WaitRegistered
from workflows.incident import IncidentWorkflow
from workflows.visibility import initial_search_attributes, static_summary


def new_workflow_id() -> str:
    return f"incident-{uuid.uuid4().hex[:12]}"


async def open_incident(
    client: Client, task_queue: str, request: OpenIncident, actor: str, workflow_id: str | None = None
) -> dict[str, Any]:
    """Start the workflow and wait (one round trip) until it is registered and prioritized.

    Raises WorkflowUpdateFailedError carrying ServiceNotInCatalog when the service is
    outside the agreements.
    """
    start = WithStartWorkflowOperation(
        IncidentWorkflow.run,
        request,
        id=workflow_id or new_workflow_id(),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        static_summary=static_summary(request.service, request.summary),
        search_attributes=initial_search_attributes(request.service, request.source),
    )
    return await client.execute_update_with_start_workflow(
        IncidentWorkflow.registered, WaitRegistered(actor=actor), start_workflow_operation=start
    )
