"""`incidentctl forecast`: what if we promise this target, with this rota and this many incidents?

    forecast (--scenario FILE | --from-history 90d) [--target P2.restore=6h]... [--staff GROUP=+1]...
             [--arrivals x1.5] [--days 365] [--replications 100] [--seed 1] [--html FILE] [-o json]

Runs the real rules (domain/forecast) over simulated time, today's targets and, when changes are
given, the what-if beside them, with the same seeds. Progress goes to stderr.
"""

import argparse
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starter.incidentctl import render
from starter.incidentctl.errors import Refused
from starter.incidentctl.paged import every

if TYPE_CHECKING:
    from starter.incidentctl.context import Context

START = datetime(2027, 1, 4, tzinfo=UTC)
TIMES = (
    "logged_at",
    "acknowledged_at",
    "restored_at",
    "resolved_at",
)  # of the record's rows, as the fit takes them  # a Monday: the simulated period begins here, so a seed repeats


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "forecast",
        parents=[common],
        help="what-if: forecast SLA compliance and on-call load",
        description="Simulate months of incidents with the real rules (priority, timers, SLA math,"
        " escalation, paging, on-call) and report compliance with a 90%% interval.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenario", type=Path, help="a TOML scenario: arrivals, durations, staff (see README)")
    source.add_argument("--from-history", metavar="PERIOD", help="fit rates and durations from the record, e.g. 90d")
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="P.KIND=DURATION",
        help="a what-if target, e.g. P2.restore=6h (repeatable)",
    )
    p.add_argument(
        "--staff",
        action="append",
        default=[],
        metavar="GROUP=+N",
        help="engineers a group has on call at once: +1, -1 or a number (default 1; repeatable)",
    )
    p.add_argument("--arrivals", metavar="xF", help="every arrival rate times F, e.g. x1.5")
    p.add_argument("--days", type=int, help="simulated days (default 365)")
    p.add_argument("--replications", type=int, help="independent runs for the interval (default 100)")
    p.add_argument("--seed", type=int, help="the same seed and inputs give the same forecast (default 1)")
    p.add_argument("--html", type=Path, help="also write the picture (self-contained HTML) to this file")


def _overrides(args: argparse.Namespace) -> dict[str, int]:
    """--days, --replications and --seed, where given: over the scenario file's or the fit's."""
    return {
        k: v
        for k, v in (("days", args.days), ("replications", args.replications), ("seed", args.seed))
        if v is not None
    }


def _scenario(args: argparse.Namespace) -> tuple[Any, str]:
    from pydantic import ValidationError  # here: the parser imports this module for every command

    from domain.forecast.scenario import Scenario

    overrides = _overrides(args)
    if args.scenario is not None:
        try:
            raw = tomllib.loads(args.scenario.read_text())
        except OSError as err:
            raise Refused(f"--scenario {args.scenario}: cannot be read: {err.strerror or err}") from None
        except tomllib.TOMLDecodeError as err:
            raise Refused(f"--scenario {args.scenario}: not valid TOML: {err}") from None
        try:
            return Scenario.model_validate({**raw, **overrides}), f"scenario {args.scenario}"
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            where = ".".join(str(x) for x in first["loc"])
            raise Refused(
                f"--scenario {args.scenario}: {where}: {first['msg'].removeprefix('Value error, ')}"
            ) from None
    return None, f"the record of the last {args.from_history}"


