"""What each incidents command of incidentctl does: one call to the engineers' API (operations/ does the
work behind it), then the answer printed as it always was. Values are checked here first (inputs.py),
so a bad one is refused without a server, in the words naming the flag."""

import argparse
import re
import sys
import urllib.parse
from typing import TYPE_CHECKING, Any

from domain.names import unknown_name
from starter.incidentctl import render
from starter.incidentctl.commands import EngineerCommand
from starter.incidentctl.errors import Refused
from starter.incidentctl.parser import STATES

if TYPE_CHECKING:
    from starter.incidentctl.context import Context

PAGE_LIMIT = 1000  # the API's largest page
# A value the API's model refused: `body.person: String should have ...` (or without `body.`)
FIELD_REFUSAL = re.compile(r"^(?:body\.)?(\w+): (.*)$")


def _print(args: argparse.Namespace, view: dict[str, Any], detailed: bool = False) -> None:
    view = render.with_fresh_remaining(view)
    if args.output == "json":
        render.emit_json(view)
    else:
        print(render.details(view) if detailed else render.one_line(view))


def _path(name: str) -> str:
    return "/v1/incidents/" + urllib.parse.quote(name, safe="")


def _as(args: argparse.Namespace) -> dict[str, str]:
    """`as` only when someone is named (--as, or $INCIDENT_USER): otherwise the caller acts as who they are."""
    return {"as": args.actor} if getattr(args, "as_given", False) else {}


def open_(ctx: "Context", args: argparse.Namespace) -> int:
    body = {
        "service": args.service,
        "summary": args.summary,
        "impact": args.impact,
        "urgency": args.urgency,
        "caller": args.caller,
        "supplier": args.supplier,
        "ci": args.ci,
        "category": args.category,
        "request_id": args.request_id,
        **_as(args),
    }
    _print(args, ctx.api().post("/v1/incidents", json={k: v for k, v in body.items() if v is not None}))
    return 0


def show(ctx: "Context", args: argparse.Namespace) -> int:
    view = ctx.api().get(_path(args.incident), {"history": args.history})
    _print(args, view, detailed=True)
    return 0


def update(ctx: "Context", args: argparse.Namespace, command: EngineerCommand, payload: dict[str, Any]) -> int:
    """`payload`: the action's fields as inputs.update_input checked them. The request id makes a retry
    with the same id apply once (the API sends it as the update's id)."""
    body = {key: value for key, value in payload.items() if key != "actor"}
    body |= {"request_id": args.request_id} if args.request_id else {}
    try:
        view = ctx.api().post(f"{_path(args.incident)}/actions/{command.name}", json=body | _as(args))
    except Refused as err:
        raise _worded(command, err) from None
    _print(args, view)
    return 0


def _worded(command: EngineerCommand, err: Refused) -> Refused:
    """A value only the input's model refuses (a length, say), named by its flag as incidentctl names it."""
    from starter.incidentctl.inputs import refusal_of_invalid

    found = FIELD_REFUSAL.match(str(err))
    if found is None or not any(found.group(1) in option.fields for option in command.options):
        return err
    return Refused(refusal_of_invalid(command, [{"loc": (found.group(1),), "msg": found.group(2)}]))


def list_(ctx: "Context", args: argparse.Namespace) -> int:
    if args.state is not None and args.state not in STATES:  # no server needed to say so
        raise Refused(unknown_name("a state", args.state, STATES))
    api = ctx.api()
    views: list[dict[str, Any]] = []
    cursor, total = None, 0
    while len(views) < args.limit:
        query = {
            "state": args.state,
            "priority": args.priority,
            "service": args.service,
            "breached": args.breached,
            "all": args.all,
            "limit": min(args.limit - len(views), PAGE_LIMIT),
            "cursor": cursor,
        }
        page = api.get("/v1/incidents", query)
        views += page["items"]
        cursor, total = page["next_cursor"], page["total"]
        if cursor is None:
            break
    if args.output == "json":
        render.emit_json(views)
    else:
        print(render.table(views))
    if total > len(views):  # on stderr: `-o json` stays one JSON document
        sys.stderr.write(f"showing {len(views)} of {total} (use --limit)\n")
    return 0


def report(ctx: "Context", args: argparse.Namespace) -> int:
    from domain.durations import parse_duration
    from starter.incidentctl.report import report_table

    try:
        parse_duration(args.since)  # a typo needs no server
    except ValueError as err:
        raise Refused(f"--since: {err}") from None
    result = ctx.api().get("/v1/incidents/report", {"since": args.since})
    if args.output == "json":
        render.emit_json(result)
    else:
        print(report_table(result))
    return 0
