"""Liveness, readiness, metrics and the published API document."""

import re

from aiohttp import web

from tests.e2e.receiver_support import Receiver, fresh_group, receiver  # noqa: F401


async def get(receiver: Receiver, path: str) -> tuple[int, str, str]:
    async with receiver.http.get(f"{receiver.url}{path}") as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_healthz_and_readyz_answer_200_when_temporal_and_postgres_answer(receiver: Receiver) -> None:
    assert (await get(receiver, "/healthz"))[0] == 200
    async with receiver.http.get(f"{receiver.url}/readyz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ready", "checks": {"temporal": "ok", "postgres": "ok"},
                                         "failed": []}  # fmt: skip


async def test_metrics_count_accepted_deliveries_and_alerts_and_time_the_answers(receiver: Receiver) -> None:
    assert (await receiver.alertmanager(fresh_group())).status == 202
    await receiver.forwarded()  # the Temporal call is the forwarder's, after the answer
    status, content_type, text = await get(receiver, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert re.search(r'^incident_events_accepted_total\{endpoint="alertmanager"\} [1-9]', text, re.M)
    assert re.search(r'^incident_alerts_accepted_total\{endpoint="alertmanager"\} [2-9]', text, re.M)
    assert re.search(r'^incident_temporal_calls_total\{call="signal_with_start",outcome="ok"\} [1-9]', text, re.M)
    assert re.search(r"^incident_inbox_forwarded_total [1-9]", text, re.M)
    assert "# TYPE incident_receiver_answer_seconds histogram" in text
    assert re.search(r'^incident_receiver_answer_seconds_bucket\{endpoint="alertmanager",le="\+Inf"\} [1-9]',
                     text, re.M)  # fmt: skip
    for line in text.splitlines():  # every sample line is `name{labels} number`
        assert line.startswith("#") or re.fullmatch(r"[a-z_]+(\{[^}]*\})? [0-9.e+-]+", line), line


async def test_the_openapi_document_describes_every_route_the_receiver_serves(receiver: Receiver) -> None:
    async with receiver.http.get(f"{receiver.url}/openapi.json") as response:
        document = await response.json()
    assert document["openapi"].startswith("3.")
    served = {(r.method.lower(), r.resource.canonical) for r in receiver.app.router.routes()
              if isinstance(r.resource, web.Resource) and r.method != "HEAD"}  # fmt: skip
    described = {(method, path) for path, item in document["paths"].items() for method in item}
    assert served == described
    responses = document["paths"]["/v1/alerts/alertmanager"]["post"]["responses"]
    assert {"202", "400", "401", "413", "422", "503"} <= set(responses)
