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
    # The engineers' API (python -m api): where it listens, and where incidentctl finds it
    api_host: str = "127.0.0.1"
    api_port: int = 8081
    api_url: str = "http://127.0.0.1:8081"
    # OpenID Connect: the issuer whose access tokens the API accepts (empty: API tokens only), the audience
    # they must name, the public client incidentctl's device login uses, the claim holding the user's IdP
    # groups and how those groups map to roles ("sre-leads=incident_manager,audit=auditor")
    oidc_issuer: str = ""
    oidc_audience: str = ""
    oidc_client_id: str = ""
    oidc_groups_claim: str = "groups"
    oidc_role_map: str = ""
    oidc_subject_claim: str = "sub"  # the claim naming the person as oncall.toml does (sub, preferred_username, email)

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
            api_host=env.get("INCIDENT_API_HOST", "127.0.0.1"),
            api_port=int(env.get("INCIDENT_API_PORT", "8081")),
            api_url=env.get("INCIDENT_API_URL", "http://127.0.0.1:8081").rstrip("/"),
            oidc_issuer=env.get("INCIDENT_OIDC_ISSUER", ""),
            oidc_audience=env.get("INCIDENT_OIDC_AUDIENCE", ""),
            oidc_client_id=env.get("INCIDENT_OIDC_CLIENT_ID", ""),
            oidc_groups_claim=env.get("INCIDENT_OIDC_GROUPS_CLAIM", "groups"),
            oidc_role_map=env.get("INCIDENT_OIDC_ROLE_MAP", ""),
            oidc_subject_claim=env.get("INCIDENT_OIDC_SUBJECT_CLAIM", "sub"),
        )
