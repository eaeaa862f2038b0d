"""What a sender said beyond the summary, kept on the alert event from the request body as the receiver
parses it (starter/intake/alert_context.py), and bounded: MAX_DETAILS details of MAX_TEXT characters,
MAX_LINKS links and images, URLs of MAX_URL, nested custom details flattened to "a.b" keys."""

import json
from datetime import UTC, datetime
from pathlib import Path

from domain.incident import AlertContext, Link
from receiver.config import ReceiverConfig
from starter.intake.alert_context import MAX_DEPTH, MAX_DETAILS, MAX_LINKS, MAX_TEXT, MAX_URL
from starter.intake.alertmanager import delivery_from_webhook
from starter.intake.events_api import delivery_from_event
from starter.intake.payloads import AlertmanagerWebhook, PagerDutyEvent, parse_body

SAMPLES = Path(__file__).resolve().parents[1] / "e2e" / "samples"  # recorded from a real Alertmanager 0.25
NOW = datetime(2026, 11, 29, 23, 47, 30, tzinfo=UTC)


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def event_context(body: dict) -> AlertContext | None:
    event, _ = parse_body(PagerDutyEvent, json.dumps(body).encode())
    [alert] = delivery_from_event(event, "dedup-1", "checkout", NOW).events
    return alert.context


def webhook_contexts(body: dict) -> list[AlertContext | None]:
    webhook, _ = parse_body(AlertmanagerWebhook, json.dumps(body).encode())
    config = ReceiverConfig(ingest_token="t", task_queue="q")
    return [alert.context for alert in delivery_from_webhook(webhook, "checkout", config, NOW).events]


def trigger(**changes: object) -> dict:
    """Alertmanager's recorded PagerDuty trigger, with what other senders add."""
    body = sample("alertmanager-pagerduty-v2-trigger.json")
    body["payload"]["group"] = "eu-west-1 prod"
    body["payload"]["custom_details"] = {
        "description": "queue q-1 has  grown\nfor 10 minutes", "runbook_url": "https://runbooks.example/queue",
        "num_firing": "1", "db": {"host": "pg-1", "pool": {"size": 20}}, "regions": ["eu-1", "eu-2"]}  # fmt: skip
    body["links"] = [{"href": "https://grafana.example/d/q", "text": "queue dashboard"}]
    body["images"] = [{"src": "https://grafana.example/render/q.png", "href": "https://grafana.example/d/q",
                       "alt": "backlog graph"}]  # fmt: skip
    return {**body, **changes}


def test_a_pagerduty_trigger_keeps_its_description_runbook_links_images_client_and_flattened_details() -> None:
    assert event_context(trigger()) == AlertContext(
        description="queue q-1 has grown for 10 minutes",  # one line: it lands in timeline details
        runbook_url="https://runbooks.example/queue", group="eu-west-1 prod",
        client="Alertmanager", client_url="http://vm:19093/#/alerts?receiver=pd",
        links=[Link(href="https://grafana.example/d/q", text="queue dashboard")],
        images=[Link(href="https://grafana.example/render/q.png", text="backlog graph")],
        details={"num_firing": "1", "db.host": "pg-1", "db.pool.size": "20", "regions": '["eu-1", "eu-2"]'},
    )  # fmt: skip


def test_custom_details_that_are_not_an_object_are_kept_as_one_detail() -> None:
    body = trigger()
    body["payload"]["custom_details"] = "disk full on /var"
    assert event_context(body).details == {"details": "disk full on /var"}


def test_an_event_without_a_payload_carries_no_context() -> None:
    # an acknowledge names its alert only; (Alertmanager's resolve repeats the payload, and the incident
    # keeps the context of firing alerts alone: domain.alerts)
    acknowledge = {"routing_key": "abcdef0123456789abcdef0123456789", "event_action": "acknowledge",
                   "dedup_key": "a6a3d91f"}  # fmt: skip
    assert event_context(acknowledge) is None


