"""Alertmanager webhook (version 4) -> one Delivery for the incident of its group.

One incident per `groupKey`: Alertmanager resends a group every repeat_interval and
retries failed posts, so the group is the natural dedup key. Each alert's
`fingerprint` is one occurrence inside the incident.
"""

from datetime import datetime

from domain.alerts import AlertEvent
from domain.commands import OpenIncident
from domain.enums import Source
from receiver.config import ReceiverConfig
from starter.intake.alert_context import from_alertmanager
from starter.intake.deliveries import (
    ALERTMANAGER_ACTOR,
    DESCRIPTION_LIMIT,
    SUMMARY_LIMIT,
    Delivery,
    ServiceChoice,
    clip,
    scale_hint,
    stable_id,
)
from starter.intake.payloads import AlertmanagerAlert, AlertmanagerWebhook

WORKFLOW_PREFIX = "alert-am"


def group_route(webhook: AlertmanagerWebhook) -> str:
    return stable_id(WORKFLOW_PREFIX, webhook.groupKey)


def choose_service(webhook: AlertmanagerWebhook, label: str) -> ServiceChoice:
    """The group's service label; else the first alert that has one (one incident, one service)."""
    for labels in (webhook.commonLabels, webhook.groupLabels, *(a.labels for a in webhook.alerts)):
        if labels.get(label):
            return ServiceChoice(labels[label])
    return ServiceChoice(None, f"no alert of the group has a {label!r} label")


def label(webhook: AlertmanagerWebhook, name: str) -> str:
    """A label common to the group, else the first firing alert's (severity differs per alert at most)."""
    if webhook.commonLabels.get(name):
        return webhook.commonLabels[name]
    firing = [a for a in webhook.alerts if a.status == "firing"] or webhook.alerts
    return next((a.labels[name] for a in firing if a.labels.get(name)), "")


def summary_of(webhook: AlertmanagerWebhook) -> str:
    firing = [a for a in webhook.alerts if a.status == "firing"] or webhook.alerts
    text = (
        webhook.commonAnnotations.get("summary")
        or next((a.annotations["summary"] for a in firing if a.annotations.get("summary")), "")
        or webhook.commonLabels.get("alertname")
        or f"alert group {webhook.groupKey}"
    )
    return clip(text, SUMMARY_LIMIT)


def describe(alert: AlertmanagerAlert) -> str:
    """e.g. 'HighErrorRate web-1: 5xx above 5% on checkout'."""
    name = " ".join(p for p in (alert.labels.get("alertname", ""), alert.labels.get("instance", "")) if p)
    text = alert.annotations.get("summary") or alert.annotations.get("description", "")
    return clip(f"{name}: {text}" if name and text else name or text, DESCRIPTION_LIMIT)


def delivery_from_webhook(
    webhook: AlertmanagerWebhook, service: str, config: ReceiverConfig, now: datetime
) -> Delivery:
    events = [
        AlertEvent(
            key=a.fingerprint,
            status=a.status,
            at=now,
            description=describe(a),
            context=from_alertmanager(webhook, a) if a.status == "firing" else None,
        )
        for a in webhook.alerts
    ]
    opens = None
    # A group that is all resolved must not open a new incident: it only settles a running one.
    if any(a.status == "firing" for a in webhook.alerts):
        opens = OpenIncident(
            service=service,
            summary=summary_of(webhook),
            source=Source.ALERTMANAGER,
            severity=label(webhook, config.severity_label).lower(),
            impact=scale_hint(label(webhook, config.impact_label)),
            urgency=scale_hint(label(webhook, config.urgency_label)),
            ci=clip(webhook.commonLabels.get("instance", ""), 200),
        )
    return Delivery(route=group_route(webhook), actor=ALERTMANAGER_ACTOR, events=events, opens=opens)


def rejection_key(webhook: AlertmanagerWebhook) -> str:
    """One rejected_events row per group and set of alerts: retries and repeats add nothing."""
    alerts = ",".join(sorted(f"{a.fingerprint}:{a.status}" for a in webhook.alerts))
    return stable_id(group_route(webhook), alerts)
