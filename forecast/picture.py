"""The forecast as one self-contained HTML file: an SVG bar chart of restore compliance per service and
priority, today's targets beside the what-if, with the 90% interval of the replications; no script,
nothing fetched."""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
LEFT, TOP, PLOT_H, GROUP_W = 48, 10, 240, 70


def render(report: dict[str, Any]) -> str:
    today, whatif = report["today"]["rows"], (report.get("what_if") or {}).get("rows")
    by_key = {(r["service"], r["priority"]): r for r in whatif or []}
    y = lambda share: TOP + (1 - share) * PLOT_H  # noqa: E731 - the axis, in one place
    bars, labels, table = [], [], []
    for n, row in enumerate(today):
        key = (row["service"], row["priority"])
        sides = [("#4a6fa5", row)] + ([("#d9822b", by_key[key])] if key in by_key else [])
        for k, (colour, side) in enumerate(sides):
            x = LEFT + n * GROUP_W + 8 + k * 26
            low, high = side["restore_interval"]
            bars.append(
                {
                    "x": x,
                    "w": 24,
                    "y": y(side["restore_compliance"]),
                    "h": PLOT_H * side["restore_compliance"],
                    "colour": colour,
                    "low": y(low),
                    "high": y(high),
                    "title": f"{key[0]} {key[1]}: {side['restore_compliance']:.1%} ({low:.1%}-{high:.1%})",
                }
            )
        labels.append({"x": LEFT + n * GROUP_W + 34, "text": f"{key[0]} {key[1]}"})
        other = by_key.get(key)
        table.append(
            {
                "name": f"{key[0]} {key[1]}",
                "today": f"{row['restore_compliance']:.1%}",
                "whatif": f"{other['restore_compliance']:.1%}" if other else "-",
                "breaches": row["breaches_per_month"],
                "whatif_breaches": other["breaches_per_month"] if other else "-",
            }
        )
    ticks = [{"y": y(share), "label": f"{share:.0%}"} for share in (0, 0.25, 0.5, 0.75, 1.0)]
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(("html",)))
    return environment.get_template("forecast.html").render(
        title=report["inputs"]["source"],
        inputs=report["inputs"]["description"],
        whatif=bool(whatif),
        changes=", ".join(report["inputs"]["changes"]),
        bars=bars,
        labels=labels,
        ticks=ticks,
        table=table,
        left=LEFT,
        width=LEFT + GROUP_W * max(1, len(today)) + 10,
        height=TOP + PLOT_H + 30,
    )