async def _from_history(ctx: "Context", args: argparse.Namespace, catalog: Any) -> Any:
    from domain.durations import parse_duration
    from domain.forecast.fit import fit

    try:
        period = parse_duration(args.from_history)
    except ValueError as err:
        raise Refused(f"--from-history: {err}") from None
    until = datetime.now(UTC)
    # a service withdrawn from the catalog takes no more incidents
    services = ",".join(catalog.services)
    found = every(ctx.api(), "/v1/forecast/history", since=(until - period).isoformat(), services=services, limit=1000)
    rows = [{**row, **{key: _instant(row[key]) for key in TIMES}} for row in found]
    from domain.enums import Priority
    from domain.forecast.classes import incident_class
    from forecast.run import routes_for

    for row in rows:  # a category the catalog no longer has is filed as an incident naming none would be
        if row["category"] not in {c.name for c in catalog.services[row["service"]].categories}:
            row["category"] = None
    # who takes each service, priority and category: the pickups are reconstructed per group, as the
    # engine queues them (domain/forecast/fit.py)
    classes = [
        incident_class(entry.agreement(), p, category.name)
        for entry in catalog.services.values()
        for p in Priority
        for category in entry.categories
    ]
    return fit(rows, until - period, until, routes=routes_for(classes, catalog), **_overrides(args))


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def run(ctx: "Context", args: argparse.Namespace) -> int:
    from domain.forecast.scenario import ScenarioError, what_if
    from forecast.run import run as forecast
    from stores.catalog_file import CatalogFileError, read_catalog_file

    settings = ctx.settings
    try:
        catalog = read_catalog_file(settings.catalog_path)
    except CatalogFileError as err:
        raise Refused(str(err)) from None
    scenario, source = _scenario(args)
    try:
        if scenario is None:
            scenario = await _from_history(ctx, args, catalog)
            for service, why in sorted(scenario.left_out.items()):  # said, never dropped silently
                print(f"left out {service}: {why} (give --scenario FILE to forecast it)", file=sys.stderr)
                source += f"; left out {service} ({why})"
        groups = {c.group for s in catalog.services.values() for c in s.categories} | {
            line for s in catalog.services.values() for line in s.support_lines
        }
        scenario.checked_against(catalog.services, groups)
        changes = [*(f"target {t}" for t in args.target), *(f"staff {s}" for s in args.staff)] + (
            [f"arrivals {args.arrivals}"] if args.arrivals else []
        )
        changed = what_if(scenario, args.target, args.staff, args.arrivals).checked_against(catalog.services, groups)
    except ScenarioError as err:
        raise Refused(str(err)) from None

    def progress(label: str) -> Any:
        def show(done: int, total: int) -> None:
            if sys.stderr.isatty():  # one line, rewritten
                sys.stderr.write(f"\r{label}: replication {done}/{total}" + ("\n" if done == total else ""))
            elif done == total or done % max(1, total // 10) == 0:  # a log: a line every tenth
                sys.stderr.write(f"{label}: replication {done}/{total}\n")
            sys.stderr.flush()

        return show

    report: dict[str, Any] = {
        "inputs": {
            "source": source,
            "seed": scenario.seed,
            "replications": scenario.replications,
            "days": scenario.days,
            "start": START.isoformat(),
            "catalog": str(settings.catalog_path),
            "changes": changes,
            "staff": scenario.staff or "1 per group",
            "description": f"{source}; {scenario.days} days from {START:%Y-%m-%d}, {scenario.replications} replications, seed"
            f" {scenario.seed}; catalog {settings.catalog_path}",
        }
    }
    report["today"] = forecast(scenario, catalog, START, progress("today's targets"))
    report["what_if"] = forecast(changed, catalog, START, progress("what if")) if changes else None
    if args.html:
        from forecast.picture import render as picture

        args.html.write_text(picture(report))
    if args.output == "json":
        render.emit_json(report)
        return 0
    print(_table(report))
    if args.html:
        print(f"picture: {args.html}")
    return 0


def _table(report: dict[str, Any]) -> str:
    today, other = report["today"], report["what_if"]
    by_key = {(r["service"], r["priority"]): r for r in (other or {}).get("rows", [])}
    pct = lambda r, k: f"{r[f'{k}_compliance']:.1%} ({r[f'{k}_interval'][0]:.0%}-{r[f'{k}_interval'][1]:.0%})"  # noqa: E731
    head = f"{'SERVICE':<10} {'PRI':<4} {'PER MONTH':>9}  {'RESPONSE MET':<18} {'RESTORE MET':<18} {'BREACHES/MO':>11}"
    lines = [
        f"forecast: {report['inputs']['description']}",
        head + ("   WHAT IF: RESTORE MET, BREACHES/MO" if other else ""),
    ]
    for row in today["rows"]:
        line = (
            f"{row['service']:<10} {row['priority']:<4} {row['incidents_per_month']:>9}  {pct(row, 'response'):<18}"
            f" {pct(row, 'restore'):<18} {row['breaches_per_month']:>11}"
        )
        if other and (row["service"], row["priority"]) in by_key:
            changed = by_key[(row["service"], row["priority"])]
            line += f"   {pct(changed, 'restore'):<18} {changed['breaches_per_month']}"
        lines.append(line)
    pages = today["pages_per_person_per_week"]
    lines.append("pages per person per week: " + (", ".join(f"{p} {n}" for p, n in list(pages.items())[:8]) or "none"))
    lines.append(
        "busiest hours (UTC): " + ", ".join(f"{h['hour']:02d}:00 {h['share']:.1%}" for h in today["busiest_hours_utc"])
    )
    if other:
        lines.append(f"what if: {', '.join(report['inputs']['changes'])}")
    return "\n".join(lines)
