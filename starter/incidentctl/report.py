"""`incidentctl report`'s table, from the report the API computes (operations/report.py)."""

from typing import Any


def report_table(report: dict[str, Any]) -> str:
    header = f"{'SERVICE':<14}{'PRIO':<6}{'INCIDENTS':>10}{'MTTA':>10}{'MTTR':>10}{'BREACHED':>10}{'SLA MET':>9}"
    lines = [f"incidents logged since {report['since']}", header]
    for g in report["groups"]:
        met = "-" if g["sla_compliance"] is None else f"{g['sla_compliance'] * 100:.0f}%"
        lines.append(
            f"{g['service']:<14}{g['priority']:<6}{g['incidents']:>10}{_human(g['mtta_seconds']):>10}"
            f"{_human(g['mttr_seconds']):>10}{g['breached']:>10}{met:>9}"
        )
    return "\n".join(lines)


def _human(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = seconds / 60
    return f"{minutes:.0f}m" if minutes < 120 else f"{minutes / 60:.1f}h"
