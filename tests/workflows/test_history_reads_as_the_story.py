"""What auditors read in the Web UI: a history without repeated timers, and who handled the incident."""

from collections import Counter

from temporalio.api.enums.v1 import EventType

from domain.commands import Ack, Assign, Confirm, Diagnose, Escalate, Note, Resolve, Workaround
from tests.workflows.incident_driver import eventually, open_on, send
from workflows.search_attributes import INCIDENT_RESPONDERS


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
