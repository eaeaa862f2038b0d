"""`incidentctl report`: MTTA, MTTR and SLA compliance per service and priority, from the Postgres record.

Known errors are not incidents and are left out; cancelled incidents are counted apart.
"""

from datetime import datetime, timedelta
from typing import Any

from stores.incident_views import reported


async def build_report(conn: Any, since: timedelta, now: datetime) -> dict[str, Any]:
    rows = await reported(conn, now - since)
    groups = []
    for r in rows:
        judged = r["breached"] + r["restored_in_time"]
        groups.append(
            {
                "service": r["service"],
                "priority": r["priority"],
                "incidents": r["incidents"],
                "cancelled": r["cancelled"],
                "breached": r["breached"],
                "mtta_seconds": _round(r["mtta"]),
                "mttr_seconds": _round(r["mttr"]),
                "sla_compliance": round(r["restored_in_time"] / judged, 4) if judged else None,
            }
        )
    return {"since": (now - since).isoformat(), "until": now.isoformat(), "groups": groups}


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


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
