"""What the incident routes take and answer, as the OpenAPI document shows them.

The incident object is the contract of DESIGN section 5 (`incidentctl -o json` prints it as it comes):
times are ISO 8601 strings with a time zone, kept as the workflow or the record wrote them. An object
carries only the keys its source has (`show` adds `responders` and `alert_context`, `?history=true`
adds `history`; a listed one comes from the record), so routes answer with exclude_unset.

Each engineer action takes its own body, made from its input model in domain.commands (the fields
an engineer gives; `actor` and `by` are the API's to set, from who is asking and `as`).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic_core import PydanticCustomError

from domain.commands import ENGINEER_INPUTS

SET_BY_THE_API = ("actor", "by", "known_as")  # who acts is a fact; where a group is known, the API finds

AS = Field(
    default=None,
    alias="as",
    min_length=1,
    max_length=100,
    description="act on this person's behalf (needs the right act_on_behalf); both names are recorded",
)
REQUEST_ID = Field(
    default=None,
    min_length=1,
    max_length=200,
    description="idempotency key: the same action sent again with the same id is applied once",
)


class Sla(BaseModel):
    response_due: str | None = None
    restore_due: str | None = None
    restore_paused: bool = False
    restore_left: str | None = None
    breached: bool = False


class HistoryEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    at: str
    actor: str
    action: str
    from_: str | None = Field(alias="from")
    to: str
    detail: str


class Incident(BaseModel):
    """The incident object (DESIGN section 5)."""

    model_config = ConfigDict(extra="allow")

    number: str | None = None
    workflow_id: str
    state: str
    outcome: str | None = None
    priority: str | None = None
    impact: int | None = None
    urgency: int | None = None
    service: str
    category: str | None = None
    group: str | None = None
    assignee: str | None = None
    summary: str
    source: str
    major: bool = False
    logged_at: str | None = None
    acknowledged_at: str | None = None
    restored_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    caller: str | None = None
    supplier: str | None = None
    ci: str | None = None
    runbook: str | None = None
    known_error: str | None = None
    workaround: str | None = None
    problem: str | None = None
    previous_number: str | None = None
    offered_known_errors: list[str] = []
    recent_changes: list[dict[str, Any]] = []
    alert_context: dict[str, Any] | None = None
    responders: list[str] = []
    alerts: dict[str, int] = {}
    sla: Sla
    history: list[HistoryEntry] = []


class IncidentPage(BaseModel):
    items: list[Incident]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
    total: int = Field(description="how many incidents match in all")


class ReportGroup(BaseModel):
    service: str
    priority: str
    incidents: int
    cancelled: int
    breached: int
    mtta_seconds: float | None
    mttr_seconds: float | None
    sla_compliance: float | None = Field(description="restored in time / judged, 0..1; null when none was judged")


class Report(BaseModel):
    since: str
    until: str
    groups: list[ReportGroup]


class OpenRequest(BaseModel):
    """A new incident. Priority is impact x urgency (default: the catalog's default severity)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    service: str = Field(min_length=1, max_length=100, description="a service of the agreed catalog")
    summary: str = Field(min_length=1, max_length=500)
    impact: int | None = Field(default=None, ge=1, le=3)
    urgency: int | None = Field(default=None, ge=1, le=3)
    caller: str = Field(default="", max_length=500, description="who reported it (default: who acts)")
    supplier: str = Field(default="", max_length=500, description="the failure is at this supplier")
    ci: str = Field(default="", max_length=500, description="the affected configuration item")
    category: str | None = Field(default=None, min_length=1, max_length=500)
    as_: str | None = AS
    request_id: str | None = REQUEST_ID


class ActionBody(BaseModel):
    """Text PostgreSQL cannot hold is refused here, as a 400 naming the field as the caller wrote it (`as`,
    `request_id` too): the workflow's inputs refuse it as well (domain.commands.CleanInput), but in their
    own names and after the incident is read, and an update id is no input of theirs. An unpaired
    surrogate is no string pydantic takes at all."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("unstorable_text", "a NUL character (\\u0000) cannot be stored: leave it out")
        return value


def action_body(command: str) -> type[BaseModel]:
    """The body of POST /v1/incidents/{incident}/actions/{command}: the input model's own fields, `as`
    and `request_id`."""
    model = ENGINEER_INPUTS[command]
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in model.model_fields.items() if name not in SET_BY_THE_API
    }
    return create_model(
        f"{model.__name__}Action",
        __base__=ActionBody,
        __doc__=(model.__doc__ or f"{command}").strip().splitlines()[0],
        as_=(str | None, AS),
        request_id=(str | None, REQUEST_ID),
        **fields,
    )
