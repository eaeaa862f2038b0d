"""A delivery: what one accepted HTTP request asks of one incident workflow.

Translating a payload into a Delivery is pure (time is a parameter), so the rules
for Alertmanager and the events API can be read and tested without a server.
"""

import hashlib
from dataclasses import dataclass

from domain.alerts import AlertEvent
from domain.commands import OpenIncident

ALERTMANAGER_ACTOR = "alertmanager"
EVENTS_API_ACTOR = "events_api"
DESCRIPTION_LIMIT = 300  # keeps a coalesced signal far below Temporal's 2 MB payload limit
SUMMARY_LIMIT = 500  # OpenIncident.summary


@dataclass(frozen=True)
class Delivery:
    # The alert group's stable id (from the sender's dedup key): its route (receiver/routes.py) names
    # the incident it feeds now. Stored as alert_inbox.workflow_id.
    route: str
    actor: str
    events: list[AlertEvent]
    # What to start when the group has no open incident. None: feed a running
    # incident only (a resolve or acknowledge must never open a new incident).
    opens: OpenIncident | None


@dataclass(frozen=True)
class ServiceChoice:
    """The catalog service a delivery names, or why none could be chosen."""

    name: str | None
    why_none: str = ""


def stable_id(prefix: str, *parts: str) -> str:
    """A group id from the sender's dedup key: repeats and retries land on the same incident.

    Hashed, because dedup keys can be long, contain any character, and (for the
    events API) be derived from the routing key, a credential that must not show in the Web UI.
    """
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"{prefix}-{digest[:20]}"


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line: descriptions land in timeline details
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scale_hint(value: object) -> int | None:
    """Impact/urgency as a sender wrote it ("1".."3"); anything else defers to the catalog's severity map.

    Never refuse an alert for a bad hint: the sender would not retry a 400 and the page would be lost.
    """
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if 1 <= number <= 3 else None
