"""The state an incident's workflow carries across continue-as-new: one model, handed over whole, and
the hand-overs release 1.0 wrote (its incidents may still be running) still read as that state."""

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from domain.alerts import AlertEvent
from domain.commands import OpenIncident
from domain.incident_state import IncidentState
from runtime.payloads import incident_data_converter
from tests.unit.test_view import incident

HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories"


def _handed_over_input(history: Path) -> dict[str, object]:
    """The input a recorded first run handed to its next run (its last event: continued as new)."""
    last = json.loads(history.read_text())["events"][-1]
    payload = last["workflowExecutionContinuedAsNewEventAttributes"]["input"]["payloads"][0]
    return json.loads(base64.b64decode(payload["data"]))


def test_a_hand_over_written_by_release_1_0_reads_as_the_state_it_carried():
    written = _handed_over_input(HISTORIES / "1.0" / "hand_over_first_run.json")
    assert "continued" in written and "carried" not in written  # 1.0's shape
    request = OpenIncident.model_validate(written)
    assert request.carried is not None
    assert request.carried.incident.number == written["continued"]["number"]  # type: ignore[index]
    assert len(request.carried.incident.timeline) == len(written["continued"]["timeline"])  # type: ignore[index]
    assert request.carried.recorded_seq == written["recorded_seq"]
    assert request.carried.generation == written["generation"]


def test_a_second_incident_handed_over_by_release_1_0_keeps_its_generation_which_keys_its_record():
    written = _handed_over_input(HISTORIES / "1.0" / "second_generation_hand_over_first_run.json")
    request = OpenIncident.model_validate(written)
    assert request.carried is not None and request.carried.generation == written["generation"] == 1
    assert request.carried.recorded_seq == written["recorded_seq"]


def test_a_hand_over_carries_the_whole_state_through_the_workers_converter():
    at = datetime(2026, 1, 2, tzinfo=UTC)
    state = IncidentState(incident=incident(), generation=2, recorded_seq=3, undelivered=True,
                          late_alerts=[AlertEvent(key="k", status="firing", at=at)])  # fmt: skip
    converter = incident_data_converter.payload_converter
    handed = OpenIncident(service="checkout", summary="5xx above 5%", carried=state)
    [read] = converter.from_payloads(converter.to_payloads([handed]), [OpenIncident])
    assert read.carried == state
