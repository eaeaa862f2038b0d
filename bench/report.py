"""Progress lines while the bench runs, the results table at the end, and bench/results.json."""

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

# BENCH_RESULTS: another file (make bench's one-core run keeps the full run's results.json)
RESULTS = Path(os.environ.get("BENCH_RESULTS") or Path(__file__).resolve().parent / "results.json")
_STARTED = time.monotonic()


def say(message: str) -> None:
    """One progress line, with the time since the bench started."""
    sys.stdout.write(f"[{time.monotonic() - _STARTED:6.1f}s] {message}\n")
    sys.stdout.flush()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpus_used": len(os.sched_getaffinity(0)), "cpu": model, "memory_gb": memory_gb, "load_average_at_start": load_average(),
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}"}  # fmt: skip


def load_average() -> str:
    """1, 5 and 15 minute load averages: other work on the machine shows here (2 cores: 2.0 is full)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def table(rows: list[dict[str, Any]]) -> str:
    """rows: {bench, figure, value, target, met}; met is True, False or None (no target)."""
    header = ("bench", "figure", "value", "target", "")
    cells = [(r["bench"], r["figure"], r["value"], r.get("target") or "-",
              {True: "ok", False: "MISSED", None: ""}[r.get("met")]) for r in rows]  # fmt: skip
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths).rstrip())
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(c, widths)).rstrip() for c in cells]
    return "\n".join(lines)


def write(results: dict[str, Any]) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")


def _row(bench: str, figure: str, value: str, target: str | None = None, met: bool | None = None) -> dict[str, Any]:
    return {"bench": bench, "figure": figure, "value": value, "target": target, "met": met}


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The table: each figure against its target (a ratio to the floor where there is one)."""
    out: list[dict[str, Any]] = []
    for name in ("b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15"):
        result = results.get(name)
        if result is None:
            continue
        if "error" in result:
            out.append(_row(name.upper(), "did not run", result["error"], met=False))
            continue
        out += globals()[f"_{name}_rows"](result)
    return out


def _b14_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    ack, listed, shown = r["ack"], r["list"], r["show"]
    return [
        _row("B14", "incidentctl ack through the API / the same update by a minimal SDK script (B3's floor)",
             f"{ack['median_s']['incidentctl_via_api']:.3f} / {ack['median_s']['python_sdk']:.3f} s"
             f" = {ack['ratio']}x", f"<= {r['ack_target_ratio']}x", ack["ratio"] <= r["ack_target_ratio"]),
        _row("B14", f"API list of {listed['incidents']} / the store query in process",
             f"{listed['median_s']['api']:.3f} / {listed['median_s']['store_query']:.3f} s = {listed['ratio']}x"),
        _row("B14", "API show --history / the workflow query in process",
             f"{shown['median_s']['api']:.3f} / {shown['median_s']['workflow_query']:.3f} s = {shown['ratio']}x"),
    ]  # fmt: skip


def _b15_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    def figure(key: str) -> str:
        x = r.get(key) or {"skipped": "not measured (see the OpenID Connect token's line)"}
        return x["skipped"] if "skipped" in x else f"{x['p50_us']:.0f} / {x['p99_us']:.0f} us"

    return [
        _row(
            "B15",
            "verifying who asks, per API request, p50 / p99: one SELECT 1 round trip (floor)",
            figure("floor_select_1"),
        ),
        _row("B15", "the same: an API token (its hash looked up, the holder's groups)", figure("api_token")),
        _row("B15", "the same: an OpenID Connect access token (RS256, cached key, the groups)", figure("oidc_jwt")),
        _row("B15", "the same: the JWT's signature and claims alone", figure("oidc_signature_only")),
    ]


def _b11_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    from bench.b11_rows import table_rows

    return table_rows(r)


def _b12_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    if "skipped" in r:
        return [_row("B12", "scale-out on namespace hosts", r["skipped"])]
    one, two, slow_one, slow_two = r["1x1"], r["2x2"], r["1x1_impaired"], r["2x2_impaired"]

    def pages(x: dict[str, Any]) -> str:
        return x["page_error"] if "page_error" in x else f"{x['page_p50_s']:.2f} / {x['page_p99_s']:.2f} s"

    return [
        _row("B12", f"deliveries accepted/s, 2 receivers + 2 workers / 1 + 1 ({r['deliveries']} over {r['groups']} groups)",
             f"{two['intake_per_s']:,.0f} / {one['intake_per_s']:,.0f} = {r['intake_ratio']}x"),
        _row("B12", "the same with 200 ms / 5% loss between those hosts and the core",
             f"{slow_two['intake_per_s']:,.0f} / {slow_one['intake_per_s']:,.0f} = {r['intake_ratio_impaired']}x"),
        _row("B12", f"alert -> first page, p50 / p99 ({r['probes']} probes), 1 + 1 and 2 + 2",
             f"{pages(one)} and {pages(two)}"),
        _row("B12", "the same with 200 ms / 5% loss, 1 + 1 and 2 + 2",
             f"{pages(slow_one)} and {pages(slow_two)}"),
    ]  # fmt: skip


