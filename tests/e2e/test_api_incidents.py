"""The incident routes of the engineers' API, over real HTTP (aiohttp) against `python -m api` on the
session's stack: every way a request can go wrong answers the one problem shape, lists page without
repeats or gaps, and who acts is the token's holder, in the timeline and in the audit trail."""

import json
from typing import Any

import aiohttp
import asyncpg
import pytest

PROBLEM = "application/problem+json"


async def call(
    api_url: str, method: str, path: str, token: str | None, body: Any = None, raw: bytes | None = None
) -> tuple[int, str, Any]:
    """(status, content type, JSON body) of one request."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if raw is not None:
        headers["Content-Type"] = "application/json"
    async with aiohttp.ClientSession() as http:
        async with http.request(method, api_url + path, json=body, data=raw, headers=headers) as answer:
            return answer.status, answer.content_type, json.loads(await answer.read() or b"null")


def problem_of(status: int, kind: str, body: Any) -> tuple[int, str]:
    """A problem document's status and detail, once its shape is checked."""
    assert kind == PROBLEM, (status, kind, body)
    assert set(body) - {"right"} == {"type", "title", "status", "detail"}, body
    assert body["type"] == "about:blank" and body["status"] == status and body["title"], body
    assert isinstance(body["detail"], str) and "\n" not in body["detail"] and "Traceback" not in body["detail"]
    return status, body["detail"]


async def test_every_way_a_request_goes_wrong_answers_one_problem_shape_with_a_line_a_person_reads(
    api_url: str, api_token: str
) -> None:
    opened = await call(api_url, "POST", "/v1/incidents", api_token, {"service": "checkout", "summary": "slow cart"})
    assert opened[0] == 201, opened
    number = opened[2]["number"]
    cases: list[tuple[tuple[str, str, str | None, Any], int, str]] = [
        (("GET", "/v1/incidents", None, None), 401, "not logged in"),
        (("GET", "/v1/incidents", "inc_not-a-token", None), 401, "the token is not valid"),
        (("GET", "/v1/nothing-here", api_token, None), 404, "no such resource: GET /v1/nothing-here"),
        (("DELETE", "/v1/incidents", api_token, None), 405, "/v1/incidents does not take DELETE"),
        (("GET", "/v1/incidents/INC-999999", api_token, None), 404, "no incident INC-999999"),
        (("GET", "/v1/incidents/999999", api_token, None), 404, "no incident 999999 (did you mean INC-999999?)"),
        (("GET", "/v1/incidents?limit=0", api_token, None), 400, "query.limit: "),
        (("GET", "/v1/incidents?cursor=bogus", api_token, None), 400, "query.cursor: not a cursor this API gave"),
        (("GET", "/v1/incidents?state=opne", api_token, None), 422, "'opne' is not a state"),
        (("GET", "/v1/incidents/report?since=lately", api_token, None), 400, "--since: "),
        (("POST", "/v1/incidents", api_token, {"service": "checkout", "summary": "x", "impact": 7}), 400,
         "body.impact: "),
        (("POST", "/v1/incidents", api_token, {"service": "coffee-machine", "summary": "no coffee"}), 422,
         "'coffee-machine' is not a service of the agreed catalog"),
        (("POST", f"/v1/incidents/{number}/actions/confirm", api_token, {}), 409,
         f"{number} is prioritized: confirm needs resolved"),
        (("POST", f"/v1/incidents/{number}/actions/ack", api_token, {"actor": "mallory"}), 400, "body.actor: "),
        (("POST", f"/v1/incidents/{number}/actions/assign", api_token, {"group": "platfrom-sre"}), 422,
         "--group: 'platfrom-sre' is not a group the catalog or oncall.toml knows"),
        (("POST", f"/v1/incidents/{number}/actions/resolve", api_token, {"resolution": "x", "problem": "PRB12"}),
         400, "body.problem: "),
    ]  # fmt: skip
    for (method, path, token, body), status, said in cases:
        answered = await call(api_url, method, path, token, body)
        got_status, detail = problem_of(status, answered[1], answered[2])
        assert got_status == answered[0] == status and detail.startswith(said), (method, path, answered)
    broken = await call(api_url, "POST", "/v1/incidents", api_token, raw=b'{"service": ')
    assert problem_of(400, broken[1], broken[2])[1].startswith("body"), broken
    # none of it reached the incident: only what the workflow did itself is in its timeline
    shown = await call(api_url, "GET", f"/v1/incidents/{number}?history=true", api_token)
    assert shown[2]["state"] == "prioritized" and "tester" not in [e["actor"] for e in shown[2]["history"][1:]]


