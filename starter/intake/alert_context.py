"""What a sender said beyond the summary, kept on the incident for its responders (domain.incident.AlertContext).

Runbook, description, links, images, the monitoring tool's own page and the custom details: shown
by `incidentctl show` and in the Web UI's current details. Bounded, because it rides in every
alert delivery and in the incident's history: at most MAX_DETAILS details of MAX_TEXT characters,
MAX_LINKS links and images, nested custom details flattened to "a.b" keys. Pure functions.
"""

import json
from typing import Any

from domain.incident import AlertContext, Link
from starter.intake.deliveries import clip
from starter.intake.payloads import AlertmanagerAlert, AlertmanagerWebhook, PagerDutyEvent

MAX_DETAILS = 30
MAX_TEXT = 500
MAX_URL = 1000
MAX_LINKS = 10
MAX_DEPTH = 4  # deeper custom details are kept as JSON text at that level
RUNBOOK_KEYS = ("runbook_url", "runbook")
NOT_DETAILS = frozenset({"summary", "description", *RUNBOOK_KEYS})


def _url(text: str | None) -> str:
    return (text or "").strip()[:MAX_URL]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def flatten(value: Any, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """{"db": {"host": "a"}} -> {"db.host": "a"}; lists and deep parts become JSON text; at most MAX_DETAILS."""
    out: dict[str, str] = {}
    if isinstance(value, dict) and depth < MAX_DEPTH:
        for key, item in value.items():
            for name, text in flatten(item, f"{prefix}.{key}" if prefix else str(key), depth + 1).items():
                if len(out) < MAX_DETAILS:
                    out[name[:100]] = text
    else:
        out[prefix or "details"] = _text(value)[:MAX_TEXT]
    return out


def from_alertmanager(webhook: AlertmanagerWebhook, alert: AlertmanagerAlert) -> AlertContext:
    notes = {**webhook.commonAnnotations, **alert.annotations}
    runbook = next((notes[k] for k in RUNBOOK_KEYS if notes.get(k)), "")
    links = [Link(href=_url(alert.generatorURL), text="source")] if alert.generatorURL else []
    if webhook.externalURL:
        links.append(Link(href=_url(webhook.externalURL), text="Alertmanager"))
    details = {k: v[:MAX_TEXT] for k, v in notes.items() if k not in NOT_DETAILS}
    return AlertContext(
        description=clip(notes.get("description", ""), MAX_TEXT * 2),
        runbook_url=_url(runbook),
        client="Alertmanager",
        client_url=_url(webhook.externalURL),
        links=links[:MAX_LINKS],
        details=dict(list(details.items())[:MAX_DETAILS]),
    )


def from_event(event: PagerDutyEvent) -> AlertContext | None:
    payload = event.payload
    if payload is None:
        return None  # acknowledge and resolve carry no context
    raw = dict(payload.custom_details) if isinstance(payload.custom_details, dict) else payload.custom_details
    # the description and runbook first: the details are bounded, and must not crowd them out
    named = {k: _text(raw.pop(k)) for k in ("description", *RUNBOOK_KEYS) if k in raw} if isinstance(raw, dict) else {}
    details = flatten(raw) if raw not in (None, {}, "") else {}
    runbook = next((named[k] for k in RUNBOOK_KEYS if named.get(k)), "") or _runbook_link(event)
    return AlertContext(
        description=clip(named.get("description", ""), MAX_TEXT * 2),
        runbook_url=_url(runbook),
        group=clip(payload.group or "", 200),
        client=clip(event.client or "", 200),
        client_url=_url(event.client_url),
        links=[Link(href=_url(link.href), text=clip(link.text, 200)) for link in event.links[:MAX_LINKS]],
        images=[Link(href=_url(image.src), text=clip(image.alt, 200)) for image in event.images[:MAX_LINKS]],
        details=details,
    )


def _runbook_link(event: PagerDutyEvent) -> str:
    """PagerDuty has no runbook field: senders put it among `links`, named so ("Runbook", "runbook: db")."""
    return next((_url(link.href) for link in event.links if "runbook" in (link.text or "").lower()), "")
