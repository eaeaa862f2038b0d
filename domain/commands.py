"""One input model per workflow, update, signal and query (fields can be added without breaking history)."""

from pydantic import BaseModel, Field, model_validator

from domain.alerts import AlertEvent
from domain.enums import HoldReason, Source
from domain.incident import Incident

Text = Field(min_length=1, max_length=2000)


class CleanInput(BaseModel):
    """Text that Postgres can store: a NUL would make every write of the record fail, forever."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: object) -> object:
        if isinstance(data, dict):
            for name, value in data.items():
                if isinstance(value, str) and "\x00" in value:
                    raise ValueError(f"{name} contains a NUL character")
        return data
Scale = Field(default=None, ge=1, le=3)


class OpenIncident(CleanInput):
    """The workflow input: what the reporter said, or the incident carried across continue-as-new."""

    service: str = Field(min_length=1, max_length=100)
    summary: str = Field(min_length=1, max_length=500)
    source: Source = Source.ENGINEER
    caller: str = ""
    supplier: str = ""
    ci: str = ""
    impact: int | None = Scale
    urgency: int | None = Scale
    severity: str = ""
    category: str | None = None
    continued: Incident | None = None
    recorded_seq: int = 0  # timeline entries already written to Postgres
    # An alert that fires again after its incident closed starts the next incident on the same
    # workflow id (continue-as-new); the generation keeps their records apart.
    generation: int = 0
    late_alerts: list[AlertEvent] = []
    inbox_seen: list[int] = []  # the previous incident's, so a late row re-sent is not applied twice


class IncidentResult(BaseModel):
    number: str | None
    state: str
    outcome: str | None
    rejected: str | None = None


class ViewRequest(BaseModel):
    history: bool = False


class ActorInput(CleanInput):
    actor: str = Field(min_length=1, max_length=100)


class WaitRegistered(ActorInput):
    pass


class Ack(ActorInput):
    pass


class Assign(ActorInput):
    group: str = Field(min_length=1, max_length=100)
    person: str = Field(default="", max_length=100)


class Escalate(ActorInput):
    to_group: str | None = Field(default=None, min_length=1, max_length=100)
    management: bool = False
    reason: str = Text

    @model_validator(mode="after")
    def _one_direction(self) -> "Escalate":
        if (self.to_group is None) == (not self.management):
            raise ValueError("escalate needs exactly one of --to GROUP or --management")
        return self


class Note(ActorInput):
    text: str = Text


class Diagnose(ActorInput):
    finding: str = Text
    category: str | None = None


class ChangePriority(ActorInput):
    impact: int = Field(ge=1, le=3)
    urgency: int = Field(ge=1, le=3)
    reason: str = Text


class Hold(ActorInput):
    reason: HoldReason
    text: str = Text


class Resume(ActorInput):
    pass


class Workaround(ActorInput):
    text: str = Text


class Resolve(ActorInput):
    resolution: str = Text
    problem: str | None = Field(default=None, pattern=r"^PRB-\d+$")


class Confirm(ActorInput):
    pass


class Reopen(ActorInput):
    reason: str = Text


class Cancel(ActorInput):
    reason: str = Text


class AlertBatch(BaseModel):
    """Signal from the alert receiver: deliveries for one incident, coalesced under a burst."""

    actor: str  # the sending integration, e.g. "alertmanager"
    events: list[AlertEvent] = Field(min_length=1)
