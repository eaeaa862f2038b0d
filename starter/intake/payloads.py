"""The two wire formats the receiver accepts, as pydantic models, and how their errors are reported.

Unknown fields are ignored: senders add fields between versions, and refusing them
would make an Alertmanager upgrade silently stop paging anyone.

The raw JSON is kept too (rejected_events.payload is jsonb), so a body is refused (400)
unless every part of it can be stored: UTF-8 only, no NaN/Infinity, no number Python or
Postgres cannot hold, no NUL character or unpaired surrogate in any string (Postgres text
and jsonb take neither), at most MAX_DEPTH levels of nesting, no date-time outside the years
1 to 9999 once in UTC. Otherwise such a body would be answered 500, or 503 for ever because
it, or its rejection, could not be stored.
"""

import json
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

Labels = dict[str, str]
EARLIEST, LATEST = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"  # the instants a timestamp may name


def _rfc3339(text: str) -> str:
    """A date-time with its offset, as RFC 3339 (and Alertmanager's Go encoder) writes it; kept as sent."""
    try:
        parsed = datetime.fromisoformat(text)  # Python 3.11: 'Z', and digits past microseconds are cut
    except ValueError:
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-11-29T23:47:28Z") from None
    if parsed.tzinfo is None:
        raise ValueError("must be an RFC 3339 date-time with its offset, e.g. 2026-11-29T23:47:28Z")
    try:
        # stored as timestamptz, i.e. in UTC: 0001-01-01T00:00:00+01:00 falls before year 1 and
        # 9999-12-31T23:59:59-01:00 after 9999, which neither Python nor asyncpg can hold
        parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"must fall between {EARLIEST} and {LATEST} once its offset is applied") from None
    return text


DateTime = Annotated[str, AfterValidator(_rfc3339), WithJsonSchema({"type": "string", "format": "date-time"})]
Model = TypeVar("Model", bound=BaseModel)

MAX_DEPTH = 64  # Alertmanager's webhook is 4 levels deep; custom_details may nest, but not like this
MAX_INT_DIGITS = 1000  # below Python's int-parsing limit (4300), far above any real value
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates JSON escapes left unpaired


class AlertmanagerAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: Labels = {}
    annotations: Labels = {}
    startsAt: DateTime | None = None
    endsAt: DateTime | None = None  # 0001-01-01T00:00:00Z while firing
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
    timestamp: DateTime | None = None
    component: str | None = None
    group: str | None = None
    event_class: str | None = Field(default=None, alias="class")
    custom_details: Any = None


class EventLink(BaseModel):
    model_config = ConfigDict(extra="ignore")

    href: str = Field(min_length=1, max_length=2048)
    text: str = Field(default="", max_length=1024)


class EventImage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    src: str = Field(min_length=1, max_length=2048)
    href: str = Field(default="", max_length=2048)
    alt: str = Field(default="", max_length=1024)


# The rule _required_by_action enforces, stated in the published schema too (JSON Schema if/then)
REQUIRED_BY_ACTION = {
    "allOf": [
        {
            "if": {"properties": {"event_action": {"const": "trigger"}}},
            "then": {"required": ["payload"]},
            "else": {"required": ["dedup_key"]},
        },
    ]
}


class PagerDutyEvent(BaseModel):
    """PagerDuty Events API v2 event (`POST /v2/enqueue`)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=REQUIRED_BY_ACTION)

    routing_key: str = Field(min_length=1, max_length=200)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    payload: EventPayload | None = None
    client: str | None = None  # kept on the incident clipped (alert_context.py), never refused for length
    client_url: str | None = None
    links: list[EventLink] = Field(default=[], max_length=50)
    images: list[EventImage] = Field(default=[], max_length=50)

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
    raw = parse_json(body)
    try:
        return model.model_validate(raw), raw
    except ValidationError as err:
        raise MalformedBody(field_errors(err)) from None


def parse_json(body: bytes) -> Any:
    """JSON that every later step can hold (see the module docstring), or MalformedBody."""
    try:
        # decoded here: json.loads(bytes) would also take UTF-16 and UTF-32
        raw = json.loads(
            body.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float, parse_int=_bounded_int
        )
    except UnicodeDecodeError as err:
        raise MalformedBody([_error(f"body is not UTF-8: {err}", "utf8_invalid")]) from None
    except RecursionError:
        raise MalformedBody([_error(f"body nests deeper than {MAX_DEPTH} levels", "too_deep")]) from None
    except ValueError as err:  # JSONDecodeError, and what the parse_* hooks refuse
        raise MalformedBody([_error(f"body is not valid JSON: {err}", "json_invalid")]) from None
    problem = _unstorable(raw)
    if problem is not None:
        raise MalformedBody([problem])
    return raw


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:40]} is out of range")
    return number


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer with more than {MAX_INT_DIGITS} digits")
    return int(text)


def _unstorable(raw: Any) -> dict[str, Any] | None:
    """The first part too deep or holding a character Postgres refuses; iterative, so depth cannot overflow."""
    stack: list[tuple[Any, list[str | int]]] = [(raw, [])]
    while stack:
        value, loc = stack.pop()
        if len(loc) >= MAX_DEPTH:  # `value` is a container at level len(loc) + 1
            return _error(f"body nests deeper than {MAX_DEPTH} levels", "too_deep", loc[:MAX_DEPTH])
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            for text, where in ((key, loc), (item, [*loc, key])):
                if isinstance(text, str) and UNSTORABLE.search(text):
                    return _error(
                        "strings must not contain NUL characters (\\u0000) or unpaired surrogates",
                        "string_unstorable",
                        where,
                    )
            if isinstance(item, dict | list):
                stack.append((item, [*loc, key]))
    if isinstance(raw, str) and UNSTORABLE.search(raw):
        return _error("strings must not contain NUL characters (\\u0000) or unpaired surrogates", "string_unstorable")
    return None


def _error(msg: str, kind: str, loc: list[str | int] | None = None) -> dict[str, Any]:
    return {"loc": loc or [], "msg": msg, "type": kind}


def field_errors(err: ValidationError) -> list[dict[str, Any]]:
    """Where and what, without echoing the input back (it may hold a routing key)."""
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in err.errors(include_input=False)]
