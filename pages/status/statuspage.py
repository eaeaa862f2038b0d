"""The snapshot as Atlassian Statuspage's public API v2 shapes it (summary.json, status.json,
components.json, incidents.json, incidents/unresolved.json, scheduled-maintenances.json), so a
Statuspage reader (StatusGator, Discourse's status plugin...) works unchanged."""

from datetime import datetime
from typing import Any

from domain.status import DESCRIPTION, ComponentStatus, Maintenance, PublicIncident, page_indicator
from pages.status.board import LISTED, Snapshot

PAGE_ID = "incident-pipeline"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def page(snapshot: Snapshot, url: str) -> dict[str, Any]:
    return {
        "id": PAGE_ID,
        "name": "Service status",
        "url": url,
        "time_zone": "Etc/UTC",
        "updated_at": _iso(snapshot.at),
    }


def status(snapshot: Snapshot) -> dict[str, str]:
    indicator = page_indicator(snapshot.incidents)
    if indicator == "none" and any(s.status is ComponentStatus.UNDER_MAINTENANCE for s in snapshot.services):
        return {"indicator": "maintenance", "description": "Service Under Maintenance"}
    return {"indicator": indicator, "description": DESCRIPTION[indicator]}


def components(snapshot: Snapshot) -> list[dict[str, Any]]:
    return [
        {
            "id": row.name,
            "name": row.name,
            "status": row.status.value,
            "created_at": _iso(row.listed_since),
            "updated_at": _iso(snapshot.at),
            "position": n + 1,
            "description": None,
            "showcase": True,
            "start_date": row.listed_since.date().isoformat(),
            "group_id": None,
            "page_id": PAGE_ID,
            "group": False,
            "only_show_if_degraded": False,
            "uptime_90d": round(row.uptime * 100, 3),
        }
        for n, row in enumerate(snapshot.services)
    ]


def incident(item: PublicIncident, url: str) -> dict[str, Any]:
    """The incident, but for its "components" (they change with every snapshot; see `documents`)."""
    return {
        "id": item.number,
        "name": item.name,
        "status": item.status,
        "impact": item.impact,
        "created_at": _iso(item.started_at),
        "updated_at": _iso(item.updated_at),
        "started_at": _iso(item.started_at),
        "monitoring_at": _iso(next((u.at for u in reversed(item.updates) if u.status == "monitoring"), None)),
        "resolved_at": _iso(item.resolved_at),
        "shortlink": f"{url}#{item.number}",
        "page_id": PAGE_ID,
        "incident_updates": [
            {
                "id": u.id,
                "status": u.status,
                "body": u.body,
                "incident_id": item.number,
                "created_at": _iso(u.at),
                "updated_at": _iso(u.at),
                "display_at": _iso(u.at),
                "affected_components": [
                    {
                        "code": item.service,
                        "name": item.service,
                        "old_status": "operational",
                        "new_status": item.component_status.value,
                    }
                ],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for u in item.updates
        ],
    }


def maintenance(window: Maintenance, snapshot: Snapshot, url: str) -> dict[str, Any]:
    state = window.status(snapshot.at)
    return {
        "id": f"maintenance-{window.id}",
        "name": window.summary,
        "status": state,
        "impact": "maintenance",
        "created_at": _iso(window.starts_at),
        "updated_at": _iso(snapshot.at),
        "scheduled_for": _iso(window.starts_at),
        "scheduled_until": _iso(window.ends_at),
        "started_at": _iso(window.starts_at),
        "monitoring_at": None,
        "resolved_at": _iso(window.ends_at) if state == "completed" else None,
        "shortlink": f"{url}#maintenance-{window.id}",
        "page_id": PAGE_ID,
        "incident_updates": [
            {
                "id": f"maintenance-{window.id}-1",
                "status": state,
                "body": window.summary,
                "incident_id": f"maintenance-{window.id}",
                "created_at": _iso(window.starts_at),
                "updated_at": _iso(window.starts_at),
                "display_at": _iso(window.starts_at),
                "affected_components": [],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        ],
        "components": [c for c in components(snapshot) if c["id"] == window.service],
    }


def documents(snapshot: Snapshot, url: str, made: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every JSON document of the API, by its path under /status/api/v2/. As Statuspage's, incidents.json
    holds the LISTED most recent incidents, whatever their state; summary.json and unresolved.json hold
    every unresolved one. `made`: `incident` of each of the snapshot's incidents (the caller keeps them
    from snapshot to snapshot: pages/status/per_incident.py)."""
    head = {"page": page(snapshot, url)}
    listed_components = components(snapshot)
    by_service = {c["id"]: c for c in listed_components}
    # a service withdrawn from the catalog is not a component any more; its incidents are still listed
    incidents = [
        {**document, "components": [by_service[item.service]] if item.service in by_service else []}
        for item, document in zip(snapshot.incidents, made, strict=True)
    ]
    unresolved = [i for i in incidents if i["status"] != "resolved"]
    maintenances = [maintenance(w, snapshot, url) for w in snapshot.maintenances]
    upcoming = [m for m in maintenances if m["status"] != "completed"]
    return {
        "summary.json": {
            **head,
            "status": status(snapshot),
            "components": listed_components,
            "incidents": unresolved,
            "scheduled_maintenances": upcoming,
        },
        "status.json": {**head, "status": status(snapshot)},
        "components.json": {**head, "components": listed_components},
        "incidents.json": {**head, "incidents": incidents[:LISTED]},
        "incidents/unresolved.json": {**head, "incidents": unresolved},
        "scheduled-maintenances.json": {**head, "scheduled_maintenances": maintenances},
    }
