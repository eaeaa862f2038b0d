"""`incidentctl known-error` and `incidentctl changes`: what release management told us.

known-error add --service S --match PHRASE... --workaround TEXT [--title T] [--problem PRB-n] [--release R]
known-error list [--service S] [--all]
known-error show KE-n                  the known error and its audit trail (who, when, why)
known-error retire KE-n --reason TEXT  it no longer matches new events
known-error test --service S "TEXT"    what an event with this text would match
changes [--service S] [--since 24h]    change events (POST /v2/change/enqueue), newest first
"""

import argparse
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starter.incidentctl import render, when
from starter.incidentctl.acting import named
from starter.incidentctl.errors import Refused
from starter.incidentctl.paged import every

if TYPE_CHECKING:
    from starter.incidentctl.context import Context


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "known-error",
        parents=[common],
        help="the known-error database: add, list, retire, test",
        description="Known errors (release management): an event that matches one is answered with"
        " its workaround and ends as known_error, not as an incident.",
    )
    what = p.add_subparsers(dest="known_error_command", required=True, metavar="ACTION")
    add = what.add_parser("add", parents=[common], help="add a known error; open incidents it matches are offered it")
    add.add_argument("--service", required=True, help="a service of the agreed catalog")
    add.add_argument(
        "--match",
        nargs="+",
        required=True,
        metavar="PHRASE",
        help="phrases (3 characters or more) that must all appear in an event's text",
    )
    add.add_argument("--workaround", required=True, help="what the caller or the engineer does meanwhile")
    add.add_argument("--title", default="", help="one line on the error (default: the phrases)")
    add.add_argument("--problem", default=None, help="the problem record, e.g. PRB-77")
    add.add_argument("--release", default=None, help="the release whose testing found it, e.g. 4.13")
    listed = what.add_parser("list", parents=[common], help="the known errors (retired ones too with --all)")
    listed.add_argument("--service", help="only this service")
    listed.add_argument("--all", action="store_true", help="retired ones too")
    show = what.add_parser("show", parents=[common], help="one known error and its audit trail")
    show.add_argument("id", help="e.g. KE-1000")
    retire = what.add_parser("retire", parents=[common], help="stop matching it (fixed by a later release)")
    retire.add_argument("id", help="e.g. KE-1000")
    retire.add_argument("--reason", required=True, help="why, kept in the audit trail (e.g. fixed in 4.13)")
    test = what.add_parser("test", parents=[common], help="what an event with this text would match")
    test.add_argument("--service", required=True, help="a service of the agreed catalog")
    test.add_argument("text", help="the event's text (its summary)")

    p = sub.add_parser(
        "changes",
        parents=[common],
        help="changes deployed to the services, newest first",
        description="Change events sent to POST /v2/change/enqueue (PagerDuty Change Events API v2).",
    )
    p.add_argument("--service", help="only this service")
    p.add_argument("--since", default="24h", help="how far back, e.g. 2h, 24h, 7d (default 24h)")


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    api = ctx.api()
    if args.command == "changes":
        return _changes(args, api)
    command = args.known_error_command
    if command == "add":
        return _add(args, api)
    if command == "retire":
        return _retire(args, api)
    if command == "test":
        return _test(args, api)
    if command == "show":
        return _show(args, api)
    return _list(args, api)


def _add(args: argparse.Namespace, api: Any) -> int:
    # the request id names it: the same command run again (after "not offered yet") adds nothing new
    args.request_id = args.request_id or f"incidentctl-{uuid.uuid4().hex}"
    draft = {
        "service": args.service,
        "match": args.match,
        "workaround": args.workaround,
        "title": args.title,
        "problem": args.problem,
        "release": args.release,
        "key": args.request_id,
        "as": named(args),
    }
    added = api.post("/v1/known-errors", json=draft)
    created = added.pop("created")
    if args.output == "json":
        render.emit_json({**added, "created": created})
        return 0
    verb = "added" if created else "was added already"
    print(
        f"{added['id']} {verb}: {added['service']} events matching {' + '.join(repr(p) for p in added['match'])}"
        " end as known_error; open incidents that match are offered its workaround"
    )
    return 0


def _retire(args: argparse.Namespace, api: Any) -> int:
    known = api.post(f"/v1/known-errors/{quote(args.id)}/retire", json={"reason": args.reason, "as": named(args)})
    if args.output == "json":
        render.emit_json(known)
        return 0
    print(
        f"{known['id']} retired: new {known['service']} events matching it open incidents again;"
        " incidents it closed keep their history"
    )
    return 0


def _test(args: argparse.Namespace, api: Any) -> int:
    known = api.get("/v1/known-errors/match", query={"service": args.service, "text": args.text})["matches"]
    if args.output == "json":
        render.emit_json({"matches": known})
        return 0
    if known is None:
        print(f"no known error of {args.service} matches: this event would open an incident")
    else:
        print(
            f"matches {_describe_match(known)}: the event would end as known_error\n  workaround: {known['workaround']}"
        )
    return 0


def _describe_match(known: dict[str, Any]) -> str:
    from domain.catalog import KnownError  # here: the parser imports this module for every command

    return KnownError.model_validate(known).describe_match()


def _list(args: argparse.Namespace, api: Any) -> int:
    rows = every(api, "/v1/known-errors", service=args.service, retired="true" if args.all else None)
    if args.output == "json":
        render.emit_json(rows)
        return 0
    if not rows:
        print("no known errors" + (f" for {args.service}" if args.service else ""))
    for row in rows:
        state = (
            f"RETIRED {row['retired_at'][:16]} by {row['retired_by']}: {row['retired_reason']}"
            if row["retired_at"]
            else f"added by {row['added_by']} ({row['origin']})"
        )
        release = f" release {row['release']}" if row["release"] else ""
        print(
            f"{row['id']:<8} {row['service']:<10} {' + '.join(row['match'])!s:<32} {row['title']}{release}\n"
            f"{'':<8} workaround: {row['workaround']}\n{'':<8} {state}"
        )
    return 0


def _show(args: argparse.Namespace, api: Any) -> int:
    row = api.get(f"/v1/known-errors/{quote(args.id.upper())}")
    if args.output == "json":
        render.emit_json(row)
        return 0
    print(
        f"{row['id']} {row['service']}: {row['title']}\n  match       {' + '.join(row['match'])}\n"
        f"  workaround  {row['workaround']}"
    )
    for key in ("problem", "release", "retired_reason"):
        if row.get(key):
            print(f"  {key.replace('_', ' '):<11} {row[key]}")
    for entry in row["audit"]:
        reason = f"  ({entry['reason']})" if entry["reason"] else ""
        print(f"  {entry['at'][:19]}  {entry['action']:<8} by {entry['actor']}{reason}")
    return 0


def _changes(args: argparse.Namespace, api: Any) -> int:
    from domain.durations import parse_duration

    try:
        since = parse_duration(args.since)
    except ValueError as err:
        raise Refused(f"--since: {err}") from None
    found = every(api, "/v1/changes", service=args.service, since=(datetime.now(UTC) - since).isoformat())
    changes = [{**change, "at": when.iso(change["at"])} for change in found]
    if args.output == "json":
        render.emit_json(changes)
        return 0
    if not changes:
        print(f"no changes in the last {args.since}" + (f" to {args.service}" if args.service else ""))
    for change in changes:
        link = f"  {change['links'][0]['href']}" if change["links"] else ""
        source = f" ({change['source']})" if change["source"] else ""
        print(f"{change['at'][:19]}  {change['service']:<10} {change['summary']}{source}{link}")
    return 0
