"""What an incident's workflow answers to, as its callers see it: the handlers by name, the shapes of
their inputs and answers on the wire, and the error types a refusal carries.

incidentctl, the receiver, KnownErrorLinks, bench and tests call the workflow through the stubs
below (`handle.execute_update(IncidentContract.ack, ...)`), never through a handler's name as a string,
and IncidentWorkflow declares the same handlers (tests/unit/test_contract.py holds the two together).

Standard library and `temporalio.workflow` only, which `temporalio.client` loads anyway: a command
of incidentctl pays nothing for it, while the workflow module itself (activities, asyncpg, aiohttp,
pydantic) costs about twice the client. So the shapes are TypedDicts, not the domain's pydantic
models they mirror; the SDK reads a stub's annotations when it is decorated, so they are real types.
"""

from collections.abc import Callable
from typing import Any, Literal, NotRequired

from temporalio import workflow
from typing_extensions import TypedDict  # not typing's: pydantic (the receiver, `open`) reads them on Python 3.11

# Error types of the ApplicationErrors the workflow raises (refusals: never retried).
SERVICE_NOT_IN_CATALOG = "ServiceNotInCatalog"  # `registered`: the service is outside the agreements
ILLEGAL_TRANSITION = "IllegalTransition"  # an engineer's update or a page acknowledgement refused now
INCIDENT_CLOSED = "IncidentClosed"  # `alerts`: this incident takes no more alerts; open the next one


class OpenIncidentInput(TypedDict):
    """The workflow's input (domain.commands.OpenIncident)."""

    service: str
    summary: str
    source: NotRequired[str]
    caller: NotRequired[str]
    supplier: NotRequired[str]
    ci: NotRequired[str]
    impact: NotRequired[int | None]
    urgency: NotRequired[int | None]
    severity: NotRequired[str]
    category: NotRequired[str | None]
    number: NotRequired[str | None]
    previous_workflow_id: NotRequired[str | None]
    carried: NotRequired[dict[str, Any] | None]  # domain.incident_state.IncidentState
    generation: NotRequired[int]
    late_alerts: NotRequired[list[dict[str, Any]]]
    inbox_seen: NotRequired[list[int]]


class IncidentResultOutput(TypedDict):
    """What the workflow returns when the incident closes, or was refused."""

    number: str | None
    state: str
    outcome: str | None
    rejected: NotRequired[str | None]


class IncidentView(TypedDict, total=False):
    """The incident as `incidentctl -o json` prints it (domain.view.incident_view; `history` when asked)."""

    number: str | None
    workflow_id: str
    state: str
    outcome: str | None
    priority: str | None
    impact: int | None
    urgency: int | None
    service: str
    category: str | None
    group: str | None
    assignee: str | None
    summary: str
    source: str
    major: bool
    logged_at: str | None
    acknowledged_at: str | None
    restored_at: str | None
    resolved_at: str | None
    closed_at: str | None
    caller: str | None
    supplier: str | None
    ci: str | None
    runbook: str | None
    known_error: str | None
    workaround: str | None
    problem: str | None
    previous_number: str | None
    offered_known_errors: list[str]
    recent_changes: list[dict[str, Any]]
    alert_context: dict[str, Any] | None
    responders: list[str]
    alerts: dict[str, int]
    sla: dict[str, Any]
    history: list[dict[str, Any]]


class ViewInput(TypedDict):
    history: NotRequired[bool]


class ActorOnly(TypedDict):
    """`registered` (domain.commands.ActorInput)."""

    actor: str


class EngineerOnly(ActorOnly):
    """ack, resume, confirm (domain.commands.EngineerInput); `by`: who sent it on the actor's behalf."""

    by: NotRequired[str | None]


class AssignInput(EngineerOnly):
    group: str
    person: NotRequired[str]
    known_as: NotRequired[str]


class EscalateInput(EngineerOnly):
    to_group: NotRequired[str | None]
    management: NotRequired[bool]
    reason: str
    known_as: NotRequired[str]


class TextInput(EngineerOnly):
    """note, public_update, workaround."""

    text: str


class DiagnoseInput(EngineerOnly):
    finding: str
    category: NotRequired[str | None]


class PriorityInput(EngineerOnly):
    impact: int
    urgency: int
    reason: str


class HoldInput(EngineerOnly):
    reason: Literal["caller", "supplier"]
    text: str