def _b10_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _row("B10", f"forecast: a year of {r['incidents_per_replication']} incidents x {r['replications']} replications"
             f" (floor: the queue alone, {r['floor_seconds']:.1f} s)",
             f"{r['seconds']:.1f} s = {r['ratio_to_floor']:.2f}x floor, {r['events_per_s']:,} events/s", "< 60 s",
             r["seconds"] < 60),
    ]  # fmt: skip


def _b9_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    rate, storm = r["requests_per_s"], r["storm_alerts_per_s"]
    return [
        _row("B9", f"/status served with {r['open_incidents']} open incidents during {storm} alerts/s, req/s"
             f" (floor: /healthz, {rate['healthz']:.0f}/s, same client)",
             f"{rate['page']:.0f}/s = {r['page_to_floor']:.2f}x floor", ">= 500/s", rate["page"] >= 500),
        _row("B9", "/status/api/v2/summary.json, the same", f"{rate['summary']:.0f}/s = {r['summary_to_floor']:.2f}x"
             " floor", ">= 500/s", rate["summary"] >= 500),
        _row("B9", "alert accepted -> its incident on the page's board, p50 / p99 (a page polls every 2 s on top)",
             f"{r['alert_to_board_p50_s']:.2f} / {r['alert_to_board_p99_s']:.2f} s", "page <= 5 s",
             r["alert_to_board_p99_s"] + 2 <= 5),
    ]  # fmt: skip


def _b8_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    miss, hit, floor, cold = r["no_match"], r["match"], r["floor"], r["uncached"]
    return [
        _row("B8", f"known-error check per event, {r['known_errors']} known errors, no match: p50 / p99"
             f" (floor: one Postgres round trip, p50 {floor['p50_ms']:.3f} ms)",
             f"{miss['p50_ms']:.3f} / {miss['p99_ms']:.3f} ms = {r['ratio_to_floor']:.1f}x floor", "< 1 ms",
             miss["p99_ms"] < 1),
        _row("B8", "the same, an event that matches / after a change (the 1,000 reloaded), p50",
             f"{hit['p50_ms']:.3f} / {cold['p50_ms']:.2f} ms"),
    ]  # fmt: skip


def _b7_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    alone, storm, year = r["alone"], r["storm"], r["year_of_shifts"]
    return [
        _row("B7", f"alert received -> first page at the SMTP server, alone ({alone['n']} P1 probes), p50 / p99",
             f"{alone['p50_s']:.2f} / {alone['p99_s']:.2f} s", "p99 <= 2 s", alone["p99_s"] <= 2),
        _row("B7", f"the same during a storm of {storm['storm_deliveries']} paging deliveries, p50 / p99 (p99 / alone's)",
             f"{storm['p50_s']:.2f} / {storm['p99_s']:.2f} s ({storm['p99_s'] / alone['p99_s']:.1f}x)",
             "p99 <= 2 s and <= 10x alone's", storm["p99_s"] <= 2 and storm["p99_s"] <= 10 * alone["p99_s"]),
        _row("B7", "the storm: every delivery in Temporal after (from its first; the P1s' calls go first)",
             f"{storm['forwarded_after_s']:.1f} s" if "forwarded_after_s" in storm else "-"),
        _row("B7", "`oncall shifts` of a year: 3 layers, 12 people, 50 overrides",
             f"{year['median_ms']:.1f} ms ({year['shifts']} shifts)", "<= 50 ms", year["median_ms"] <= 50),
    ]  # fmt: skip


def _b6_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    m = r["median_s"]
    return [
        _row(
            "B6",
            f"`incidentctl list` of {r['incidents']} incidents / `temporal workflow list` of them",
            f"{m['incidentctl']:.3f} / {m['temporal_cli']:.3f} s = {r['ratio_to_temporal_cli']:.2f}x",
            "<= 1.5x (about the same)",
            r["ratio_to_temporal_cli"] <= 1.5,
        )
    ]


def _b1_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    cpu = r["cpu_s_per_lifecycle"]
    return [
        _row("B1", f"lifecycles/s, pipeline / bare ({r['n']} each, {r['concurrency']} in flight)",
             f"{r['pipeline_per_s']} / {r['bare_per_s']} = {r['ratio']:.2f}x", ">= 0.85x", r["ratio"] >= 0.85),
        _row("B1", f"  each round's ratio ({len(r['round_ratios'])} rounds of bare, pipeline, pipeline, bare)",
             ", ".join(f"{ratio:.2f}x" for ratio in r["round_ratios"])),
        _row("B1", "CPU s per lifecycle, bare / pipeline (every process)",
             f"{cpu['bare']} / {cpu['pipeline']} = {r['cpu_ratio']:.2f}x"),
        _row("B1", "history per workflow, pipeline / bare", ", ".join(
            f"{k.replace('_', ' ')} {r['shape']['pipeline'][k]:g}/{r['shape']['bare'][k]:g}"
            for k in ("activities", "updates", "timers", "workflow_tasks"))),
    ]  # fmt: skip


