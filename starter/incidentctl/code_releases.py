"""`incidentctl releases`: running incidents per release of the workflow code (workflows/releases.py).

A release's patches and histories may be deleted once none of its incidents runs; this says when.
Release management (deploys, known errors) is release_commands.py, a different thing.
"""

import argparse
from typing import TYPE_CHECKING

from starter.incidentctl import render

if TYPE_CHECKING:  # the parser imports this module for every command: no SDK import until it runs
    from temporalio.client import Client

SHOWN = 50  # incidents named per line; the count is always whole
RUNNING_OF = "WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' AND IncidentRelease = '{}'"


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "releases",
        parents=[common],
        help="running incidents per release of the workflow code",
        description="Running incidents per release of the workflow code. A release no worker supports"
        " must be finished or cancelled with the version that began it; an empty release can be deprecated.",
    )


async def run(client: "Client", args: argparse.Namespace) -> int:
    from starter.incident_lookup import unsupported_incidents
    from workflows.releases import CURRENT, SUPPORTED, release_name

    supported = [
        {"release": release, "running": (await client.count_workflows(RUNNING_OF.format(release))).count}
        for release in SUPPORTED
    ]
    named, total = await unsupported_incidents(client, SHOWN)
    listed = [{"incident": name, "release": release_name(release)} for name, release in named]
    if args.output == "json":
        render.emit_json(
            {"current": CURRENT, "releases": supported, "unsupported": {"running": total, "incidents": listed}}
        )
        return 0
    by_release: dict[str, list[str]] = {}
    for incident in listed:
        by_release.setdefault(incident["release"], []).append(incident["incident"])
    rows = [(r["release"], f"{r['running']} running") for r in supported]
    rows += [
        (
            release,
            f"{len(names)} running: {', '.join(names)}  (unsupported: finish or cancel them with the previous version)",
        )
        for release, names in sorted(by_release.items())
    ]
    width = max(len(release) for release, _ in rows)
    for release, text in rows:
        print(f"{release:<{width}}  {text}")
    if total > len(listed):
        print(f"and {total - len(listed)} more unsupported (incidentctl releases -o json lists {SHOWN})")
    return 0
