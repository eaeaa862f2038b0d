"""A closed incident's view from the PostgreSQL record, for `show` (GET /v1/incidents/N) once Temporal has
let it go.

Temporal keeps a closed workflow for its namespace's retention (90 days in compose and `make run`); the
record keeps the incident for good: its row in `incidents` and every timeline entry in `incident_events`.
When an incident closes, the record activity stores the workflow's own view of it (`closed_view`), so
`show` prints the same from the record, alert context, CI and alert keys included; the history comes
from the timeline entries. A row closed before that column existed is rebuilt in the view's shape from
the row, the entries that recorded what the workflow kept only in its state (caller, supplier,
runbook, workaround, offered known errors, responders) and the change events of the incident's window.
"""

import json
import re
from datetime import datetime, timedelta
from typing import Any

from domain.names import NOT_PEOPLE, incident_number, responders
from operations.listing import record_fields
from stores import incident_views

ASSIGNED = re.compile(r"^assigned to [^/\s]+/(\S+)")
OFFERED = re.compile(r"^matches known error (\S+) ")
RUNBOOK = re.compile(r", runbook (.+)$")


async def closed_view(conn: Any, name: str, history: bool) -> dict[str, Any] | None:
    """`show`'s answer when Temporal holds no such incident: the closed incident by number (INC-1042) or
    workflow id, as `show` prints it; None: the record has no closed one either."""
    row = await incident_views.closed(conn, incident_number(name) or name, name)
    if row is None:
        return None
    events = await incident_views.timeline(conn, row["incident_key"])
    if row["closed_view"] is not None:  # written by the record activity when the incident closed
        view = json.loads(row["closed_view"])
        if history:
            view["history"] = _history(events)
        return view
    changes: list[Any] = []
    if any(e["action"] == "recent_changes" for e in events):  # the workflow kept them only when there were some
        changes = await _changes_of(conn, row)
    return view_from_record(row, events, changes, history)


async def _changes_of(conn: Any, row: Any) -> list[Any]:
    from activities.registration import RECENT_CHANGES_SHOWN
    from stores import catalog, changes

    agreement = await catalog.last_agreement(conn, row["service"])
    window = agreement.change_window if agreement else timedelta(hours=24)
    return list(await changes.recent(conn, row["service"], row["logged_at"], window, RECENT_CHANGES_SHOWN))


def view_from_record(row: Any, events: list[Any], changes: list[Any], history: bool) -> dict[str, Any]:
    by_action = _by_action(events)
    register = by_action.get("register", [None])[0]
    caller = register["actor"] if register is not None and register["actor"] not in NOT_PEOPLE else None
    assigned = [m.group(1) for e in by_action.get("assign", []) if (m := ASSIGNED.match(e["detail"]))]
    people = [e["actor"] for e in events] + assigned + ([row["assignee"]] if row["assignee"] else [])
    view: dict[str, Any] = {
        **record_fields(row),
        "caller": caller,
        "supplier": _supplier(row, register),
        "ci": None,
        "runbook": _runbook(by_action),
        "known_error": row["known_error_id"],
        "workaround": _workaround(events),
        "problem": row["problem"],
        "previous_number": row["previous_number"],
        "offered_known_errors": [
            m.group(1) for e in by_action.get("known_error_offered", []) if (m := OFFERED.match(e["detail"]))
        ],
        "recent_changes": [
            {"at": _iso(c["happened_at"]), "summary": c["summary"], "source": c["source"] or None, "link": c["link"]}
            for c in changes
        ],
        "alert_context": None,
        "responders": responders(people),
        "alerts": {"firing": 0, "occurrences": row["occurrences"], "keys": 0},
        "sla": {
            "response_due": _iso(row["response_due"]),
            "restore_due": _iso(row["restore_due"]),
            "restore_paused": row["outcome"] != "known_error",
            "restore_left": None,
            "breached": row["breached"],
        },
    }
    if history:
        view["history"] = _history(events)
    return view


def _history(events: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "at": _iso(e["at"]),
            "actor": e["actor"],
            "action": e["action"],
            "from": e["from_state"],
            "to": e["to_state"],
            "detail": e["detail"],
        }
        for e in events
    ]


def _by_action(events: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for event in events:
        grouped.setdefault(event["action"], []).append(event)
    return grouped


def _supplier(row: Any, register: Any) -> str | None:
    """domain.process.register writes "<source> incident for <service>: <summary> (supplier S)[; follows N]"."""
    if register is None or row["source"] != "supplier":
        return None
    detail = register["detail"]
    if row["previous_number"]:
        detail = detail.removesuffix(f"; follows {row['previous_number']}")
    if not detail.endswith(")") or " (supplier " not in detail:
        return None
    return detail.rsplit(" (supplier ", 1)[1][:-1]


def _runbook(by_action: dict[str, list[Any]]) -> str | None:
    """The category's runbook as categorization recorded it (a recategorization says the new category only)."""
    found = None
    for event in by_action.get("categorize", []):
        match = RUNBOOK.search(event["detail"])
        found = match.group(1) if match else None
    return found


def _workaround(events: list[Any]) -> str | None:
    """The last workaround recorded: an engineer's, or the known error's that closed the incident."""
    found = None
    for event in events:
        if event["action"] == "workaround":
            found = event["detail"].removeprefix("service restored by workaround: ")
        elif event["action"] == "known_error" and "; workaround: " in event["detail"]:
            found = event["detail"].split("; workaround: ", 1)[1]
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
