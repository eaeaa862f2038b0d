"""runtime/payloads.py: the same bytes as the SDK's pydantic converter, with type adapters built once per
process however many converters the SDK makes (it makes one per workflow run)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.alerts import AlertEvent
from domain.commands import Ack, OpenIncident
from domain.incident_state import IncidentState
from domain.view import incident_view
from runtime import payloads
from runtime.payloads import IncidentPayloadConverter, incident_data_converter
from tests.unit.test_view import incident

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _values() -> list[Any]:
    state = IncidentState(incident=incident(), generation=1, recorded_seq=2,
                          late_alerts=[AlertEvent(key="k", status="firing", at=AT)])  # fmt: skip
    return [
        OpenIncident(service="checkout", summary="5xx above 5%", impact=2, urgency=2, carried=state),
        Ack(actor="ana"),
        incident_view(state.incident, state.incident.logged_at + timedelta(minutes=5), history=True),
        {"when": AT, "gap": timedelta(seconds=90), "n": 3, "none": None},
        "text",
        b"raw bytes",
        None,
    ]


@pytest.mark.parametrize("value", _values(), ids=lambda value: type(value).__name__)
def test_every_value_is_the_same_payload_as_the_sdk_pydantic_converter_writes(value):
    ours = incident_data_converter.payload_converter.to_payloads([value])
    theirs = pydantic_data_converter.payload_converter.to_payloads([value])
    assert ours == theirs


@pytest.mark.parametrize("value", _values(), ids=lambda value: type(value).__name__)
def test_every_value_reads_back_as_the_sdk_pydantic_converter_reads_it(value):
    hint = dict[str, datetime | timedelta | int | None] if isinstance(value, dict) and "when" in value else type(value)
    ours, theirs = incident_data_converter.payload_converter, pydantic_data_converter.payload_converter
    [read] = ours.from_payloads(ours.to_payloads([value]), [hint])
    assert read == value
    assert read == theirs.from_payloads(theirs.to_payloads([value]), [hint])[0]


def test_a_new_converter_reuses_the_adapters_an_earlier_one_built():
    payload = incident_data_converter.payload_converter.to_payloads([Ack(actor="ana")])
    IncidentPayloadConverter().from_payloads(payload, [Ack])  # built here, or by an earlier test
    before = payloads._adapter.cache_info()
    for _ in range(3):  # as the SDK does: a new converter for every workflow run
        [read] = IncidentPayloadConverter().from_payloads(payload, [Ack])
        assert read == Ack(actor="ana")
    after = payloads._adapter.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 3


def test_an_unhashable_type_hint_is_read_without_the_cache():
    hint = Annotated[list[int], {"unhashable": "metadata"}]
    with pytest.raises(TypeError):
        hash(hint)
    payload = incident_data_converter.payload_converter.to_payloads([[1, 2]])
    assert incident_data_converter.payload_converter.from_payloads(payload, [hint]) == [[1, 2]]


def test_a_value_of_the_wrong_shape_is_refused_as_pydantic_refuses_it():
    payload = incident_data_converter.payload_converter.to_payloads([{"actor": 3}])
    with pytest.raises(Exception, match="actor"):
        incident_data_converter.payload_converter.from_payloads(payload, [Ack])
