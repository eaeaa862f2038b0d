"""`incidentctl audit`: check the hash-chained audit log, and export it for archiving.

    audit verify                      the whole log through the API, up to its chain head
    audit verify --file export.jsonl  an export, offline (no API, no database)
    audit export [--since TIME] [--output FILE]

verify recomputes every entry's hash here (domain/audit_chain.py), trusting the API only to hand over
what is stored: exit 0 when the chain holds, 1 naming the first entry altered or removed in one line.
export writes JSON Lines, one entry a line as the API gives it; progress and the last entry's hash go to
stderr (keep that hash: the next export's entries chain from it).
"""

import argparse
import json
import sys
import urllib.parse
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from domain.audit_chain import AuditEntry, ChainHead, first_break, from_json, to_json
from starter.incidentctl import when
from starter.incidentctl.errors import DONE, REFUSED, Refused

if TYPE_CHECKING:
    from starter.incidentctl.context import Context

PAGE = 1000  # the API's largest page
PROGRESS_EVERY = 10_000  # entries between two progress lines of a long export


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "audit",
        parents=[common],
        help="verify the audit log's hash chain, or export it (auditors)",
        description="The audit log: every action on an incident and every configuration change, each entry"
        " chained to the one before by a hash. Needs the right read_audit (auditors, admins).",
    )
    what = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = what.add_parser(
        "verify", parents=[common], help="recompute the chain; name the first entry altered or removed"
    )
    verify.add_argument(
        "--file", metavar="EXPORT", help="check this export (JSON Lines) offline instead of the API's log"
    )
    # not `common`: its -o/--output is the table/json switch, and here --output names the file
    export = what.add_parser("export", help="write the log as JSON Lines for archiving")
    export.add_argument(
        "--since", metavar="TIME", help="from the first entry made at or after this time (default: the start)"
    )
    export.add_argument(
        "--output", dest="output_file", metavar="FILE", help="write to this file (default: standard output)"
    )
    export.add_argument("--tz", default=None, help="read --since in this zone (default: this machine's)")


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    if args.audit_command == "verify":
        if args.file:
            return verify_file(args.file, sys.stdout)
        return verify_through_api(_api(ctx), sys.stdout)
    return export(ctx, args)


def _api(ctx: "Context") -> Any:
    return ctx.api()


def _pages(api: Any, since: str | None, head: ChainHead) -> Iterator[AuditEntry]:
    """Every entry up to the head read beforehand (later appends are the next check's)."""
    query: dict[str, str] = {"limit": str(PAGE)}
    if since:
        query["since"] = since
    while True:
        page = api.get("/v1/audit?" + urllib.parse.urlencode(query))
        for item in page["items"]:
            entry = from_json(item)
            if entry.seq > head.seq:
                return
            yield entry
        if not page.get("next_cursor"):
            return
        query["cursor"] = page["next_cursor"]


def _head(api: Any) -> ChainHead:
    answer = api.get("/v1/audit/head")
    return ChainHead(seq=int(answer["seq"]), hash=answer["hash"])


def verify_through_api(api: Any, out: IO[str]) -> int:
    head = _head(api)
    found = first_break(_pages(api, None, head), head, first_seq=1)
    if found is not None:
        out.write(f"audit log broken: {found.line()}\n")
        return REFUSED
    if head.seq == 0:
        out.write("audit log intact: no entries yet\n")
    else:
        out.write(f"audit log intact: entries 1..{head.seq}, the last one's hash {head.hash}\n")
    return DONE


def _read_export(path: str) -> tuple[list[AuditEntry], list[int]]:
    """The entries and the line each came from; a line that is not an entry refuses the file."""
    entries: list[AuditEntry] = []
    lines: list[int] = []
    try:
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    entries.append(from_json(json.loads(line)))
                except (ValueError, KeyError, TypeError, AttributeError) as err:
                    raise Refused(f"{path}: line {number} is not an audit entry ({type(err).__name__})") from None
                lines.append(number)
    except OSError as err:
        raise Refused(f"cannot read {path}: {err.strerror or err}") from None
    return entries, lines


def verify_file(path: str, out: IO[str]) -> int:
    entries, lines = _read_export(path)
    if not entries:
        raise Refused(f"{path} holds no audit entries")
    first = entries[0]
    whole = first.seq == 1 or first.prev_hash == "0" * 64
    found = first_break(entries, first_seq=1 if whole else None)
    if found is not None:
        line = lines[found.position] if found.position < len(lines) else lines[-1] + 1
        out.write(f"audit export broken at line {line}: {found.line()}\n")
        return REFUSED
    last = entries[-1]
    span = f"entries {first.seq}..{last.seq} ({len(entries)} lines)"
    if not whole:
        span += f", chained from entry {first.seq - 1}'s hash {first.prev_hash} (not in the file)"
    out.write(f"audit export intact: {span}; the last one's hash {last.hash}\n")
    return DONE


def export(ctx: "Context", args: argparse.Namespace) -> int:
    since = None
    if args.since:
        since = when.instant(args.since, when.zone(args), "--since").isoformat()
    api = _api(ctx)
    head = _head(api)
    target = open(args.output_file, "w", encoding="utf-8") if args.output_file else sys.stdout  # noqa: SIM115
    count = 0
    first_seq = last_seq = 0
    last_hash = ""
    try:
        for entry in _pages(api, since, head):
            target.write(json.dumps(to_json(entry), ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
            first_seq = first_seq or entry.seq
            last_seq, last_hash = entry.seq, entry.hash
            if count % PROGRESS_EVERY == 0:
                sys.stderr.write(f"exported {count} entries (up to entry {entry.seq} of {head.seq})\n")
    finally:
        if args.output_file:
            target.close()
    if count == 0:
        sys.stderr.write("exported no entries\n")
    else:
        sys.stderr.write(
            f"exported {count} entries, {first_seq}..{last_seq}; the last one's hash {last_hash}"
            " (keep it: the next export's entries chain from it)\n"
        )
    return DONE
