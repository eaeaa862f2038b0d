"""The report (`incidentctl report`, GET /v1/incidents/report): MTTA, MTTR and SLA compliance per service and priority, from the Postgres record.

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
