"""Find an incident's workflow by number (INC-1042) or workflow id.

Kept apart from starter.incidents (which imports the workflow, activities and their
libraries) so incidentctl's update commands start without them.
"""

from typing import Any

from temporalio.client import Client, WorkflowHandle


class IncidentNotFound(LookupError):
    pass


async def find_incident(client: Client, name: str) -> WorkflowHandle[Any, Any]:
    """The newest run wins. Raises IncidentNotFound, or RPCError when visibility cannot answer."""
    if not name.upper().startswith("INC-"):
        return client.get_workflow_handle(name)
    async for execution in client.list_workflows(f'IncidentNumber = "{name.upper()}"', limit=1):
        return client.get_workflow_handle(execution.id, run_id=execution.run_id)
    raise IncidentNotFound(f"no incident {name.upper()}")
