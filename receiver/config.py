"""What the receiver needs to know, built once in main() (or by a test) and passed down."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from runtime.settings import Settings

MAX_BODY_BYTES = 512 * 1024  # DESIGN section 5: larger bodies are refused with 413
# What an asyncpg call raises when Postgres is away or too slow (a timeout wrapping it included).
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


@dataclass(frozen=True)
class ReceiverConfig:
    # Alertmanager's bearer token; empty refuses every webhook (fail closed). Kept out of repr: never logged.
    ingest_token: str = field(repr=False)
    task_queue: str
    # Alertmanager label names: which label picks the catalog service, and which carry priority hints
    service_label: str = "service"
    severity_label: str = "severity"
    impact_label: str = "impact"
    urgency_label: str = "urgency"
    max_body_bytes: int = MAX_BODY_BYTES
    # A sender retries after a 503; this long is enough for a Temporal frontend restart.
    retry_after_seconds: int = 5
    # Bound every Temporal call so a hung frontend turns into a 503, not a sender-side timeout.
    temporal_rpc_timeout: timedelta = timedelta(seconds=10)
    probe_timeout: timedelta = timedelta(seconds=2)  # /readyz answers fast even when a dependency hangs
    database_timeout: timedelta = timedelta(seconds=5)
    # The catalog changes rarely (a deploy); unknown keys re-read it at most this often.
    catalog_refresh: timedelta = timedelta(seconds=30)
    catalog_miss_refresh: timedelta = timedelta(seconds=2)
    # verifies acknowledgement links (INCIDENT_PAGE_SECRET, shared with the worker that signs them)
    page_secret: str = field(default="", repr=False)
    # a release pipeline's bearer token (INCIDENT_RELEASE_TOKEN): known errors stop incidents from
    # opening, so publishing them takes a credential of its own, not Alertmanager's
    release_token: str = field(default="", repr=False)
    public_url: str = "http://127.0.0.1:8080"  # INCIDENT_PUBLIC_URL: where people reach the receiver (links)

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str]) -> "ReceiverConfig":
        """The shared Settings, plus the receiver's own label names (rarely changed)."""
        return cls(
            ingest_token=settings.ingest_token,
            task_queue=settings.task_queue,
            page_secret=settings.page_secret,
            release_token=settings.release_token,
            public_url=settings.public_url,
            service_label=env.get("INCIDENT_SERVICE_LABEL", "service"),
            severity_label=env.get("INCIDENT_SEVERITY_LABEL", "severity"),
        )
