"""One input model per workflow, update, signal and query (fields can be added without breaking history)."""

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from domain import acknowledgement, actions, lifecycle
from domain.acknowledgement import Via
from domain.alerts import AlertEvent
from domain.catalog import KnownError
from domain.enums import Action, HoldReason, Outcome, Source
from domain.formats import PROBLEM_PATTERN, TEXT_LIMIT
from domain.incident import Incident
from domain.incident_state import IncidentState
from domain.names import INCIDENT_NUMBER

Text = Field(min_length=1, max_length=TEXT_LIMIT)


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
    """The workflow input: what the reporter said (a new incident), or that plus the state a run
    handed over (`carried`, continue-as-new)."""

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
    # Reserved at intake (starter.incident_numbers), and the workflow id: the Web UI's list names
    # the incident. None: the next incident on a closed one's workflow id, numbered by registration.
    number: str | None = Field(default=None, pattern=INCIDENT_NUMBER)
    previous_workflow_id: str | None = None  # the closed incident this one follows (alerts that fired again)
    carried: IncidentState | None = None  # a run handing over (continue-as-new): the incident goes on
    # The next incident on a closed one's workflow id (continue-as-new): its generation (IncidentState),
    # the alerts that opened it, and the inbox rows the previous one applied, so a re-sent row is not
    # applied twice.
    generation: int = 0
    late_alerts: list[AlertEvent] = []
    inbox_seen: list[int] = []

    @model_validator(mode="before")
    @classmethod
    def _hand_over_of_1_0(cls, data: object) -> object:
        """Release 1.0 handed over as `continued` (the incident), `recorded_seq` and `generation`;
        its running incidents' histories carry that input (tests/replay/histories/1.0/hand_over*)."""
        if not isinstance(data, dict) or data.get("continued") is None:
            return data
        data = dict(data)
        data["carried"] = {
            "incident": data.pop("continued"),
            "recorded_seq": data.pop("recorded_seq", 0),
            "generation": data.pop("generation", 0),
        }
        return data


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


class EngineerInput(ActorInput):
    """The input of one engineer Update (ENGINEER_INPUTS): `apply()` is what it does,
    `state_refusal()` whether the incident's state allows it, `refusal()` why it cannot happen now
    beyond the state rules. `by`: who sent it on the actor's behalf (the API's authenticated caller
    acting as `actor`), written into the timeline entries it makes."""

    by: str | None = Field(default=None, min_length=1, max_length=100)
    # the entries' detail may name who entered them; not where the detail is the business's text
    detail_names_sender: ClassVar[bool] = True

    def act(self, incident: Incident, now: datetime) -> None:
        """apply(), then the entries the actor made say who entered them for the actor, if someone did."""
        first = len(incident.timeline)
        self.apply(incident, now)
        if self.by is not None and self.by != self.actor and self.detail_names_sender:
            for entry in incident.timeline[first:]:
                if entry.actor == self.actor:
                    entry.detail = f"{entry.detail} (by {self.by} for {self.actor})".lstrip()

    def apply(self, incident: Incident, now: datetime) -> None:
        raise NotImplementedError

    def state_refusal(self, incident: Incident, action: Action) -> str | None:
        return lifecycle.refusal(incident, action)

    def refusal(self, incident: Incident) -> str | None:
        return None

    def unknown_names(self, incident: Incident) -> str | None:
        """A group or category the service does not have. Checked by the validator only: it never
        runs on replay, so accepted updates of older incidents stay accepted."""
        return None


class Ack(EngineerInput):
    def apply(self, incident: Incident, now: datetime) -> None:
        acknowledgement.acknowledge(incident, self.actor, now, Via.ENGINEER)

    def state_refusal(self, incident: Incident, action: Action) -> str | None:
        return acknowledgement.refusal(incident, Via.ENGINEER)


class PageAck(ActorInput):
    """An acknowledgement link was used (the receiver, POST /v1/pages/<token>/ack): `actor` is the
    paged person; `page` the page it answered."""

    page: int = Field(ge=1)


# Where the sender found a group that may be none of the service's own ("a group of email", "an
# on-call schedule"): the validator cannot read the catalog, incidentctl checks it before sending.
KnownAs = Field(default="", max_length=200)


