"""Every saved lifecycle history replays with today's workflow code.

A failure here means a change to workflows/ or domain/ would break incidents already
running (their history no longer matches the commands the code makes): make the change a
patch under a new release instead (workflows/releases.py). Histories are recorded by
`.venv/bin/python -m tests.replay.record_histories` (see its docstring) into
histories/<release>/, one folder per supported release, so the branches each running
release takes keep being replayed until the release is deprecated.
"""

import json
from contextlib import nullcontext
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from domain.commands import IncidentResult
from runtime.payloads import incident_data_converter
from tests.replay.incompatible_workflow import IncidentWorkflowThatWaitsFirst
from tests.replay.record_histories import FIRST_RUN, HISTORIES, PATHS, workflow_id
from tests.workflows.incident_driver import continue_as_new_suggested_after
from worker import workflow_runner
from workflows.incident import IncidentWorkflow
from workflows.releases import CURRENT, RELEASES, SUPPORTED

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
    return Replayer(workflows=[workflow], data_converter=incident_data_converter,
                    workflow_runner=workflow_runner(incident_data_converter))  # fmt: skip


SAVED = sorted(HISTORIES.rglob("*.json"))


def saved(file: Path | str) -> WorkflowHistory:
    file = HISTORIES / CURRENT / f"{file}.json" if isinstance(file, str) else file
    return WorkflowHistory.from_json(workflow_id(file.stem.removesuffix(FIRST_RUN)), file.read_text())


def ending(history: WorkflowHistory) -> tuple[str, str | None]:
    if history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return "continued_as_new", None
    completed = history.events[-1].workflow_execution_completed_event_attributes
    [result] = incident_data_converter.payload_converter.from_payloads(completed.result.payloads, [IncidentResult])
    return result.state, result.outcome


def test_every_lifecycle_path_has_a_saved_history_of_the_current_release():
    assert sorted(p.stem for p in (HISTORIES / CURRENT).glob("*.json")) == sorted(ENDINGS)
    assert set(PATHS) == {stem.removesuffix(FIRST_RUN) for stem in ENDINGS}
    for folder in (d for d in HISTORIES.iterdir() if d.is_dir()):
        assert {p.stem for p in folder.glob("*.json")} <= set(ENDINGS), folder


def test_the_history_folders_are_the_supported_releases_so_a_release_and_its_histories_go_together():
    assert sorted(p.name for p in HISTORIES.iterdir()) == sorted(SUPPORTED)
    assert not list(HISTORIES.glob("*.json")), "every history belongs to a release's folder"
    assert set(RELEASES) <= set(SUPPORTED) and CURRENT == SUPPORTED[-1]


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
        await replayer(IncidentWorkflowThatWaitsFirst).replay_workflow(saved("happy_path"))


async def test_replay_fails_on_a_history_whose_commands_the_code_does_not_make():
    raw = json.loads((HISTORIES / CURRENT / "happy_path.json").read_text())
    scheduled = next(e for e in raw["events"] if "activityTaskScheduledEventAttributes" in e)
    scheduled["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "register_incident_v0"
    with pytest.raises(NondeterminismError, match="'register_incident_v0' does not match"):
        await replayer().replay_workflow(WorkflowHistory.from_json(workflow_id("happy_path"), raw))


def test_every_patch_the_workflow_asks_for_belongs_to_a_release():
    """A new incident takes a release's changes from one marker (workflows/releases.py): a change asked
    for by name but missing from RELEASES would record its own marker, or worse, be added later to a
    released entry and hand running incidents a change their histories do not have."""
    import re

    workflow_files = sorted((Path(__file__).parents[2] / "workflows").rglob("*.py"))
    sources = "".join(p.read_text() for p in workflow_files)
    asked = set(re.findall(r'self\.patches\("([a-z0-9.-]+)"\)', sources))
    released = set().union(*RELEASES.values())
    assert asked <= released, sorted(asked - released)
    assert released <= asked, f"listed but never asked: {sorted(released - asked)}"
    elsewhere = [p.name for p in workflow_files if p.name != "releases.py" and "workflow.patched(" in p.read_text()]
    assert not elsewhere, f"ask through Patches (self.patches), so the change belongs to a release: {elsewhere}"
