"""A page carries the alert's own runbook (Alertmanager's `runbook_url` annotation, a PagerDuty event's
link named Runbook), and the category's only when the alert names none: read from the email the SMTP
server on loopback received."""

import uuid

from starter.intake.events_api import event_route
from tests.e2e.receiver_support import CHECKOUT_KEY, Receiver, fresh_group
from tests.e2e.test_paging_by_email import Inbox, an_email, paging_stack, smtp  # noqa: F401

CATEGORY_RUNBOOK = "https://runbooks.example/checkout-5xx"  # catalog.toml: checkout's availability category


async def runbook_paged(receiver: Receiver, inbox: Inbox, route: str) -> str:
    view = await receiver.view_when(route, lambda v: v["priority"] is not None)
    text = (await an_email(inbox, view["number"])).get_payload(decode=True).decode()
    return next(line.removeprefix("Runbook: ") for line in text.splitlines() if line.startswith("Runbook: "))


async def test_an_alertmanager_alert_pages_with_its_own_runbook_url(
    paging_stack: tuple,  # noqa: F811
    smtp: tuple[Inbox, int],  # noqa: F811
):
    receiver, _ = paging_stack
    body = fresh_group(severity="critical")
    for alert in body["alerts"]:
        alert["annotations"]["runbook_url"] = "https://runbooks.example/checkout-5xx-web-tier"
    route = (await (await receiver.alertmanager(body)).json())["route"]
    assert await runbook_paged(receiver, smtp[0], route) == "https://runbooks.example/checkout-5xx-web-tier"


async def test_a_pagerduty_event_pages_with_the_runbook_among_its_links(
    paging_stack: tuple,  # noqa: F811
    smtp: tuple[Inbox, int],  # noqa: F811
):
    receiver, _ = paging_stack
    dedup_key = f"runbook-{uuid.uuid4().hex}"
    event = {"routing_key": CHECKOUT_KEY, "event_action": "trigger", "dedup_key": dedup_key,
             "payload": {"summary": "5xx above 5% on checkout-api", "source": "checkout-api-7", "severity": "critical"},
             "links": [{"href": "https://grafana.example/d/5xx", "text": "5xx board"},
                       {"href": "https://runbooks.example/checkout-api-5xx", "text": "Runbook"}]}  # fmt: skip
    assert (await receiver.enqueue(event)).status == 202
    route = event_route(CHECKOUT_KEY, dedup_key)
    assert await runbook_paged(receiver, smtp[0], route) == "https://runbooks.example/checkout-api-5xx"


async def test_an_alert_without_a_runbook_pages_with_its_categorys(
    paging_stack: tuple,  # noqa: F811
    smtp: tuple[Inbox, int],  # noqa: F811
):
    receiver, _ = paging_stack
    body = fresh_group(severity="critical")
    for alert in body["alerts"]:
        alert["annotations"].pop("runbook_url", None)
    body["commonAnnotations"].pop("runbook_url", None)
    route = (await (await receiver.alertmanager(body)).json())["route"]
    assert await runbook_paged(receiver, smtp[0], route) == CATEGORY_RUNBOOK
