"""What auditors read in the Web UI: a history without repeated timers, and who handled the incident."""

from collections import Counter
from datetime import datetime, timedelta

from temporalio.api.enums.v1 import EventType

from domain.commands import Ack, Assign, Confirm, Diagnose, Escalate, Note, Resolve, Workaround
from tests.workflows.incident_driver import eventually, open_on, send
from workflows.releases import CURRENT
from workflows.search_attributes import (
    INCIDENT_NUMBER,
    INCIDENT_RELEASE,
    INCIDENT_RESPONDERS,
    INCIDENT_SERVICE,
    RESTORE_DEADLINE,
    SEARCH_ATTRIBUTES,
)


async def timer_summaries(handle) -> list[str]:  # type: ignore[no-untyped-def]
    history = await handle.fetch_history()
    started = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    converter = handle._client.data_converter.payload_converter  # noqa: SLF001 - the summary payload
    return [converter.from_payloads([e.user_metadata.summary])[0] for e in started]


async def test_the_readme_walk_through_starts_each_agreed_timer_once(skipping):
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=1, urgency=1)
    await send(handle, Ack(actor="alice"))
    await send(handle, Diagnose(actor="alice", finding="bad deploy 4.12"))
    await send(handle, Workaround(actor="alice", text="rolled back to 4.11"))
    await send(handle, Resolve(actor="alice", resolution="config fixed", problem="PRB-12"))
    await send(handle, Confirm(actor="alice"))
    await handle.result()
    summaries = await timer_summaries(handle)
    # a note, an ack or a record written leave the deadlines where they were: no timer restarted
    assert summaries and Counter(summaries).most_common(1)[0][1] == 1, Counter(summaries)
    assert all(s.startswith(f"{view['number']} ") for s in summaries)


async def test_everyone_who_handled_an_incident_is_searchable_in_incident_responders(skipping):
    _, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2, caller="carl")
    await send(handle, Ack(actor="alice"))
    await send(handle, Assign(actor="alice", group="platform-sre", person="pat"))
    await send(handle, Escalate(actor="bob", management=True, reason="credits"))
    await send(handle, Note(actor="nina", text="customer called"))

    async def responders() -> list[str]:
        return (await handle.describe()).typed_search_attributes.get(INCIDENT_RESPONDERS) or []

    found = await eventually(responders, lambda r: "nina" in r)
    assert sorted(found) == ["alice", "bob", "carl", "nina", "pat"]  # people only: no system, no integration


def _tasks(history) -> list[list]:  # type: ignore[no-untyped-def]
    """The commands each workflow task made: the events after its completion, up to the next task."""
    tasks: list[list] = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks.append([])
        elif tasks:
            tasks[-1].append(event)
    return tasks


async def test_a_new_incident_records_one_release_marker_and_shows_each_tasks_changes_in_one_upsert(skipping):
    """Registration, categorization and prioritization change the Web UI in one workflow task: one upsert
    says all three (release 1.3), and the release is one marker, not one per release before it."""
    _, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    for step in (Ack(actor="alice"), Diagnose(actor="alice", finding="bad deploy"),
                 Workaround(actor="alice", text="rolled back"), Resolve(actor="alice", resolution="fixed"),
                 Confirm(actor="alice")):  # fmt: skip
        await send(handle, step)
    await handle.result()
    history = await handle.fetch_history()
    markers = [e.marker_recorded_event_attributes for e in history.events
               if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
               and e.marker_recorded_event_attributes.marker_name == "core_patch"]  # fmt: skip
    converter = handle._client.data_converter.payload_converter  # noqa: SLF001 - the marker's payload
    patch_ids = [converter.from_payloads([m.details["patch-data"].payloads[0]])[0]["id"] for m in markers]
    assert patch_ids == [f"release-{CURRENT}"]
    for number, commands in enumerate(_tasks(history), 1):
        shown = [e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields for e in commands
                 if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]  # fmt: skip
        shown = [fields for fields in shown if set(fields) != {"TemporalChangeVersion"}]  # the marker's own
        assert len(shown) <= 1, f"workflow task {number} upserted {len(shown)} times: {[sorted(f) for f in shown]}"
    first = next(task for task in _tasks(history) if any(
        e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES for e in task))  # fmt: skip
    [upsert] = [e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields for e in first
                if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
                and "IncidentState" in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields]  # fmt: skip
    assert {"IncidentCategory", "IncidentPriority", "IncidentState"} <= set(upsert)
    assert converter.from_payloads([upsert["IncidentState"]])[0] == "prioritized"


async def test_the_web_ui_is_sent_only_what_moved_and_a_restored_incidents_deadline_stays_put(skipping):
    """Release 1.4: what the starter set (service, source, number, release) is not upserted again, and
    RestoreDeadline, once restored, is the deadline the restoration met; the execution still shows them all."""
    view, handle = await open_on(skipping, "checkout", "5xx above 5%", impact=2, urgency=2)
    for step in (Ack(actor="alice"), Workaround(actor="alice", text="rolled back")):
        await send(handle, step)
    await skipping.env.sleep(timedelta(minutes=30))  # restored for a while: the kept-aside time grows
    for step in (Note(actor="alice", text="watching"), Resolve(actor="alice", resolution="fixed"),
                 Confirm(actor="alice")):  # fmt: skip
        await send(handle, step)
    await handle.result()
    history = await handle.fetch_history()
    upserts = [e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
               for e in history.events if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]  # fmt: skip
    started = {name for name in SEARCH_ATTRIBUTES if name in history.events[0].workflow_execution_started_event_attributes.search_attributes.indexed_fields}  # fmt: skip
    assert {"IncidentService", "IncidentSource", "IncidentRelease", "IncidentNumber"} <= started
    assert not [
        sorted(set(fields) & started - {"IncidentState"})
        for fields in upserts
        if set(fields) & started - {"IncidentState"}
    ]
    deadlines = [fields["RestoreDeadline"] for fields in upserts if "RestoreDeadline" in fields]
    assert len(deadlines) == 1, f"RestoreDeadline upserted {len(deadlines)} times"
    shown = (await handle.describe()).typed_search_attributes
    assert shown.get(RESTORE_DEADLINE) == datetime.fromisoformat(view["sla"]["restore_due"])
    assert (shown.get(INCIDENT_SERVICE), shown.get(INCIDENT_NUMBER), shown.get(INCIDENT_RELEASE)) == (
        "checkout",
        view["number"],
        CURRENT,
    )
