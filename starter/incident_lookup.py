"""Find an incident's workflow by number (INC-1042) or workflow id.

An incident's number is its workflow id; incidents opened before numbers were reserved at intake
have hash-named ids (`alert-am-...`, `incident-...`) and are found by their IncidentNumber search
attribute. Kept apart from starter.incidents (which imports the workflow, activities and their
libraries) so incidentctl's update commands start without them.
"""

import re
from typing import Any

from temporalio.client import Client, WorkflowHandle

NUMBER = re.compile(r"^INC-\d+$", re.IGNORECASE)


class IncidentNotFound(LookupError):
    pass


def handle_for(client: Client, name: str) -> WorkflowHandle[Any, Any]:
    """The incident's workflow, by its number or its id, without asking the server (one call saved)."""
    return client.get_workflow_handle(name.upper() if NUMBER.match(name) else name)


async def find_older_incident(client: Client, name: str) -> WorkflowHandle[Any, Any]:
    """An incident whose workflow id is not its number (opened before numbers were reserved), newest
    run first. Raises IncidentNotFound, or RPCError when visibility cannot answer."""
    if not NUMBER.match(name):
        raise IncidentNotFound(not_found(name))
    async for execution in client.list_workflows(f'IncidentNumber = "{name.upper()}"', limit=1):
        return client.get_workflow_handle(execution.id, run_id=execution.run_id)
    raise IncidentNotFound(not_found(name))


async def find_incident(client: Client, name: str) -> WorkflowHandle[Any, Any]:
    """By number or workflow id, for scripts and tests: the number's workflow, else the older lookup."""
    from temporalio.service import RPCError, RPCStatusCode

    handle = handle_for(client, name)
    try:
        await handle.describe()
        return handle
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
    return await find_older_incident(client, name)


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
    hint = f" (did you mean INC-{name}?)" if name.isdigit() else ""
    return f"no incident {name.upper() if NUMBER.match(name) else name}{hint}"
