"""The README's walk-through, typed as it is printed there, against the real stack: each command
answers as the README shows it, and the incident's history has as many events as the README says."""

import re
import shlex
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tests.e2e.cli import Cli

README = Path(__file__).resolve().parents[2] / "README.md"
NUMBER_IN_README = "INC-1001"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT")
WORKFLOW_TASK_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


def walkthrough() -> list[tuple[list[str], str]]:
    """The walk-through's incidentctl commands with the first line the README shows each answering."""
    text = README.read_text()
    block = text.split("## An engineer's walk-through", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    lines = block.strip().splitlines()
    steps: list[tuple[list[str], str]] = []
    for index, line in enumerate(lines):
        if line.startswith("$ incidentctl "):
            answer = lines[index + 1] if index + 1 < len(lines) else ""
            steps.append((shlex.split(line[2:], comments=True)[1:], answer))
    return steps


def stated_event_range() -> tuple[int, int, int]:
    """(the fewest and most workflow tasks, the events the same in every run) as the auditors' section says:
    'N to M events in R runs, K of them the same in every run ...; the rest are workflow tasks, A to B'."""
    text = README.read_text()
    said = re.search(r"walk-through above: \d+(?: to \d+)? events in (?:each of )?\d+ runs, (\d+) of them", text)
    tasks = re.search(r"the rest are workflow tasks, (\d+)\s+to (\d+)", text)
    assert said and tasks, "the README no longer states the walk-through's history length"
    return int(tasks.group(1)), int(tasks.group(2)), int(said.group(1))


async def test_the_readme_walkthrough_answers_as_printed_and_its_history_has_the_stated_length(
    cli: Cli, dev_client: Client
):
    steps = walkthrough()
    assert [args[0] for args, _ in steps][:3] == ["open", "ack", "diagnose"], steps
    number = ""
    for args, printed in steps:
        if number:
            args = [number if arg == NUMBER_IN_README else arg for arg in args]
        result = await cli("--as", "alice", *args)
        answer = (result.out + result.err).splitlines()[0] if (result.out + result.err) else ""
        if args[0] == "open":
            number = answer.split()[0]
        expected = printed.replace(NUMBER_IN_README, number).split()
        refused = "needs" in printed
        assert result.code == (1 if refused else 0), f"incidentctl {shlex.join(args)}: {result.err}"
        # the words before the time left (number, state, priority, service, group); times are the run's own
        words = [word for word in answer.split()[:5] if not TIMESTAMP.match(word)]
        assert words == [word for word in expected[:5] if not TIMESTAMP.match(word)], (
            f"incidentctl {shlex.join(args)} answered {answer!r}"
        )

    handle = dev_client.get_workflow_handle(number)
    await handle.result()  # closed by the walk-through's confirm
    events = [event async for event in handle.fetch_history_events()]
    fewest, most, fixed = stated_event_range()
    task_events = sum(1 for event in events if event.event_type in WORKFLOW_TASK_EVENTS)
    assert len(events) - task_events == fixed, [EventType.Name(event.event_type) for event in events]
    # a workflow task is three events: scheduled, started, completed
    assert fewest <= task_events / 3 <= most, f"{task_events / 3} workflow tasks, the README says {fewest} to {most}"
