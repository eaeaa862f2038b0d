"""B10 forecast: one simulated year of 10,000 incidents, 100 replications, on every core (target under
60 s on 2), with the events per second; against a floor of the same arrivals and durations through the
engine with classes that carry no escalations or pages (the queue alone, what the domain's
timelines add is the difference)."""

import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import say
from domain.forecast.scenario import Scenario
from forecast import run as forecast_run
from stores.catalog_file import read_catalog_file

YEARLY = 10_000
START = datetime(2027, 1, 4, tzinfo=UTC)
SHARES = {"checkout": {"P1": 0.01, "P2": 0.05, "P3": 0.25, "P4": 0.09}, "payroll": {"P2": 0.05, "P3": 0.25},
          "email": {"P3": 0.2, "P4": 0.1}}  # fmt: skip


def scenario(replications: int) -> Scenario:
    per_30_days = YEARLY / 365 * 30
    services = {name: {"arrivals": {p: share * per_30_days for p, share in shares.items()},
                       "acknowledge": {"mean": "10m"}, "restore": {"kind": "lognormal", "median": "90m", "sigma": 1.0}}
                for name, shares in SHARES.items()}  # fmt: skip
    return Scenario.model_validate({"days": 365, "replications": replications, "seed": 1, "services": services,
                                    "staff": {"checkout-oncall": 2, "hr-systems": 2, "workplace-it": 2}})  # fmt: skip


def _timed(s: Scenario, catalog: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = forecast_run.run(s, catalog, START)
    return time.perf_counter() - started, result


async def run(replications: int = 100) -> dict[str, Any]:
    catalog = read_catalog_file(Path(__file__).resolve().parents[1] / "catalog.toml")
    s = scenario(replications)
    seconds, result = _timed(s, catalog)
    incidents = sum(r["incidents_per_month"] for r in result["rows"]) * 12 * replications / 1.0
    say(f"B10: {replications} replications of a year ({incidents / replications:.0f} incidents each) in {seconds:.1f}s")
    real = forecast_run.classes_for
    forecast_run.classes_for = lambda sc, cat: [
        dataclasses.replace(c, response_target=float("inf"), pages=()) for c in real(sc, cat)
    ]
    try:
        floor_seconds, _ = _timed(s, catalog)
    finally:
        forecast_run.classes_for = real
    say(f"B10: the queue alone (no escalations, no pages) {floor_seconds:.1f}s")
    return {"replications": replications, "incidents_per_replication": round(incidents / replications),
            "seconds": round(seconds, 1), "events_per_s": round(result["events"] / seconds),
            "floor_seconds": round(floor_seconds, 1), "ratio_to_floor": round(seconds / floor_seconds, 2)}  # fmt: skip