class ResolveInput(EngineerOnly):
    resolution: str
    problem: NotRequired[str | None]


class ReasonInput(EngineerOnly):
    """reopen, cancel."""

    reason: str


class PageAckInput(ActorOnly):
    """An acknowledgement link was used: the paged person, and which page it answered."""

    page: int


class AlertEventInput(TypedDict):
    key: str
    status: Literal["firing", "resolved", "acknowledged"]
    at: str
    description: NotRequired[str]
    context: NotRequired[dict[str, Any] | None]
    inbox_seq: NotRequired[int | None]


class AlertBatchInput(TypedDict):
    """Deliveries from the receiver for one incident; `actor` is the sending integration."""

    actor: str
    events: list[AlertEventInput]


class KnownErrorOfferInput(TypedDict):
    known_error: dict[str, Any]  # domain.catalog.KnownError


@workflow.defn(name="IncidentWorkflow")
class IncidentContract:
    """IncidentWorkflow's handlers (workflows/incident.py does the work). A method's name is its
    handler's name: update ids and history read it (`ack-<request id>`)."""

    @workflow.run
    async def run(self, request: OpenIncidentInput) -> IncidentResultOutput: ...

    @workflow.query
    def view(self, request: ViewInput) -> IncidentView: ...

    @workflow.update
    async def registered(self, request: ActorOnly) -> IncidentView:
        """Answers once the incident is registered, prioritized and in the record (`incidentctl open`)."""
        ...

    @workflow.update
    def alerts(self, batch: AlertBatchInput) -> str:
        """Alert deliveries; refused with INCIDENT_CLOSED once the incident is closed."""
        ...

    @workflow.signal
    def alert(self, batch: AlertBatchInput) -> None:
        """The start signal of signal-with-start: an incident opened by its first alerts."""

    @workflow.update
    def acknowledge_page(self, request: PageAckInput) -> IncidentView: ...

    @workflow.signal
    def known_error_published(self, offer: KnownErrorOfferInput) -> None: ...

    # The engineers' updates (incidentctl): refused with ILLEGAL_TRANSITION when the state forbids them.
    @workflow.update
    def ack(self, request: EngineerOnly) -> IncidentView: ...

    @workflow.update
    def assign(self, request: AssignInput) -> IncidentView: ...

    @workflow.update
    def escalate(self, request: EscalateInput) -> IncidentView: ...

    @workflow.update
    def note(self, request: TextInput) -> IncidentView: ...

    @workflow.update
    def public_update(self, request: TextInput) -> IncidentView: ...

    @workflow.update
    def diagnose(self, request: DiagnoseInput) -> IncidentView: ...

    @workflow.update
    def change_priority(self, request: PriorityInput) -> IncidentView: ...

    @workflow.update
    def hold(self, request: HoldInput) -> IncidentView: ...

    @workflow.update
    def resume(self, request: EngineerOnly) -> IncidentView: ...

    @workflow.update
    def workaround(self, request: TextInput) -> IncidentView: ...

    @workflow.update
    def resolve(self, request: ResolveInput) -> IncidentView: ...

    @workflow.update
    def confirm(self, request: EngineerOnly) -> IncidentView: ...

    @workflow.update
    def reopen(self, request: ReasonInput) -> IncidentView: ...

    @workflow.update
    def cancel(self, request: ReasonInput) -> IncidentView: ...


_C = IncidentContract
# incidentctl's engineer commands (what people type) -> the update each sends
ENGINEER_UPDATES: dict[str, Callable[..., Any]] = {
    "ack": _C.ack,
    "assign": _C.assign,
    "escalate": _C.escalate,
    "note": _C.note,
    "update": _C.public_update,
    "diagnose": _C.diagnose,
    "priority": _C.change_priority,
    "hold": _C.hold,
    "resume": _C.resume,
    "workaround": _C.workaround,
    "resolve": _C.resolve,
    "confirm": _C.confirm,
    "reopen": _C.reopen,
    "cancel": _C.cancel,
}


@workflow.defn(name="KnownErrorLinks")
class KnownErrorLinksContract:
    """Offers a published known error to the open incidents it matches; returns their numbers."""

    @workflow.run
    async def run(self, known_error_id: str) -> list[str]: ...


def name_of(handler: Callable[..., Any]) -> str:
    """A handler's name, where the SDK wants a string (`start_signal`) or a name is part of an id."""
    return handler.__name__
