"""Alert deliveries taken into the incident: the receiver's `alerts` update, and its start signal."""

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import alerts
    from domain.commands import AlertBatch
    from domain.incident_state import IncidentState
    from workflows.contract import INCIDENT_CLOSED


class AlertIntake:
    def __init__(self, state: IncidentState, changed: Callable[[], None], wake: Callable[[], None]) -> None:
        self.state, self.changed, self.wake = state, changed, wake

    def check_open(self) -> None:
        """A closed or refused incident takes no more alerts: the receiver opens the next one."""
        state = self.state
        if state.incident.is_closed or state.rejection is not None:
            why = "refused" if state.rejection is not None else f"closed ({state.incident.outcome})"
            raise ApplicationError(f"{state.incident.display_name} is {why}", type=INCIDENT_CLOSED, non_retryable=True)

    def take(self, batch: AlertBatch) -> None:
        incident, events = self.state.incident, batch.events
        # Rows of the receiver's inbox may come twice (at least once); only they carry a seq.
        if any(e.inbox_seq is not None for e in events):
            events = alerts.first_sight(incident, events)
            if not events:
                return
        if incident.is_closed:
            # closed, but this run is still finishing (notifications): keep what fires for the next incident
            self.state.late_alerts.extend(events)
            self.wake()
            return
        alerts.apply_alerts(incident, events, batch.actor)
        self.changed()
