"""`incidentctl oncall`: who is on call, the shifts ahead, and overrides (a person covers for a while).

    oncall who [--group G] [--at TIME]
    oncall shifts G [--days 14] [--from TIME]
    oncall override G --person P --from TIME --to TIME [--reason TEXT]
    oncall overrides G
    oncall remove-override ID [--reason TEXT]

Times are shown in the viewer's time zone (--tz, default this machine's) and read in it when they
carry no offset (2026-12-24T18:00, or with one: 2026-12-24T18:00+01:00). From the record in
Postgres: the schedules as loaded from oncall.toml, and the run-time overrides.
"""

import argparse
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from domain.names import unknown_name
from starter.incidentctl import render, when
from starter.incidentctl.errors import Refused

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
    from stores.oncall import fetch_schedule, schedule_names

    zone = when.zone(args)
    async with ctx.database() as conn:
        names = await schedule_names(conn)
        group = getattr(args, "group", None)
        if group is not None and group not in names:
            raise Refused(unknown_name("a group with an on-call schedule", group, names))
        if args.oncall_command == "who":
            return await _who(args, conn, [group] if group else names, zone, fetch_schedule)
        if args.oncall_command == "shifts":
            return await _shifts(args, conn, zone, fetch_schedule)
        if args.oncall_command == "override":
            return await _override(args, conn, zone)
        if args.oncall_command == "overrides":
            return await _overrides(args, conn, zone)
        return await _remove(args, conn)


async def _who(args: argparse.Namespace, conn: Any, groups: list[str], zone: tzinfo, fetch: Any) -> int:
    from domain.oncall import next_change, on_call

    at = when.instant(args.at, zone, "--at")
    rows = []
    for group in groups:
        schedule = await fetch(conn, group, at - timedelta(days=1), at + timedelta(days=32))
        now, until = on_call(schedule, at), next_change(schedule, at)
        rows.append(
            {"group": group, "person": now.person, "source": now.source, "until": until.isoformat() if until else None}
        )
    if args.output == "json":
        render.emit_json(rows)
        return 0
    for row in rows:
        until = when.shown(datetime.fromisoformat(row["until"]), zone) if row["until"] else "-"
        who = row["person"] or "NOBODY (a hole in the schedule)"
        print(f"{row['group']:<18} {who:<14} until {until:<22} ({row['source']})")
    return 0


async def _shifts(args: argparse.Namespace, conn: Any, zone: tzinfo, fetch: Any) -> int:
    from domain.oncall import shifts

    if not 1 <= args.days <= 400:
        raise Refused(f"--days must be 1 to 400 (got {args.days})")
    start = when.instant(args.start, zone, "--from")
    end = start + timedelta(days=args.days)
    cut = shifts(await fetch(conn, args.group, start, end), start, end)
    rows = [{"person": s.person, "from": s.start.isoformat(), "to": s.end.isoformat(), "source": s.source} for s in cut]
    if args.output == "json":
        render.emit_json(rows)
        return 0
    print(f"{'WHO':<14} {'FROM':<22} {'TO':<22} SOURCE")
    for s in cut:
        print(f"{s.person or 'NOBODY':<14} {when.shown(s.start, zone):<22} {when.shown(s.end, zone):<22} {s.source}")
    return 0


async def _override(args: argparse.Namespace, conn: Any, zone: tzinfo) -> int:
    from stores.oncall import add_override, fetch_person, people_names

    start, end = when.instant(args.start, zone, "--from"), when.instant(args.end, zone, "--to")
    if end <= start:
        raise Refused(f"--to ({end.isoformat()}) must be after --from ({start.isoformat()})")
    if await fetch_person(conn, args.person) is None:
        raise Refused(unknown_name("a person of oncall.toml", args.person, await people_names(conn)))
    override_id = await add_override(conn, args.group, args.person, start, end, args.reason, args.actor)
    row = {
        "id": override_id,
        "group": args.group,
        "person": args.person,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "reason": args.reason,
        "by": args.actor,
    }
    if args.output == "json":
        render.emit_json(row)
    else:
        print(
            f"override {override_id}: {args.person} covers {args.group} from"
            f" {when.shown(start, zone)} to {when.shown(end, zone)}"
        )
    return 0


async def _overrides(args: argparse.Namespace, conn: Any, zone: tzinfo) -> int:
    from stores.oncall import overrides_ahead

    rows = await overrides_ahead(conn, args.group)
    out = [
        {
            "id": r["id"],
            "person": r["person"],
            "from": r["starts_at"].isoformat(),
            "to": r["ends_at"].isoformat(),
            "reason": r["reason"],
            "by": r["created_by"],
        }
        for r in rows
    ]
    if args.output == "json":
        render.emit_json(out)
        return 0
    print(f"{'ID':<6} {'WHO':<14} {'FROM':<22} {'TO':<22} BY / REASON")
    for r in rows:
        print(
            f"{r['id']:<6} {r['person']:<14} {when.shown(r['starts_at'], zone):<22}"
            f" {when.shown(r['ends_at'], zone):<22} {r['created_by']}: {r['reason']}"
        )
    return 0


async def _remove(args: argparse.Namespace, conn: Any) -> int:
    if not args.id.isdigit():
        raise Refused(f"the override id is a number (got {args.id!r}); `incidentctl oncall overrides GROUP` lists them")
    from stores.oncall import remove_override

    removed = await remove_override(
        conn, int(args.id), args.actor, f" (removed: {args.reason})" if args.reason else " (removed)"
    )
    if removed is None:
        raise Refused(f"no override {args.id} in force")
    print(f"override {args.id} removed: {removed['person']} no longer covers {removed['schedule']}")
    return 0
