"""What a sender says beyond the summary reaches the responder: a PagerDuty Events v2 trigger's
custom_details (its own runbook, not the catalog's), links, images, client and client_url, and an
Alertmanager group's annotations, generatorURL and externalURL, are kept on the incident, printed by
`incidentctl show` (text and `-o json`), and shown in the Web UI's current details of its workflow."""

import asyncio
import time
import uuid
from typing import Any

from temporalio.client import WorkflowHandle

from starter.intake.events_api import event_route
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import CHECKOUT_KEY, Receiver, fresh_group, receiver  # noqa: F401
from tests.workflows.incident_driver import current_details

CATALOG_RUNBOOK = "https://runbooks.example/checkout-5xx"  # catalog.toml: checkout's availability category


def has_context(view: dict[str, Any]) -> bool:
    return view["priority"] is not None and view["alert_context"] is not None


async def details_when(handle: WorkflowHandle, wanted: list[str], timeout: float = 10.0) -> str:
    """The current details (what the Web UI shows under User Metadata), once they say all of `wanted`."""
    deadline, details = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        details = await current_details(handle)
        if all(w in details for w in wanted):
            return details
        await asyncio.sleep(0.1)
    raise AssertionError(f"current details never showed {[w for w in wanted if w not in details]}:\n{details}")


async def test_a_pagerduty_trigger_s_details_links_and_client_reach_show_and_the_web_ui(
    receiver: Receiver,  # noqa: F811
    cli: Cli,
) -> None:
    tag = uuid.uuid4().hex[:8]
    runbook = f"https://wiki.example/runbooks/checkout-5xx-{tag}"  # the sender's, not the catalog's
    long_note = "x" * 600
    event = {
        "routing_key": CHECKOUT_KEY, "event_action": "trigger", "dedup_key": f"ctx-{tag}",
        "payload": {"summary": f"5xx above 5% on checkout {tag}", "source": "web-3", "severity": "error",
                    "group": "eu-west-cluster",
                    "custom_details": {"runbook_url": runbook, "description": f"Error budget burning {tag}",
                                       "db": {"host": "db-7", "pool": {"max": 20}}, "regions": ["eu-1", "eu-2"],
                                       "note": long_note}},
        "client": "Grafana", "client_url": f"https://grafana.example/alerting/{tag}",
        "links": [{"href": f"https://grafana.example/d/checkout-{tag}", "text": "dashboard"},
                  {"href": f"https://logs.example/q/{tag}"}],
        "images": [{"src": f"https://grafana.example/render/{tag}.png", "alt": "error rate"}],
    }  # fmt: skip
    status, answer = await receiver.post("/v2/enqueue", event)
    assert (status, answer["dedup_key"]) == (202, f"ctx-{tag}"), answer
    view = await receiver.view_when(event_route(CHECKOUT_KEY, f"ctx-{tag}"), has_context)
    number = view["number"]

    expected = {
        "description": f"Error budget burning {tag}", "runbook_url": runbook, "group": "eu-west-cluster",
        "client": "Grafana", "client_url": f"https://grafana.example/alerting/{tag}",
        "links": [{"href": f"https://grafana.example/d/checkout-{tag}", "text": "dashboard"},
                  {"href": f"https://logs.example/q/{tag}", "text": ""}],
        "images": [{"href": f"https://grafana.example/render/{tag}.png", "text": "error rate"}],
        "details": {"db.host": "db-7", "db.pool.max": "20", "regions": '["eu-1", "eu-2"]', "note": "x" * 500},
    }  # fmt: skip
    assert view["alert_context"] == expected
    assert view["runbook"] == CATALOG_RUNBOOK  # the catalog's own runbook is kept beside the sender's

    shown = await cli.ok_json("show", number)
    assert shown["alert_context"] == expected and shown["runbook"] == CATALOG_RUNBOOK
    text = await cli("show", number)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    for line in (f"  runbook     {CATALOG_RUNBOOK}", f"  alert runbook {runbook}",
                 f"  description Error budget burning {tag}", "  alert group eu-west-cluster",
                 f"  Grafana     https://grafana.example/alerting/{tag}",
                 f"  link        dashboard: https://grafana.example/d/checkout-{tag}",
                 f"  link        -: https://logs.example/q/{tag}",
                 f"  image       error rate: https://grafana.example/render/{tag}.png",
                 "  detail      db.host = db-7", "  detail      db.pool.max = 20",
                 '  detail      regions = ["eu-1", "eu-2"]', f"  detail      note = {'x' * 500}"):  # fmt: skip
        assert line in lines, f"{line!r} not in:\n{text.out}"

    handle = receiver.client.get_workflow_handle(number)
    description = await handle.describe()
    assert await description.static_summary() == f"{number} checkout: 5xx above 5% on checkout {tag}"
    details = await details_when(handle, [f"runbook {runbook}", f"Error budget burning {tag}"])
    assert (f"links [dashboard](https://grafana.example/d/checkout-{tag}) [link](https://logs.example/q/{tag})"
            f" [Grafana](https://grafana.example/alerting/{tag})") in details, details  # fmt: skip
    assert CATALOG_RUNBOOK not in details  # the Web UI shows the alert's runbook, the one the sender chose


