"""`incidentctl catalog show [SERVICE]` and `incidentctl catalog reload [--file F]`.

Reload validates the whole file first and loads it in one transaction, so a file with a mistake
changes nothing (the previous agreements stay in force) and the refusal names the file, the
field and why. Re-loading the same file changes nothing. Incidents already open keep the
agreement they were logged under (each workflow holds its own copy); new incidents, the
receiver (within its catalog refresh, 30 s) and the worker's registrations use the new one.

The files are read here, where the person is, and sent to the API (POST /v1/catalog/reload), which
validates and loads them.
"""

import argparse
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starter.incidentctl import render
from starter.incidentctl.acting import named
from starter.incidentctl.errors import Refused

if TYPE_CHECKING:
    from starter.incidentctl.context import Context

KEPT = "nothing changed, the loaded catalog stays in force"


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    if args.catalog_command == "reload":
        return reload(ctx, args, Path(args.file) if args.file else ctx.settings.catalog_path)
    return show(ctx, args)


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    """Read and parsed here, validated by the API: a file that cannot be read or parsed needs no server."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise Refused(f"{path}: cannot be read: {err.strerror or err}; {KEPT}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise Refused(f"{path}: not valid TOML: {err}; {KEPT}") from None


def reload(ctx: "Context", args: argparse.Namespace, path: Path) -> int:
    text, content = _read(path)
    oncall_text = _read(path.parent / content["oncall"])[0] if "oncall" in content else None
    from stores.catalog_file import CatalogFileError, catalog_from_texts

    try:  # checked here too, as the API will: a file with a mistake needs no server
        catalog_from_texts(path, text, oncall_text)
    except CatalogFileError as err:
        raise Refused(f"{err}; {KEPT}") from None
    body = {"file": str(path), "text": text, "oncall_text": oncall_text, "as": named(args)}
    answer = ctx.api().post("/v1/catalog/reload", json=body)
    changes = answer["services"]
    if args.output == "json":
        render.emit_json({"file": str(path), "services": changes, "known_errors": answer["known_errors"]})
        return 0
    for name, change in sorted(changes.items()):
        print(f"{name:<16} {change}")
    touched = sum(1 for c in changes.values() if not c.startswith("unchanged"))
    print(
        f"{path}: {answer['services_in_file']} services, {answer['known_errors']} known errors;"
        f" {touched} changed" + ("" if touched else " (already loaded)")
    )
    return 0


def show(ctx: "Context", args: argparse.Namespace) -> int:
    shown = ctx.api().get("/v1/catalog", query={"service": args.service})
    agreements, errors = shown["services"], shown["known_errors"]
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
