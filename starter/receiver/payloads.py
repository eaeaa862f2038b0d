"""The two wire formats the receiver accepts, as pydantic models, and how their errors are reported.

Unknown fields are ignored: senders add fields between versions, and refusing them
would make an Alertmanager upgrade silently stop paging anyone.
"""

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Labels = dict[str, str]
Model = TypeVar("Model", bound=BaseModel)


class AlertmanagerAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: Labels = {}
    annotations: Labels = {}
    startsAt: str = ""
    endsAt: str = ""
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=200)


class AlertmanagerWebhook(BaseModel):
    """Alertmanager `webhook_configs` payload, version 4."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    groupKey: str = Field(min_length=1, max_length=10_000)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    alerts: list[AlertmanagerAlert] = Field(min_length=1)
    groupLabels: Labels = {}
    commonLabels: Labels = {}
    commonAnnotations: Labels = {}
    externalURL: str = ""
    truncatedAlerts: int = 0


class EventPayload(BaseModel):
    """PagerDuty Events API v2 `payload`: required on trigger."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: str | None = None
    component: str | None = None
    group: str | None = None
    event_class: str | None = Field(default=None, alias="class")
    custom_details: Any = None


class PagerDutyEvent(BaseModel):
    """PagerDuty Events API v2 event (`POST /v2/enqueue`)."""

    model_config = ConfigDict(extra="ignore")

    routing_key: str = Field(min_length=1, max_length=200)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    payload: EventPayload | None = None
    client: str | None = None
    client_url: str | None = None

    @model_validator(mode="after")
    def _required_by_action(self) -> "PagerDutyEvent":
        # as PagerDuty: a trigger says what is wrong; acknowledge/resolve name the alert they close
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("payload is required for event_action trigger")
        if self.event_action != "trigger" and self.dedup_key is None:
            raise ValueError(f"dedup_key is required for event_action {self.event_action}")
        return self


class MalformedBody(ValueError):
    """The body is not what the endpoint accepts; `errors` is the list a 400 answer carries."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} field error(s)")
        self.errors = errors


def parse_body(model: type[Model], body: bytes) -> tuple[Model, Any]:
    """The validated model and the raw JSON (kept for rejected_events). Raises MalformedBody."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedBody([{"loc": [], "msg": f"body is not valid JSON: {err}", "type": "json_invalid"}]) from None
    try:
        return model.model_validate(raw), raw
    except ValidationError as err:
        raise MalformedBody(field_errors(err)) from None


def field_errors(err: ValidationError) -> list[dict[str, Any]]:
    """Where and what, without echoing the input back (it may hold a routing key)."""
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in err.errors(include_input=False)]