async def test_an_alertmanager_group_s_annotations_reach_show_and_the_web_ui(
    receiver: Receiver,  # noqa: F811
    cli: Cli,
) -> None:
    tag = uuid.uuid4().hex[:8]
    body = fresh_group()  # checkout, two alerts of one rule
    notes = {"summary": f"5xx above 5% on checkout {tag}", "description": f"web tier answers 5xx {tag}",
             "runbook_url": f"https://wiki.example/am/{tag}", "dashboard": f"https://grafana.example/d/am-{tag}",
             "owner": "checkout team"}  # fmt: skip
    generator = f"http://prometheus.example:9090/graph?g0.expr=rate%28http_5xx%29&tag={tag}"
    body["commonAnnotations"] = notes
    body["externalURL"] = f"http://alertmanager.example:9093/{tag}"
    for alert in body["alerts"]:
        alert["annotations"], alert["generatorURL"] = dict(notes), generator
    response = await receiver.alertmanager(body)
    answer = await response.json()
    assert response.status == 202, answer
    view = await receiver.view_when(answer["route"], has_context)
    number = view["number"]

    expected = {
        "description": f"web tier answers 5xx {tag}", "runbook_url": f"https://wiki.example/am/{tag}", "group": "",
        "client": "Alertmanager", "client_url": f"http://alertmanager.example:9093/{tag}",
        "links": [{"href": generator, "text": "source"},
                  {"href": f"http://alertmanager.example:9093/{tag}", "text": "Alertmanager"}],
        "images": [], "details": {"dashboard": f"https://grafana.example/d/am-{tag}", "owner": "checkout team"},
    }  # fmt: skip
    assert view["alert_context"] == expected
    assert (await cli.ok_json("show", number))["alert_context"] == expected
    text = await cli("show", number)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    for line in (f"  alert runbook https://wiki.example/am/{tag}", f"  description web tier answers 5xx {tag}",
                 f"  Alertmanager http://alertmanager.example:9093/{tag}", f"  link        source: {generator}",
                 f"  link        Alertmanager: http://alertmanager.example:9093/{tag}",
                 f"  detail      dashboard = https://grafana.example/d/am-{tag}",
                 "  detail      owner = checkout team"):  # fmt: skip
        assert line in lines, f"{line!r} not in:\n{text.out}"

    handle = receiver.client.get_workflow_handle(number)
    details = await details_when(handle, [f"runbook https://wiki.example/am/{tag}", f"web tier answers 5xx {tag}"])
    assert f"[source]({generator})" in details and f"[Alertmanager](http://alertmanager.example:9093/{tag})" in details