async def test_pages_of_the_list_follow_their_cursors_to_every_incident_once(api_url: str, api_token: str) -> None:
    for summary in ("mail queue stuck", "mail relay slow", "bounces from one domain"):
        assert (await call(api_url, "POST", "/v1/incidents", api_token, {"service": "email", "summary": summary}))[0]
    whole = (await call(api_url, "GET", "/v1/incidents?all=true&limit=1000", api_token))[2]
    assert whole["next_cursor"] is None and whole["total"] == len(whole["items"]) >= 3
    paged, cursor = [], ""
    while True:
        page = (await call(api_url, "GET", f"/v1/incidents?all=true&limit=2{cursor}", api_token))[2]
        assert len(page["items"]) <= 2 and page["total"] == whole["total"]
        paged += [item["number"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert paged == [item["number"] for item in whole["items"]]


async def test_who_acts_is_the_tokens_holder_in_the_timeline_and_the_audit_trail_and_as_names_both(
    api_url: str, api_token: str, pool: asyncpg.Pool
) -> None:
    opened = await call(api_url, "POST", "/v1/incidents", api_token, {"service": "payroll", "summary": "no payslips"})
    number = opened[2]["number"]
    acked = await call(api_url, "POST", f"/v1/incidents/{number}/actions/ack", api_token, {})
    noted = await call(api_url, "POST", f"/v1/incidents/{number}/actions/note", api_token,
                       {"text": "vendor called", "as": "bob"})  # fmt: skip
    assert (acked[0], acked[2]["assignee"], noted[0]) == (200, "tester", 200), (acked, noted)
    history = (await call(api_url, "GET", f"/v1/incidents/{number}?history=true", api_token))[2]["history"]
    # the engineers' entries (paging, by the system, may come between them)
    assert [(e["actor"], e["action"], e["detail"]) for e in history if e["action"] in ("ack", "note")] == [
        ("tester", "ack", "acknowledged by tester; diagnosis under way"),
        ("bob", "note", "vendor called (by tester for bob)"),
    ]
    audited = await pool.fetch(
        "SELECT actor, by, action, before, after FROM audit_log WHERE target = $1 ORDER BY seq", number
    )
    assert [(r["actor"], r["by"], r["action"]) for r in audited] == [
        ("tester", None, "incident.open"),
        ("tester", None, "incident.ack"),
        ("bob", "tester", "incident.note"),
    ]
    assert json.loads(audited[1]["before"])["state"] == "prioritized"
    assert json.loads(audited[1]["after"]) == {"state": "in_progress", "priority": "P3",
                                               "group": "hr-systems", "assignee": "tester"}  # fmt: skip


@pytest.mark.parametrize("path", ["/v1/openapi.json"])
async def test_the_openapi_document_gives_each_action_its_own_body_and_every_error_the_problem_shape(
    api_url: str, path: str
) -> None:
    status, _, document = await call(api_url, "GET", path, None)
    assert status == 200 and document["openapi"].startswith("3.")
    from starter.incidentctl.commands import ENGINEER_COMMANDS

    for command in ENGINEER_COMMANDS:
        operation = document["paths"][f"/v1/incidents/{{incident}}/actions/{command.name}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        fields = set(document["components"]["schemas"][body]["properties"])
        assert {"as", "request_id"} <= fields and not fields & {"actor", "by", "known_as"}, (command.name, fields)
        assert {o.field for o in command.options} <= fields, command.name
        assert operation["responses"]["409"]["content"][PROBLEM]["schema"]["$ref"].endswith("/ProblemDetails")
