"""Starting and finding incident workflows: shared by incidentctl, the receiver and tests."""

import uuid
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from domain.commands import OpenIncident, WaitRegistered
from workflows.incident import IncidentWorkflow
from workflows.visibility import initial_search_attributes, static_summary


class IncidentNotFound(LookupError):
    pass


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


async def find_incident(client: Client, name: str) -> WorkflowHandle[IncidentWorkflow, Any]:
    """An incident by number (INC-1042) or workflow id; the newest run wins."""
    if not name.upper().startswith("INC-"):
        return client.get_workflow_handle_for(IncidentWorkflow.run, name)
    query = f'IncidentNumber = "{name.upper()}"'
    async for execution in client.list_workflows(query, limit=1):
        return client.get_workflow_handle_for(IncidentWorkflow.run, execution.id, run_id=execution.run_id)
    raise IncidentNotFound(f"no incident {name.upper()}")