class Assign(EngineerInput):
    group: str = Field(min_length=1, max_length=100)
    person: str = Field(default="", max_length=100)
    known_as: str = KnownAs

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.assign(incident, self.actor, now, self.group, self.person, self.known_as)

    def unknown_names(self, incident: Incident) -> str | None:
        return actions.unknown_group(incident, self.group, self.known_as)


class Escalate(EngineerInput):
    to_group: str | None = Field(default=None, min_length=1, max_length=100)
    management: bool = False
    reason: str = Text
    known_as: str = KnownAs

    @model_validator(mode="after")
    def _one_direction(self) -> "Escalate":
        if (self.to_group is None) == (not self.management):
            raise ValueError("escalate needs exactly one of --to GROUP or --management")
        return self

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.escalate(incident, self.actor, now, self.to_group, self.reason, self.known_as)

    def refusal(self, incident: Incident) -> str | None:
        return actions.escalation_refusal(incident, self.to_group)

    def unknown_names(self, incident: Incident) -> str | None:
        return actions.unknown_support_line(incident, self.to_group, self.known_as)


class Note(EngineerInput):
    text: str = Text

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.note(incident, self.actor, now, self.text)


class PublicUpdate(EngineerInput):
    text: str = Field(min_length=1, max_length=1000)
    detail_names_sender: ClassVar[bool] = False  # the status page shows it: never a name (the audit trail has both)

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.public_update(incident, self.actor, now, self.text)


class Diagnose(EngineerInput):
    finding: str = Text
    category: str | None = None

    def apply(self, incident: Incident, now: datetime) -> None:
        category = incident.agreement.category(self.category) if self.category and incident.agreement else None
        actions.diagnose(incident, self.actor, now, self.finding, category)

    def unknown_names(self, incident: Incident) -> str | None:
        return actions.category_refusal(incident, self.category)


class ChangePriority(EngineerInput):
    impact: int = Field(ge=1, le=3)
    urgency: int = Field(ge=1, le=3)
    reason: str = Text

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.change_priority(incident, self.actor, now, self.impact, self.urgency, self.reason)

    def refusal(self, incident: Incident) -> str | None:
        return actions.priority_refusal(incident, self.impact, self.urgency)


class Hold(EngineerInput):
    reason: HoldReason
    text: str = Text

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.hold(incident, self.actor, now, self.reason, self.text)


class Resume(EngineerInput):
    def apply(self, incident: Incident, now: datetime) -> None:
        actions.resume(incident, self.actor, now)


class Workaround(EngineerInput):
    text: str = Text

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.apply_workaround(incident, self.actor, now, self.text)


class Resolve(EngineerInput):
    resolution: str = Text
    problem: str | None = Field(default=None, pattern=PROBLEM_PATTERN)

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.resolve(incident, self.actor, now, self.resolution, self.problem)

    def refusal(self, incident: Incident) -> str | None:
        return actions.resolve_refusal(incident, self.problem)


class Confirm(EngineerInput):
    def apply(self, incident: Incident, now: datetime) -> None:
        actions.close(incident, self.actor, now, Action.CONFIRM, Outcome.RESOLVED, f"confirmed by {self.actor}")


class Reopen(EngineerInput):
    reason: str = Text

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.reopen(incident, self.actor, now, self.reason)


class Cancel(EngineerInput):
    reason: str = Text

    def apply(self, incident: Incident, now: datetime) -> None:
        actions.close(incident, self.actor, now, Action.CANCEL, Outcome.CANCELLED, f"cancelled: {self.reason}")


# incidentctl's engineer commands (what people type) -> the input each sends; the update it goes
# to is workflows.contract.ENGINEER_UPDATES
ENGINEER_INPUTS: dict[str, type[EngineerInput]] = {
    "ack": Ack,
    "assign": Assign,
    "escalate": Escalate,
    "note": Note,
    "update": PublicUpdate,
    "diagnose": Diagnose,
    "priority": ChangePriority,
    "hold": Hold,
    "resume": Resume,
    "workaround": Workaround,
    "resolve": Resolve,
    "confirm": Confirm,
    "reopen": Reopen,
    "cancel": Cancel,
}


class KnownErrorOffer(BaseModel):
    """KnownErrorLinks signals an open incident a known error published while it was open."""

    known_error: KnownError


class AlertBatch(BaseModel):
    """Signal from the alert receiver: deliveries for one incident, coalesced under a burst."""

    actor: str  # the sending integration, e.g. "alertmanager"
    events: list[AlertEvent] = Field(min_length=1)
