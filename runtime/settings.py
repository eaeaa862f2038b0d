"""Settings, read once in each program's main() and passed down (nothing reads the environment at import)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/incidents"  # what `make run` starts
TASK_QUEUE = "incidents"


@dataclass(frozen=True)
class Settings:
    temporal_address: str
    temporal_namespace: str
    task_queue: str
    database_url: str = field(repr=False)  # may hold a password
    catalog_path: Path
    ingest_token: str = field(repr=False)
    receiver_host: str
    receiver_port: int
    log_level: str
    # TLS on the receiver itself (the official PagerDuty clients refuse plain http): both or neither
    smtp_url: str = field(default="", repr=False)  # pages by email (may hold a password)
    public_url: str = "http://127.0.0.1:8080"  # the receiver as people reach it: acknowledgement links
    page_secret: str = field(default="", repr=False)  # signs acknowledgement links; empty: pages carry none
    # a release pipeline's bearer token for POST /v1/known-errors; empty: that endpoint refuses everyone
    release_token: str = field(default="", repr=False)
    worker_metrics: str = ""  # host:port where the worker serves the SDK's Prometheus metrics; empty: none
    tls_cert: Path | None = None
    tls_key: Path | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        return cls(
            temporal_address=env.get("TEMPORAL_ADDRESS", "localhost:7233"),
            temporal_namespace=env.get("TEMPORAL_NAMESPACE", "default"),
            task_queue=env.get("INCIDENT_TASK_QUEUE", TASK_QUEUE),
            database_url=env.get("INCIDENT_DATABASE_URL", LOCAL_DATABASE_URL),
            catalog_path=Path(env.get("INCIDENT_CATALOG", PROJECT_ROOT / "catalog.toml")),
            ingest_token=env.get("INCIDENT_INGEST_TOKEN", ""),
            receiver_host=env.get("INCIDENT_RECEIVER_HOST", "127.0.0.1"),
            receiver_port=int(env.get("INCIDENT_RECEIVER_PORT", "8080")),
            log_level=env.get("INCIDENT_LOG_LEVEL", "info"),
            smtp_url=env.get("INCIDENT_SMTP_URL", ""),
            public_url=env.get("INCIDENT_PUBLIC_URL", "http://127.0.0.1:8080"),
            page_secret=env.get("INCIDENT_PAGE_SECRET", ""),
            release_token=env.get("INCIDENT_RELEASE_TOKEN", ""),
            worker_metrics=env.get("INCIDENT_WORKER_METRICS", ""),
            tls_cert=Path(env["INCIDENT_TLS_CERT"]) if env.get("INCIDENT_TLS_CERT") else None,
            tls_key=Path(env["INCIDENT_TLS_KEY"]) if env.get("INCIDENT_TLS_KEY") else None,
        )
