"""Running incidents per release of the workflow code (GET /v1/releases): which releases a worker still
replays, how many incidents each runs, and those begun on code no supported release replays. From
Temporal's visibility (search attributes), so `incidentctl releases` needs the API, not Temporal."""

from typing import Any

from temporalio.service import RPCError

from operations.incidents import Backends
from starter.incident_lookup import unsupported_incidents
from workflows.releases import CURRENT, SUPPORTED, release_name

RUNNING_OF = "WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' AND IncidentRelease = '{}'"


async def running_per_release(backends: Backends, named: int) -> dict[str, Any]:
    """`named`: at most this many unsupported incidents are named (the count is always whole)."""
    client = backends.client
    try:
        supported = [
            {"release": release, "running": (await client.count_workflows(RUNNING_OF.format(release))).count}
            for release in SUPPORTED
        ]
        found, total = await unsupported_incidents(client, named)
    except (RPCError, RuntimeError) as err:  # RuntimeError: the lazy client's first connection failed
        raise backends.temporal_away(err) from None
    listed = [{"incident": name, "release": release_name(release)} for name, release in found]
    return {"current": CURRENT, "releases": supported, "unsupported": {"running": total, "incidents": listed}}