def test_a_pagerduty_trigger_is_bounded_however_much_it_sends() -> None:
    body = trigger(links=[{"href": f"https://l.example/{i}", "text": "t" * 300} for i in range(MAX_LINKS + 5)],
                   images=[{"src": f"https://i.example/{i}.png"} for i in range(MAX_LINKS + 5)],
                   client_url="https://tool.example/" + "u" * 2000)  # fmt: skip
    many = {f"k{i:02d}": "v" * (MAX_TEXT + 100) for i in range(MAX_DETAILS + 10)}
    deep: dict = {"leaf": 1}
    for level in "edcba":
        deep = {level: deep}  # a.b.c.d.e.leaf: deeper than MAX_DEPTH
    body["payload"]["custom_details"] = {"deep": deep, "k" * 150: "long key", **many}
    context = event_context(body)
    assert MAX_DEPTH == 4, "the expected key below is four levels down"
    assert context.details["deep.a.b.c"] == json.dumps({"d": {"e": {"leaf": 1}}})  # kept as JSON at that level
    assert context.details["k" * 100] == "long key"  # keys are cut to 100 characters
    assert len(context.details) == MAX_DETAILS  # the first ones, in the order sent
    assert list(context.details)[2:] == [f"k{i:02d}" for i in range(MAX_DETAILS - 2)]
    assert {len(v) for k, v in context.details.items() if k.startswith("k0")} == {MAX_TEXT}
    assert [link.href for link in context.links] == [f"https://l.example/{i}" for i in range(MAX_LINKS)]
    assert len(context.links[0].text) == 200 and context.links[0].text.endswith("…")
    assert len(context.images) == MAX_LINKS
    assert len(context.client_url) == MAX_URL


def test_an_alertmanager_webhook_keeps_each_firing_alerts_annotations() -> None:
    body = sample("alertmanager-v4-firing.json")
    first = body["alerts"][0]
    first["generatorURL"] = "http://prometheus:9090/graph?g0.expr=rate"
    first["annotations"]["description"] = "web-1 answers 5xx\nto 7% of requests"
    first["annotations"]["dashboard"] = "https://grafana.example/d/5xx"
    one, two = webhook_contexts(body)
    assert one == AlertContext(
        description="web-1 answers 5xx to 7% of requests", runbook_url="https://runbooks.example/checkout-5xx",
        client="Alertmanager", client_url="http://vm:19093",
        links=[Link(href="http://prometheus:9090/graph?g0.expr=rate", text="source"),
               Link(href="http://vm:19093", text="Alertmanager")],
        details={"dashboard": "https://grafana.example/d/5xx"},  # summary, description and runbook are not details
    )  # fmt: skip
    # the second alert has no runbook or generator URL of its own: only the group's annotations are shared
    assert (two.runbook_url, two.links, two.details) == ("", [Link(href="http://vm:19093", text="Alertmanager")], {})


def test_a_resolved_alert_carries_no_context() -> None:
    assert webhook_contexts(sample("alertmanager-v4-resolved.json")) == [None, None]


def test_alertmanager_annotations_are_bounded() -> None:
    body = sample("alertmanager-v4-firing.json")
    notes = body["alerts"][0]["annotations"]
    notes.update({f"note{i:02d}": "n" * (MAX_TEXT + 50) for i in range(MAX_DETAILS + 5)})
    notes["description"] = "d" * (MAX_TEXT * 3)
    body["alerts"][0]["generatorURL"] = "http://prometheus:9090/" + "g" * 2000
    context = webhook_contexts(body)[0]
    assert list(context.details) == [f"note{i:02d}" for i in range(MAX_DETAILS)]
    assert {len(v) for v in context.details.values()} == {MAX_TEXT}
    assert context.description == "d" * (MAX_TEXT * 2 - 1) + "…"
    assert len(context.links[0].href) == MAX_URL


def test_a_pagerduty_description_and_runbook_survive_many_other_custom_details() -> None:
    body = trigger()
    body["payload"]["custom_details"] = {
        **{f"k{i:02d}": "v" for i in range(MAX_DETAILS)},
        "description": "the database is down", "runbook_url": "https://runbooks.example/db"}  # fmt: skip
    context = event_context(body)
    assert (context.description, context.runbook_url) == ("the database is down", "https://runbooks.example/db")
