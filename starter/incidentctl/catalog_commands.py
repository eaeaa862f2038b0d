"""`incidentctl catalog show [SERVICE]` and `incidentctl catalog reload [--file F]`.

Reload validates the whole file first and loads it in one transaction, so a file with a mistake
changes nothing (the previous agreements stay in force) and the refusal names the file, the
field and why. Re-loading the same file changes nothing. Incidents already open keep the
agreement they were logged under (each workflow holds its own copy); new incidents, the
receiver (within its catalog refresh, 30 s) and the worker's registrations use the new one.
"""

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.names import unknown_name
from starter.incidentctl import render
from starter.incidentctl.errors import Refused

if TYPE_CHECKING:
    from starter.incidentctl.context import Context


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    if args.catalog_command == "reload":
        return await reload(ctx, args, Path(args.file) if args.file else ctx.settings.catalog_path)
    return await show(ctx, args)


async def reload(ctx: "Context", args: argparse.Namespace, path: Path) -> int:
    from stores.catalog_file import CatalogFileError, load_catalog_on, read_catalog_file

    try:
        catalog = read_catalog_file(path)  # before connecting: a bad file needs no database
    except CatalogFileError as err:
        raise Refused(f"{err}; nothing changed, the loaded catalog stays in force") from None
    async with ctx.database() as conn:
        before = await _agreements(conn)
        await load_catalog_on(conn, catalog)
        after = await _agreements(conn)
    changes = {name: _change(before.get(name), after[name]) for name in after}
    if args.output == "json":
        render.emit_json({"file": str(path), "services": changes, "known_errors": len(catalog.known_errors)})
        return 0
    for name, change in sorted(changes.items()):
        print(f"{name:<16} {change}")
    touched = sum(1 for c in changes.values() if not c.startswith("unchanged"))
    print(
        f"{path}: {len(catalog.services)} services, {len(catalog.known_errors)} known errors;"
        f" {touched} changed" + ("" if touched else " (already loaded)")
    )
    return 0


def _change(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if after.get("withdrawn"):
        return "unchanged (withdrawn)" if before and before.get("withdrawn") else "withdrawn: no new incidents"
    if before is None:
        return "added"
    return "unchanged" if before == after else "changed"


async def _agreements(conn: Any) -> dict[str, dict[str, Any]]:
    from stores.catalog import agreements

    rows = await agreements(conn)
    return {r["name"]: {**json.loads(r["agreement"]), "notifications": json.loads(r["notifications"])} for r in rows}


async def show(ctx: "Context", args: argparse.Namespace) -> int:
    from stores.known_errors import every_one

    async with ctx.database() as conn:
        agreements = await _agreements(conn)
        known = await every_one(conn)
    for entry in agreements.values():
        entry.pop("notifications", None)  # webhook URLs are credentials
    if args.service is not None:
        if args.service not in agreements:
            raise Refused(unknown_name("a service of the catalog", args.service, list(agreements)))
        agreements = {args.service: agreements[args.service]}
    errors = [dict(r) | {"match": json.loads(r["match"])} for r in known if r["service"] in agreements]
    if args.output == "json":
        render.emit_json({"services": agreements, "known_errors": errors})
        return 0
    for name, agreement in agreements.items():
        print(_describe(name, agreement, [e for e in errors if e["service"] == name]))
    return 0


def _describe(name: str, a: dict[str, Any], errors: list[dict[str, Any]]) -> str:
    from datetime import timedelta

    from pydantic import TypeAdapter

    def duration(iso: str) -> str:
        """As the catalog writes it: 15m, 4h, 3d, 1h30m."""
        seconds = int(TypeAdapter(timedelta).validate_python(iso).total_seconds())
        parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"), (seconds % 3600 // 60, "m")]
        return "".join(f"{n}{unit}" for n, unit in parts if n) or f"{seconds}s"

    status = " (withdrawn: no new incidents)" if a.get("withdrawn") else ""
    lines = [
        f"{name}{status}",
        f"  owner group      {a['owner_group']}",
        f"  service manager  {a['service_manager']}",
        f"  support lines    {' -> '.join(a['support_lines'])}",
        "  targets          "
        + "  ".join(f"{p} {duration(t['response'])}/{duration(t['restore'])}" for p, t in sorted(a["targets"].items()))
        + "  (response/restore)",
        f"  windows          warning at {round(a['warning_ratio'] * 100)}%, stakeholder update every"
        f" {duration(a['major_update_interval'])}, confirmation {duration(a['confirmation_window'])},"
        f" quiet {duration(a['quiet_window'])}",
    ]
    for c in a["categories"]:
        lines.append(
            f"  category         {c['name']}: group {c['group']}"
            + (f", runbook {c['runbook']}" if c.get("runbook") else "")
        )
    for e in errors:
        lines.append(f"  known error      {e['id']} {e['title']} (matches {' + '.join(e['match'])})")
    return "\n".join(lines)
