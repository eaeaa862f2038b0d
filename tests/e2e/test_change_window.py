"""A service's own `change_window` (catalog agreement; the default is 24 h) decides which change events
show on its next incident: one inside the service's window is on the incident (history, `incidentctl
show`, the Web UI's current details), one outside it is not, though both are stored and listed by
`incidentctl changes`. One service's window is shorter than the default, one longer, so the default
cannot pass for either."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from starter.intake.events_api import event_route
from stores.catalog_file import load_catalog, read_catalog_file
from tests.conftest import CATALOG
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, receiver  # noqa: F401
from tests.workflows.incident_driver import current_details

# name, integration key, its change_window, a change inside it, one outside it (both within 24 h of
# each other's side of the default: the 2 h service's outside change is inside 24 h, the 36 h
# service's inside change is outside 24 h)
WINDOWS = {
    "cw-short": ("c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c1", timedelta(hours=2), timedelta(hours=1), timedelta(hours=3)),
    "cw-long": ("c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c2", timedelta(hours=36), timedelta(hours=30), timedelta(hours=40)),
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def windowed(receiver: Receiver) -> AsyncIterator[Receiver]:  # noqa: F811
    """catalog.toml plus copies of checkout with their own change windows; their change events removed and
    the copies withdrawn after."""
    catalog = read_catalog_file(CATALOG)
    for name, (key, window, _, _) in WINDOWS.items():
        service = catalog.services["checkout"].model_copy(deep=True)
        service.name, service.integration_key, service.change_window = name, key, window
        catalog.services[name] = service
    await load_catalog(receiver.pool, catalog)
    yield receiver
    await receiver.pool.execute("DELETE FROM change_events WHERE service = ANY($1::text[])", list(WINDOWS))
    await load_catalog(receiver.pool, read_catalog_file(CATALOG))  # withdrawn again: others list the services


async def change(receiver: Receiver, key: str, summary: str, at: datetime, tag: str) -> None:
    event = {"routing_key": key,
             "payload": {"summary": summary, "source": "argo-cd", "timestamp": at.isoformat(),
                         "custom_details": {"tag": tag}},
             "links": [{"href": f"https://argo.example/app/{summary.replace(' ', '-')}", "text": "sync"}]}  # fmt: skip
    assert await receiver.post("/v2/change/enqueue", event) == (
        202, {"status": "success", "message": "Change event processed"})  # fmt: skip


def settled(view: dict[str, Any]) -> bool:
    return view["priority"] is not None


@pytest.mark.parametrize("service", sorted(WINDOWS))
async def test_a_change_inside_the_service_s_window_shows_on_the_next_incident_and_one_outside_does_not(
    service: str, windowed: Receiver, cli: Cli
) -> None:
    receiver, tag = windowed, uuid.uuid4().hex[:8]
    key, window, inside_by, outside_by = WINDOWS[service]
    assert window != timedelta(hours=24)
    now = datetime.now(UTC)
    inside, outside = f"deploy {service} inside {tag}", f"deploy {service} outside {tag}"
    await change(receiver, key, inside, now - inside_by, tag)
    await change(receiver, key, outside, now - outside_by, tag)
    stored = await receiver.pool.fetch("SELECT summary FROM change_events WHERE custom_details->>'tag' = $1", tag)
    assert sorted(r["summary"] for r in stored) == sorted([inside, outside])  # both stored: the window decides
    listed = await cli.ok_json("changes", "--service", service, "--since", "2d")
    assert {inside, outside} <= {c["summary"] for c in listed}

    dedup_key = f"cw-{tag}"
    event = {"routing_key": key, "event_action": "trigger", "dedup_key": dedup_key,
             "payload": {"summary": f"5xx above 5% on {service} {tag}", "source": "probe", "severity": "error"}}  # fmt: skip
    status, answer = await receiver.post("/v2/enqueue", event)
    assert status == 202, answer
    view = await receiver.view_when(event_route(key, dedup_key), settled)
    number = view["number"]
    assert [c["summary"] for c in view["recent_changes"] if tag in c["summary"]] == [inside]
    [shown] = view["recent_changes"]
    assert (shown["source"], shown["link"]) == ("argo-cd", f"https://argo.example/app/{inside.replace(' ', '-')}")

    history = (await cli.ok_json("show", number, "--history"))["history"]
    [noted] = [e for e in history if e["action"] == "recent_changes"]
    hours = int(window.total_seconds() // 3600)
    span = f"{hours // 24}d{hours % 24}h" if hours >= 24 else f"{hours}h00m"
    assert noted["detail"].startswith(f"1 change to the service in the {span} before it was logged: "), noted
    assert inside in noted["detail"] and outside not in noted["detail"]

    text = await cli("show", number)
    assert text.code == 0, text.err
    changed = [line for line in text.out.splitlines() if line.startswith("  changed     ")]
    assert len(changed) == 1 and inside in changed[0] and outside not in text.out, text.out

    details = await current_details(receiver.client.get_workflow_handle(number))  # the Web UI's page
    assert f"before: {inside} (argo-cd)" in details and outside not in details, details
