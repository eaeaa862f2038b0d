"""Every saved lifecycle history replays with today's workflow code.

A failure here means a change to workflows/ or domain/ would break incidents already
running (their history no longer matches the commands the code makes): guard the
change with `workflow.patched()` instead. Histories are recorded by
`.venv/bin/python -m tests.replay.record_histories` (see its docstring):
histories/<path>.json come from the current code; each subfolder keeps the set
recorded before a patched change (before_notifications/: before `deliver-notifications`;
before_incident_numbers/: before numbers reserved at intake, the `alerts` update, timers kept
while unchanged, IncidentResponders, refusals visible as refused, reopen before ack,
integration acks, the generation kept across hand-over; before_paging/: before paging by escalation
policy; before_releases/: before recent changes, the phrases of a known-error match and known errors
offered to open incidents; before_status/: before the status page's public updates and the reminder
that asks for one; before_first_steps/: before registration, the known-error check and the recent
changes were one activity, before an events-API acknowledge stopped the paging of an
incident in work and before a known error's offer reached the assignee),
so the old branch of every `workflow.patched()` keeps being replayed too.
"""

import json
from contextlib import nullcontext
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.workflow import NondeterminismError

from domain.commands import IncidentResult
from tests.replay.incompatible_workflow import IncidentWorkflowWithStepsOneByOne
from tests.replay.record_histories import FIRST_RUN, HISTORIES, PATHS, workflow_id
from tests.workflows.incident_driver import continue_as_new_suggested_after
from worker import PASSTHROUGH_MODULES
from workflows.incident import IncidentWorkflow

# How each recorded path ends: (state, outcome) of the workflow result.
ENDINGS = {
    "happy_path": ("closed", "resolved"),
    "known_error": ("closed", "known_error"),
    "rejected_service": ("rejected", None),
    "breach": ("closed", "resolved"),
    "hold_then_breach": ("closed", "resolved"),
    "reopen": ("closed", "resolved"),
    "major_incident": ("closed", "resolved"),
    "alert_quiet_close": ("closed", "resolved"),
    "alerts_from_inbox": ("closed", "resolved"),
    "alert_refire_before_ack": ("closed", "resolved"),
    "paged_then_acknowledged": ("closed", "resolved"),
    "escalated_then_acknowledged_by_integration": ("closed", "resolved"),
    "hand_over": ("closed", "resolved"),
    "second_generation_hand_over": ("closed", "resolved"),
    "second_generation_hand_over_first_run": ("continued_as_new", None),
    "hand_over_first_run": ("continued_as_new", None),
    "cancel": ("closed", "cancelled"),
    "known_error_offered_after_a_deploy": ("closed", "resolved"),
    "public_updates_on_a_major_incident": ("closed", "resolved"),
}


def replayer(workflow: type = IncidentWorkflow) -> Replayer:
    """The worker's own sandbox settings (worker.build_worker), so replay sees what production runs."""
    runner = SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(
        *PASSTHROUGH_MODULES))  # fmt: skip
    return Replayer(workflows=[workflow], data_converter=pydantic_data_converter, workflow_runner=runner)


SAVED = sorted(HISTORIES.rglob("*.json"))


def saved(file: Path | str) -> WorkflowHistory:
    file = HISTORIES / f"{file}.json" if isinstance(file, str) else file
    return WorkflowHistory.from_json(workflow_id(file.stem.removesuffix(FIRST_RUN)), file.read_text())


def ending(history: WorkflowHistory) -> tuple[str, str | None]:
    if history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return "continued_as_new", None
    completed = history.events[-1].workflow_execution_completed_event_attributes
    [result] = pydantic_data_converter.payload_converter.from_payloads(completed.result.payloads, [IncidentResult])
    return result.state, result.outcome


def test_every_lifecycle_path_has_a_saved_history():
    assert sorted(p.stem for p in HISTORIES.glob("*.json")) == sorted(ENDINGS)
    assert set(PATHS) == {stem.removesuffix(FIRST_RUN) for stem in ENDINGS}
    for folder in (d for d in HISTORIES.iterdir() if d.is_dir()):
        assert {p.stem for p in folder.glob("*.json")} <= set(ENDINGS), folder


@pytest.mark.parametrize("file", SAVED, ids=lambda f: str(f.relative_to(HISTORIES).with_suffix("")))
async def test_a_saved_lifecycle_history_replays_with_todays_code(file: Path):
    history = saved(file)
    assert ending(history) == ENDINGS[file.stem]  # the file is the path it claims to be, run to its end
    # a first run handed over early because the recorder made the server suggest it early
    with continue_as_new_suggested_after() if file.stem.endswith(FIRST_RUN) else nullcontext():
        result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


async def test_replay_fails_when_the_workflow_code_changes_incompatibly():
    with pytest.raises(NondeterminismError, match="Nondeterminism error"):
        await replayer(IncidentWorkflowWithStepsOneByOne).replay_workflow(saved("happy_path"))


async def test_replay_fails_on_a_history_whose_commands_the_code_does_not_make():
    raw = json.loads((HISTORIES / "happy_path.json").read_text())
    scheduled = next(e for e in raw["events"] if "activityTaskScheduledEventAttributes" in e)
    scheduled["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "register_incident_v0"
    with pytest.raises(NondeterminismError, match="'register_incident_v0' does not match"):
        await replayer().replay_workflow(WorkflowHistory.from_json(workflow_id("happy_path"), raw))


RUNNING = Path(__file__).parent / "running"


@pytest.mark.parametrize("file", sorted(RUNNING.glob("*.json")), ids=lambda f: f.stem)
async def test_an_incident_still_open_from_an_earlier_release_replays_with_todays_code(file: Path):
    """Exported from a real `make run` (temporal workflow show -o json) while the incident was open.

    first_release_open_incident: started by the first release, whose ServiceAgreement still had
    `notify_webhook`; a strict model once failed its replay ("Failed decoding arguments").
    """
    history = WorkflowHistory.from_json("running-incident", file.read_text())
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_every_patch_the_workflow_asks_for_belongs_to_a_release():
    """A new incident takes a release's changes from one marker (workflows/patches.py): a change asked
    for by name but missing from RELEASES would record its own marker, or worse, be added later to a
    released entry and hand running incidents a change their histories do not have."""
    import re

    from workflows.patches import RELEASES

    sources = "".join(p.read_text() for p in (Path(__file__).parents[2] / "workflows").glob("*.py"))
    asked = set(re.findall(r'patched\("([a-z0-9-]+)"\)', sources))
    released = set().union(*RELEASES.values())
    assert asked and asked <= released, sorted(asked - released)
    assert released <= asked, f"listed but never asked: {sorted(released - asked)}"
