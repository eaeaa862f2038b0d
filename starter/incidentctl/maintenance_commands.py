"""`incidentctl maintenance`: windows announced on the status page, inside which a service's alerts
are recorded against the window and open no incident.

    maintenance add --service S --from TIME --to TIME --summary TEXT
    maintenance list                       current and upcoming, with the alerts each took
    maintenance cancel ID
"""

import argparse
from typing import TYPE_CHECKING, Any

from domain.names import unknown_name
from starter.incidentctl import render, when
from starter.incidentctl.errors import Refused

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
    from stores.maintenance import MaintenanceRefused

    async with ctx.database() as conn:
        try:
            if args.maintenance_command == "add":
                return await _add(args, conn)
            if args.maintenance_command == "cancel":
                return await _cancel(args, conn)
            return await _list(args, conn)
        except MaintenanceRefused as err:
            raise Refused(str(err)) from None


async def _add(args: argparse.Namespace, conn: Any) -> int:
    from stores.catalog import agreed_services
    from stores.maintenance import add

    services = await agreed_services(conn)
    if args.service not in services:
        raise Refused(unknown_name("a service", args.service, services))
    zone = when.zone(args)
    window = await add(
        conn,
        args.service,
        when.instant(args.start, zone, "--from"),
        when.instant(args.end, zone, "--to"),
        args.summary,
        args.actor,
    )
    if args.output == "json":
        render.emit_json(_row(window, 0))
        return 0
    print(
        f"maintenance {window.id}: {window.service} from {when.shown(window.starts_at, zone)} to"
        f" {when.shown(window.ends_at, zone)}: {window.summary} (on the status page; alerts inside"
        " it open no incident)"
    )
    return 0


async def _cancel(args: argparse.Namespace, conn: Any) -> int:
    from stores.maintenance import cancel

    window = await cancel(conn, args.id, args.actor)
    print(f"maintenance {window.id} cancelled: {window.service} alerts open incidents again")
    return 0


async def _list(args: argparse.Namespace, conn: Any) -> int:
    from datetime import UTC, datetime

    from stores.maintenance import events_taken, windows

    listed = await windows(conn, datetime.now(UTC))
    counts = await events_taken(conn, [w.id for w in listed])
    rows = [_row(w, counts.get(w.id, 0)) for w in listed]
    if args.output == "json":
        render.emit_json(rows)
        return 0
    zone = when.zone(args)
    if not rows:
        print("no maintenance windows current or ahead")
    for w in listed:
        print(
            f"{w.id:<5} {w.service:<12} {when.shown(w.starts_at, zone)} - "
            f"{when.shown(w.ends_at, zone)}  {w.summary}  ({counts.get(w.id, 0)} alerts taken)"
        )
    return 0


def _row(window: Any, events: int) -> dict[str, Any]:
    return {
        "id": window.id,
        "service": window.service,
        "from": window.starts_at.isoformat(),
        "to": window.ends_at.isoformat(),
        "summary": window.summary,
        "events": events,
    }
