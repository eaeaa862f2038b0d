"""PagerDuty Events API v2 event -> one Delivery for the incident of its dedup key.

The routing key is the service's integration key: it names the service and is the
sender's credential. One incident per (routing key, dedup key), as PagerDuty does.
"""

import uuid
from datetime import datetime

from domain.alerts import AlertEvent
from domain.commands import OpenIncident
from domain.enums import Source
from starter.intake.alert_context import from_event
from starter.intake.deliveries import (
    DESCRIPTION_LIMIT,
    EVENTS_API_ACTOR,
    SUMMARY_LIMIT,
    Delivery,
    clip,
    scale_hint,
    stable_id,
)
from starter.intake.payloads import EventPayload, PagerDutyEvent

WORKFLOW_PREFIX = "alert-pd"
STATUS_OF_ACTION = {"trigger": "firing", "acknowledge": "acknowledged", "resolve": "resolved"}


def new_dedup_key() -> str:
    return uuid.uuid4().hex


def event_route(routing_key: str, dedup_key: str) -> str:
    return stable_id(WORKFLOW_PREFIX, routing_key, dedup_key)


def _detail(payload: EventPayload, name: str) -> int | None:
    details = payload.custom_details
    return scale_hint(details.get(name)) if isinstance(details, dict) and name in details else None


def delivery_from_event(event: PagerDutyEvent, dedup_key: str, service: str, now: datetime) -> Delivery:
    payload = event.payload
    description = clip(payload.summary, DESCRIPTION_LIMIT) if payload else event.event_action
    alert = AlertEvent(
        key=dedup_key,
        status=STATUS_OF_ACTION[event.event_action],
        at=now,
        description=description,
        context=from_event(event),
    )
    opens = None
    # Only a trigger may open an incident; acknowledge/resolve for an unknown key is a no-op, as in PagerDuty.
    if event.event_action == "trigger" and payload is not None:
        opens = OpenIncident(
            service=service,
            summary=clip(payload.summary, SUMMARY_LIMIT),
            source=Source.EVENTS_API,
            severity=payload.severity,
            impact=_detail(payload, "impact"),
            urgency=_detail(payload, "urgency"),
            ci=clip(payload.component or payload.source, 200),
            category=payload.event_class,
        )
    return Delivery(
        route=event_route(event.routing_key, dedup_key), actor=EVENTS_API_ACTOR, events=[alert], opens=opens
    )