def _b2_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    rec, floor = r["receiver"], r["floor"]
    size = f"{r['deliveries']} over {r['groups']} groups, {r['senders']} senders, {r['shape']}"
    return [
        _row("B2", f"accepted/s, receiver / one signal-with-start per alert ({size})",
             f"{rec['per_s']:.0f} / {floor['per_s']:.0f} = {r['ratio']:.2f}x", ">= 3x", r["ratio"] >= 3),
        _row("B2", "answer latency p50 / p99 (floor: its call latency)",
             f"{rec['p50_ms']:.0f} / {rec['p99_ms']:.0f} ms (floor {floor['p50_ms']:.0f} / {floor['p99_ms']:.0f} ms)"),
        _row("B2", "every delivery in Temporal after (receiver: answered, then forwarded from its inbox)",
             f"{rec['in_temporal_s']:.1f} s (floor {floor['in_temporal_s']:.1f} s)"),
        _row("B2", "deliveries per Temporal call (coalesced by the forwarder)", f"{rec['deliveries_per_call']}"),
        _row("B2", "incidents created", f"{rec['incidents']}", f"= {r['groups']}", rec["incidents"] == r["groups"]),
        _row("B2", "sum of occurrence counts", f"{rec['occurrences']}", f"= {r['deliveries']}",
             rec["occurrences"] == r["deliveries"]),
        *(_row("B2", f"  same, {s['shape']} ({s['deliveries']} over {s['groups']} groups)",
               f"{s['receiver']['per_s']:.0f} / {s['floor']['per_s']:.0f} = {s['ratio']:.2f}x, "
               f"{s['receiver']['deliveries_per_call']} per call, nothing lost: {s['nothing_lost']}")
          for s in r.get("shapes", [])),
    ]  # fmt: skip


def _b13_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    rounds = r["rounds"]
    values = ", ".join(f"{x['receiver']['per_s']:.0f} / {x['floor']['per_s']:.0f} = {x['ratio']:.2f}x" for x in rounds)
    return [
        _row("B13", f"accepted/s, receiver / one signal-with-start per alert ({r['deliveries']} over {r['groups']} "
             f"groups, every group at once, {r['senders']} senders; {len(rounds)} rounds, the worst counts)",
             values, ">= 3x", r["ratio"] >= 3),
        _row("B13", "answer latency p50 / p99, nothing lost",
             ", ".join(f"{x['receiver']['p50_ms']:.0f} / {x['receiver']['p99_ms']:.0f} ms" for x in rounds)
             + f"; {r['nothing_lost']}", "nothing lost", r["nothing_lost"]),
    ]  # fmt: skip


def _b3_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    m = r["median_s"]
    return [
        _row("B3", f"`incidentctl ack` / minimal SDK script (medians of {r['rounds']} paired runs)",
             f"{m['incidentctl']:.3f} / {m['python_sdk']:.3f} s = {r['ratio_to_python_sdk']:.2f}x", "<= 1.2x",
             r["ratio_to_python_sdk"] <= 1.2),
        _row("B3", "`incidentctl ack` / `temporal workflow update execute`",
             f"{m['incidentctl']:.3f} / {m['temporal_cli']:.3f} s = {r['ratio_to_temporal_cli']:.1f}x"),
    ]  # fmt: skip


def _b4_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    late, floor, lag = r["lateness_s"], r["floor_lateness_s"], r["projection_lag_s"]
    rss = ", ".join(f"{s['n']}: {s['mb']:.0f}" for s in r["rss_mb"])
    return [
        _row("B4", f"breach timer lateness p50 / p99 (N={r['n']}, restore {r['restore_s']:.0f}s)",
             f"{late['p50']:.2f} / {late['p99']:.2f} s (bare timer floor {floor['p50']:.2f} / {floor['p99']:.2f} s)",
             "p99 <= 2 s", late["p99"] <= 2.0),
        _row("B4", "worker RSS MB by open incidents", rss),
        _row("B4", "RSS at N / RSS at N/2 (SDK workflow cache: 1000)", f"{r['rss_growth_half_to_n']:.2f}x",
             "flat (<= 1.10x)",
             r["rss_growth_half_to_n"] <= 1.10),
        _row("B4", "projection lag p50 / p99 (breach row in Postgres after the breach)",
             f"{lag['p50']:.2f} / {lag['p99']:.2f} s, at most {r['rows_behind_max']} rows behind"),
    ]  # fmt: skip


def _b5_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    m = r["milestones_s"]
    return [_row("B5", f"`{r['via']}` to the first incident in the Web UI's API",
                 f"{r['seconds']:.1f} s (Ready. {m['ready']:.1f} s, opened {m['opened']:.1f} s)", "<= 15 s",
                 r["seconds"] <= 15)]  # fmt: skip
