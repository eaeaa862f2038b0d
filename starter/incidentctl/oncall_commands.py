"""`incidentctl oncall`: who is on call, the shifts ahead, and overrides (a person covers for a while).

    oncall who [--group G] [--at TIME]
    oncall shifts G [--days 14] [--from TIME]
    oncall override G --person P --from TIME --to TIME [--reason TEXT]
    oncall overrides G
    oncall remove-override ID [--reason TEXT]

Times are shown in the viewer's time zone (--tz, default this machine's) and read in it when they
carry no offset (2026-12-24T18:00, or with one: 2026-12-24T18:00+01:00). Through the API (/v1/oncall):
the schedules as loaded from oncall.toml, and the run-time overrides.
"""

import argparse
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starter.incidentctl import render, when
from starter.incidentctl.acting import named
from starter.incidentctl.errors import Refused
from starter.incidentctl.paged import every
from starter.incidentctl.when import iso

if TYPE_CHECKING:
    from starter.incidentctl.context import Context


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "oncall",
        parents=[common],
        help="who is on call, the shifts ahead, overrides",
        description="On-call schedules of the support groups (oncall.toml) and their overrides.",
    )
    zone = argparse.ArgumentParser(add_help=False)
    zone.add_argument("--tz", default=None, help="show and read times in this zone (default: this machine's)")
    common = argparse.ArgumentParser(add_help=False, parents=[common, zone], conflict_handler="resolve")
    what = p.add_subparsers(dest="oncall_command", required=True, metavar="ACTION")
    who = what.add_parser("who", parents=[common], help="who is on call now (or --at TIME), per group")
    who.add_argument("--group", help="one group's schedule (default: every schedule)")
    who.add_argument("--at", help="an instant, e.g. 2026-12-24T22:00 (default: now)")
    shifts = what.add_parser("shifts", parents=[common], help="the shifts of one group: who, from, to")
    shifts.add_argument("group")
    shifts.add_argument("--days", type=int, default=14, help="how many days ahead (default 14)")
    shifts.add_argument("--from", dest="start", help="from this instant (default: now)")
    override = what.add_parser("override", parents=[common], help="a person covers a group from..to")
    override.add_argument("group")
    override.add_argument("--person", required=True, help="who covers (a person of oncall.toml)")
    override.add_argument("--from", dest="start", required=True, help="when the cover begins")
    override.add_argument("--to", dest="end", required=True, help="when it ends")
    override.add_argument("--reason", default="", help="why (kept with the override)")
    listed = what.add_parser("overrides", parents=[common], help="a group's overrides, current and ahead")
    listed.add_argument("group")
    remove = what.add_parser("remove-override", parents=[common], help="remove an override by its id")
    remove.add_argument("id", help="the id `oncall overrides` shows")
    remove.add_argument("--reason", default="", help="why (kept in the audit trail)")


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    zone = when.zone(args)
    if args.oncall_command == "remove-override" and not args.id.isdigit():
        raise Refused(f"the override id is a number (got {args.id!r}); `incidentctl oncall overrides GROUP` lists them")
    api = ctx.api()
    if args.oncall_command == "who":
        return _who(args, api, zone)
    if args.oncall_command == "shifts":
        return _shifts(args, api, zone)
    if args.oncall_command == "override":
        return _override(args, api, zone)
    if args.oncall_command == "overrides":
        return _overrides(args, api, zone)
    return _remove(args, api)


def _who(args: argparse.Namespace, api: Any, zone: tzinfo) -> int:
    at = when.instant(args.at, zone, "--at")
    found = every(api, "/v1/oncall/who", group=args.group, at=at.isoformat())
    rows = [
        {"group": r["group"], "person": r["person"], "source": r["source"], "until": iso(r["until"])} for r in found
    ]
    if args.output == "json":
        render.emit_json(rows)
        return 0
    for row in rows:
        until = when.shown(datetime.fromisoformat(row["until"]), zone) if row["until"] else "-"
        who = row["person"] or "NOBODY (a hole in the schedule)"
        print(f"{row['group']:<18} {who:<14} until {until:<22} ({row['source']})")
    return 0


def _shifts(args: argparse.Namespace, api: Any, zone: tzinfo) -> int:
    start = when.instant(args.start, zone, "--from")
    found = every(
        api, f"/v1/oncall/schedules/{quote(args.group)}/shifts", days=args.days, **{"from": start.isoformat()}
    )
    rows = [{"person": s["person"], "from": iso(s["from"]), "to": iso(s["to"]), "source": s["source"]} for s in found]
    if args.output == "json":
        render.emit_json(rows)
        return 0
    print(f"{'WHO':<14} {'FROM':<22} {'TO':<22} SOURCE")
    for s in rows:
        start, end = datetime.fromisoformat(s["from"]), datetime.fromisoformat(s["to"])
        print(f"{s['person'] or 'NOBODY':<14} {when.shown(start, zone):<22} {when.shown(end, zone):<22} {s['source']}")
    return 0


def _override(args: argparse.Namespace, api: Any, zone: tzinfo) -> int:
    start, end = when.instant(args.start, zone, "--from"), when.instant(args.end, zone, "--to")
    body = {"person": args.person, "from": start.isoformat(), "to": end.isoformat(), "reason": args.reason}
    made = api.post(f"/v1/oncall/schedules/{quote(args.group)}/overrides", json={**body, "as": named(args)})
    row = {
        "id": made["id"],
        "group": made["group"],
        "person": made["person"],
        "from": iso(made["from"]),
        "to": iso(made["to"]),
        "reason": made["reason"],
        "by": made["by"],
    }
    if args.output == "json":
        render.emit_json(row)
    else:
        print(
            f"override {row['id']}: {row['person']} covers {row['group']} from"
            f" {when.shown(start, zone)} to {when.shown(end, zone)}"
        )
    return 0


def _overrides(args: argparse.Namespace, api: Any, zone: tzinfo) -> int:
    found = every(api, f"/v1/oncall/schedules/{quote(args.group)}/overrides")
    rows = [{**r, "from": iso(r["from"]), "to": iso(r["to"])} for r in found]
    if args.output == "json":
        render.emit_json(rows)
        return 0
    print(f"{'ID':<6} {'WHO':<14} {'FROM':<22} {'TO':<22} BY / REASON")
    for r in rows:
        start, end = datetime.fromisoformat(r["from"]), datetime.fromisoformat(r["to"])
        print(
            f"{r['id']:<6} {r['person']:<14} {when.shown(start, zone):<22}"
            f" {when.shown(end, zone):<22} {r['by']}: {r['reason']}"
        )
    return 0


def _remove(args: argparse.Namespace, api: Any) -> int:
    removed = api.delete(f"/v1/oncall/overrides/{args.id}", query={"reason": args.reason, "as": named(args)})
    print(f"override {args.id} removed: {removed['person']} no longer covers {removed['group']}")
    return 0
