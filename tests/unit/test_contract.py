"""workflows.contract is what callers hold of IncidentWorkflow: the two must agree, handler by handler
and field by field, and the contract must stay cheap enough for incidentctl to start fast."""

import subprocess
import sys
import typing
from datetime import UTC, datetime, timedelta

import pytest
from temporalio import workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from domain.alerts import AlertEvent
from domain.commands import ENGINEER_INPUTS
from domain.incident import AlertContext, Link
from domain.view import incident_view
from runtime.payloads import incident_data_converter
from starter.incidentctl.commands import ENGINEER_COMMANDS
from tests.unit.test_view import incident
from workflows import contract
from workflows.incident import IncidentWorkflow

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def _handlers(cls: type) -> dict[str, tuple[str, typing.Any]]:
    """name -> (kind, input type) of every handler `cls` declares, and its run method as "run"."""
    defn = workflow._Definition.from_class(cls)
    assert defn is not None
    found: dict[str, tuple[str, typing.Any]] = {"run": ("run", typing.get_type_hints(defn.run_fn)["request"])}
    for kind, handlers in (("query", defn.queries), ("signal", defn.signals), ("update", defn.updates)):
        for name, handler in handlers.items():
            if name is None or name.startswith("__"):
                continue
            hints = typing.get_type_hints(handler.fn)
            found[name] = (kind, next(hint for key, hint in hints.items() if key != "return"))
    return found


def test_the_contract_names_every_handler_the_workflow_answers_and_no_other():
    ours, theirs = _handlers(contract.IncidentContract), _handlers(IncidentWorkflow)
    assert {name: kind for name, (kind, _) in ours.items()} == {name: kind for name, (kind, _) in theirs.items()}


def test_each_handler_input_has_the_fields_of_the_model_the_workflow_decodes_it_into():
    ours, theirs = _handlers(contract.IncidentContract), _handlers(IncidentWorkflow)
    for name, (_, model) in theirs.items():
        shape = ours[name][1]
        required = {field for field, info in model.model_fields.items() if info.is_required()}
        assert set(shape.__required_keys__) == required, name
        assert set(shape.__required_keys__) | set(shape.__optional_keys__) == set(model.model_fields), name


def test_a_stub_method_is_named_as_its_handler_so_update_ids_keep_their_names():
    for name, (kind, _) in _handlers(contract.IncidentContract).items():
        if kind != "run":
            assert contract.name_of(getattr(contract.IncidentContract, name)) == name
    assert contract.name_of(contract.ENGINEER_UPDATES["update"]) == "public_update"
    assert contract.name_of(contract.ENGINEER_UPDATES["priority"]) == "change_priority"


def test_every_engineer_command_has_one_update_and_one_input_and_the_workflow_decodes_that_input():
    commands = [command.name for command in ENGINEER_COMMANDS]
    assert list(contract.ENGINEER_UPDATES) == commands and list(ENGINEER_INPUTS) == commands
    declared = _handlers(IncidentWorkflow)
    for command, update in contract.ENGINEER_UPDATES.items():
        assert declared[contract.name_of(update)] == ("update", ENGINEER_INPUTS[command]), command


def _rich_view() -> dict[str, typing.Any]:
    new = incident()
    new.alert_context = AlertContext(description="queue", links=[Link(href="http://x", text="x")], details={"a": "b"})
    return incident_view(new, new.logged_at + timedelta(minutes=5), history=True)


@pytest.mark.parametrize("converter", [DataConverter.default, pydantic_data_converter, incident_data_converter],
                         ids=["json", "pydantic", "ours"])  # fmt: skip
def test_a_view_read_through_the_contract_is_the_view_the_workflow_sent(converter):
    view = _rich_view()
    assert set(view) == set(contract.IncidentView.__optional_keys__)
    payloads = converter.payload_converter.to_payloads([view])
    [read] = converter.payload_converter.from_payloads(payloads, [contract.IncidentView])
    assert read == view


def test_an_alert_batch_sent_by_the_receiver_decodes_with_the_contract_shape():
    at = datetime(2026, 1, 2, tzinfo=UTC)
    batch = {"actor": "alertmanager", "events": [AlertEvent(key="k", status="firing", at=at).model_dump(mode="json")]}
    payloads = pydantic_data_converter.payload_converter.to_payloads([batch])
    [read] = pydantic_data_converter.payload_converter.from_payloads(payloads, [contract.AlertBatchInput])
    assert read == batch


def _imported(*argv: str) -> set[str]:
    """The top-level packages a process imports, from `python -X importtime` as the command is typed."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "TEMPORAL_ADDRESS": "127.0.0.1:1",
                               "INCIDENT_API_URL": "http://127.0.0.1:1"}, timeout=60)  # fmt: skip
    names = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {name.split(".")[0] for name in names}


def test_incidentctl_help_imports_neither_the_sdk_nor_pydantic():
    imported = _imported("-m", "starter.incidentctl", "--help")
    assert "starter" in imported and not imported & {"temporalio", "pydantic", "asyncpg", "aiohttp"}


def test_an_engineer_command_imports_neither_the_sdk_nor_pydantic_nor_the_database_driver():
    imported = _imported("-m", "starter.incidentctl", "ack", "INC-1", "--as", "ana")  # a client of the API
    assert "starter" in imported
    assert not imported & {"temporalio", "workflows", "pydantic", "asyncpg", "aiohttp", "activities", "operations"}
