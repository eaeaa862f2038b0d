"""`incidentctl releases`: running incidents per release of the workflow code (workflows/releases.py).

A release's patches and histories may be deleted once none of its incidents runs; this says when.
Through the API (GET /v1/releases), which reads Temporal's visibility.
Release management (deploys, known errors) is release_commands.py, a different thing.
"""

import argparse
from typing import TYPE_CHECKING

from starter.incidentctl import render

if TYPE_CHECKING:
    from starter.incidentctl.context import Context

SHOWN = 50  # incidents named per line; the count is always whole


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "releases",
        parents=[common],
        help="running incidents per release of the workflow code",
        description="Running incidents per release of the workflow code. A release no worker supports"
        " must be finished or cancelled with the version that began it; an empty release can be deprecated.",
    )


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    answer = ctx.api().get("/v1/releases", query={"named": SHOWN})
    supported, total = answer["releases"], answer["unsupported"]["running"]
    listed = answer["unsupported"]["incidents"]
    if args.output == "json":
        render.emit_json(answer)
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
