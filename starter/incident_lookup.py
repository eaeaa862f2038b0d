"""Find an incident's workflow by number (INC-1042) or workflow id: an incident's number is its
workflow id. Kept apart from starter.incidents (which imports the workflow, activities and their
libraries) so incidentctl's update commands start without them.
"""

from typing import Any

from temporalio.client import Client, WorkflowHandle

from domain.names import INCIDENT_PREFIX, incident_number


def handle_for(client: Client, name: str) -> WorkflowHandle[Any, Any]:
    """The incident's workflow, by its number or its id, without asking the server (one call saved)."""
    return client.get_workflow_handle(incident_number(name) or name)


async def unsupported_incidents(client: Client, limit: int) -> tuple[list[tuple[str, str | None]], int]:
    """Running incidents begun on workflow code no supported release replays (workflows/releases.py):
    (number or workflow id, IncidentRelease) of at most `limit` of them, and how many there are."""
    from workflows.releases import UNSUPPORTED_RUNNING
    from workflows.search_attributes import INCIDENT_NUMBER, INCIDENT_RELEASE

    found: list[tuple[str, str | None]] = []
    async for execution in client.list_workflows(UNSUPPORTED_RUNNING, limit=limit):
        attributes = execution.typed_search_attributes
        found.append((attributes.get(INCIDENT_NUMBER) or execution.id, attributes.get(INCIDENT_RELEASE)))
    total = len(found) if len(found) < limit else (await client.count_workflows(UNSUPPORTED_RUNNING)).count
    return found, total


def not_found(name: str) -> str:
    hint = f" (did you mean {INCIDENT_PREFIX}{name}?)" if name.isdigit() else ""
    return f"no incident {incident_number(name) or name}{hint}"
