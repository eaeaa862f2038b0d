"""B11's lines of make bench's table (bench/report.py), from bench/b11_record.py's results."""

from typing import Any


def _row(figure: str, value: str, target: str, met: bool) -> dict[str, Any]:
    return {"bench": "B11", "figure": figure, "value": value, "target": target, "met": met}


def table_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """B11's lines of make bench's table: each size's figures against issue 23's targets."""
    out = []
    for size, f in r["sizes"].items():
        page, listed, cast = f["status_page"], f["list"], f["forecast"]
        n = f"{int(size):,}"
        out += [
            _row(f"{n} closed, {page['unresolved_on_the_page']} open on the page: /status, summary.json,"
                 " incidents.json rebuilt (the first rebuild; summary.json / incidents.json bytes)",
                 f"{page['rebuild_ms']:.0f} ms ({page['first_ms']:.0f} ms; {page['bytes']['summary.json']:,}"
                 f" / {page['bytes']['incidents.json']:,} B)", "<= 100 ms", page["rebuild_ms"] <= 100),
            _row(f"{n} closed: list / list --all, the read; the command; the API",
                 f"{listed['open']['read_ms']:.1f} / {listed['all']['read_ms']:.1f} ms; {listed['open']['command_s']:.2f}"
                 f" / {listed['all']['command_s']:.2f} s; {listed['open']['api_ms']:.0f} / {listed['all']['api_ms']:.0f} ms",
                 "<= 50 ms", max(listed["open"]["read_ms"], listed["all"]["read_ms"]) <= 50),
            _row(f"{n} closed: forecast --from-history 90d / a scenario of the same arrivals (10 replications)",
                 f"{cast['history_s']:.1f} / {cast['scenario_s']:.1f} s = {cast['ratio']:.2f}x", "<= 2x",
                 cast["ratio"] <= 2),
        ]  # fmt: skip
    return out
