"""`incidentctl maintenance`: windows announced on the status page, inside which a service's alerts
are recorded against the window and open no incident.

    maintenance add --service S --from TIME --to TIME --summary TEXT
    maintenance list                       current and upcoming, with the alerts each took
    maintenance cancel ID
"""

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starter.incidentctl import render, when
from starter.incidentctl.acting import named
from starter.incidentctl.paged import every

if TYPE_CHECKING:
    from starter.incidentctl.context import Context


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "maintenance",
        parents=[common],
        help="maintenance windows on the status page",
        description="Announced maintenance: shown on the status page; the service's alerts inside"
        " a window are recorded against it and open no incident.",
    )
    what = p.add_subparsers(dest="maintenance_command", required=True, metavar="ACTION")
    zone = argparse.ArgumentParser(add_help=False)
    zone.add_argument("--tz", default=None, help="read and show times in this zone (default: this machine's)")
    add = what.add_parser("add", parents=[common, zone], help="announce a window", conflict_handler="resolve")
    add.add_argument("--service", required=True, help="a service of the agreed catalog")
    add.add_argument("--from", dest="start", required=True, help="when it begins, e.g. 2026-12-24T22:00")
    add.add_argument("--to", dest="end", required=True, help="when it ends")
    add.add_argument("--summary", required=True, help='what the business reads, e.g. "Database upgrade"')
    what.add_parser("list", parents=[common, zone], help="current and upcoming windows", conflict_handler="resolve")
    cancel = what.add_parser("cancel", parents=[common], help="cancel a window by its id")
    cancel.add_argument("id", type=int, help="the id `maintenance list` shows")


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    api = ctx.api()
    if args.maintenance_command == "add":
        return _add(args, api)
    if args.maintenance_command == "cancel":
        return _cancel(args, api)
    return _list(args, api)


def _add(args: argparse.Namespace, api: Any) -> int:
    zone = when.zone(args)
    start, end = when.instant(args.start, zone, "--from"), when.instant(args.end, zone, "--to")
    body = {"service": args.service, "from": start.isoformat(), "to": end.isoformat(), "summary": args.summary}
    window = _row(api.post("/v1/maintenance", json={**body, "as": named(args)}))
    if args.output == "json":
        render.emit_json(window)
        return 0
    print(
        f"maintenance {window['id']}: {window['service']} from {when.shown(_at(window['from']), zone)} to"
        f" {when.shown(_at(window['to']), zone)}: {window['summary']} (on the status page; alerts inside"
        " it open no incident)"
    )
    return 0


def _cancel(args: argparse.Namespace, api: Any) -> int:
    window = api.delete(f"/v1/maintenance/{args.id}", query={"as": named(args)})
    print(f"maintenance {window['id']} cancelled: {window['service']} alerts open incidents again")
    return 0


def _list(args: argparse.Namespace, api: Any) -> int:
    rows = [_row(w) for w in every(api, "/v1/maintenance")]
    if args.output == "json":
        render.emit_json(rows)
        return 0
    zone = when.zone(args)
    if not rows:
        print("no maintenance windows current or ahead")
    for w in rows:
        print(
            f"{w['id']:<5} {w['service']:<12} {when.shown(_at(w['from']), zone)} - "
            f"{when.shown(_at(w['to']), zone)}  {w['summary']}  ({w['events']} alerts taken)"
        )
    return 0


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _row(window: dict[str, Any]) -> dict[str, Any]:
    return {**window, "from": when.iso(window["from"]), "to": when.iso(window["to"])}
