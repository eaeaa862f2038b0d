"""The incident object of the external contract (`incidentctl -o json`, DESIGN section 5)."""

from datetime import datetime
from typing import Any

from domain.durations import format_duration
from domain.incident import Incident
from domain.sla import deadlines


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident_view(incident: Incident, now: datetime, history: bool = False) -> dict[str, Any]:
    due = deadlines(incident, now)
    view: dict[str, Any] = {
        "number": incident.number,
        "workflow_id": incident.workflow_id,
        "state": str(incident.state),
        "outcome": str(incident.outcome) if incident.outcome else None,
        "priority": str(incident.priority) if incident.priority else None,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "service": incident.service,
        "category": incident.category,
        "group": incident.group or None,
        "assignee": incident.assignee or None,
        "summary": incident.summary,
        "source": str(incident.source),
        "major": incident.major,
        "logged_at": _iso(incident.logged_at),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "restored_at": _iso(incident.restored_at),
        "resolved_at": _iso(incident.resolved_at),
        "closed_at": _iso(incident.closed_at),
        "caller": incident.caller or None,
        "supplier": incident.supplier or None,
        "ci": incident.ci or None,
        "runbook": incident.runbook or None,
        "known_error": incident.known_error_id,
        "workaround": incident.workaround or None,
        "problem": incident.problem,
        "previous_number": incident.previous_number,
        "offered_known_errors": incident.offered_known_errors,
        "recent_changes": [
            {"at": _iso(c.at), "summary": c.summary, "source": c.source or None, "link": c.link}
            for c in incident.recent_changes
        ],
        "alert_context": incident.alert_context.model_dump() if incident.alert_context else None,
        "responders": incident.responders(),
        "alerts": {
            "firing": incident.firing_alerts,
            "occurrences": sum(o.count for o in incident.occurrences.values()),
            "keys": len(incident.occurrences),
        },
        "sla": {
            "response_due": _iso(due.response_due),
            "restore_due": _iso(due.restore_due),
            "restore_paused": incident.paused_since is not None,
            "restore_left": _remaining(incident, due.restore_due, now),
            "breached": incident.breached,
        },
    }
    if history:
        view["history"] = [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "action": str(e.action),
                "from": str(e.from_state) if e.from_state else None,
                "to": str(e.to_state),
                "detail": e.detail,
            }
            for e in incident.timeline
        ]
    return view


def _remaining(incident: Incident, restore_due: datetime | None, now: datetime) -> str | None:
    if restore_due is None or incident.restored_at is not None or incident.is_closed:
        return None
    return format_duration(restore_due - now)
