"""The engineers' API keeps the contract it publishes: its generated OpenAPI document (GET
/v1/openapi.json) gives every operation a response model, its problems, for lists pages, and (all but
the login configuration) the bearer scheme; and schemathesis, run as typed against the running API with
an admin and incident manager's token, finds no 5xx, no answer outside the document (status, content
type, body) and no error that is not a problem.

Schemathesis changes things (tokens, overrides, maintenance, known errors, the catalog), so the API it
fuzzes runs on a database of its own (migrated, with the agreed catalog) and a task queue no worker
polls: nothing it does reaches the session's record or workflows."""

import asyncio
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest_asyncio

from stores.catalog_file import load_catalog_on, read_catalog_file
from tests.api_identities import issue_token
from tests.api_server import running_api
from tests.conftest import CATALOG
from tests.scratch_database import scratch_database

SCHEMATHESIS = Path(sys.executable).parent / "st"
HOOKS = Path(__file__).parent / "problem_shape_hooks.py"  # the problem-shape check
EXAMPLES = 5  # per operation in the fuzzing phase (coverage draws its own boundary cases): seconds in all
# the id sequence of api_tokens starts far from where generated ids land, so no request revokes the
# fuzzing token itself (DELETE /v1/tokens/{token_id} is fuzzed like every other operation)
FIRST_TOKEN_ID = 7_301_947_113
PAGE_FIELDS = {"items", "next_cursor"}
PROBLEM = "application/problem+json"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def fuzzed_api(dev_server: str, pool: asyncpg.Pool, postgres_url: str) -> AsyncIterator[tuple[str, str]]:
    """(URL, admin + incident manager token) of an API on a database and task queue of its own."""
    async with scratch_database(pool, postgres_url, "openapi") as url:
        own = await asyncpg.connect(url)
        try:
            await load_catalog_on(own, read_catalog_file(CATALOG))
            await own.execute("SELECT setval('api_tokens_id_seq', $1)", FIRST_TOKEN_ID)
            token = await issue_token(own, "schemathesis", ["admin", "incident_manager"])
        finally:
            await own.close()
        async with running_api(dev_server, f"openapi-{uuid.uuid4().hex[:8]}", url) as api:
            yield api, token


def _document(api: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(f"{api}/v1/openapi.json", timeout=10) as response:
        return json.load(response)


def _resolve(document: dict, schema: dict) -> dict:  # type: ignore[type-arg]
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


async def test_the_document_gives_every_operation_a_model_its_problems_pages_and_the_bearer_scheme(
    fuzzed_api: tuple[str, str],
) -> None:
    document = await asyncio.to_thread(_document, fuzzed_api[0])
    operations = [
        (f"{method.upper()} {path}", op) for path, ops in document["paths"].items() for method, op in ops.items()
    ]
    assert len(operations) >= 40, "the engineers' operations are missing from the document"
    ids = [op["operationId"] for _, op in operations]
    assert len(ids) == len(set(ids)), f"operation ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}"
    assert "ProblemDetails" in document["components"]["schemas"], "the problem shape is not in the document"
    problem = {"$ref": "#/components/schemas/ProblemDetails"}
    assert set(_resolve(document, problem)["required"]) >= {"title", "status", "detail"}
    schemes = document["components"].get("securitySchemes", {})
    bearers = [n for n, scheme in schemes.items() if scheme["type"] == "http" and scheme["scheme"] == "bearer"]
    assert len(bearers) == 1, f"the document declares no bearer scheme (one of its own): {schemes}"
    for name, op in operations:
        needs_token = name != "GET /v1/auth/config"
        assert op.get("security", []) == ([{bearers[0]: []}] if needs_token else []), f"{name}: {op.get('security')}"
        responses = op["responses"]
        [success] = [code for code in responses if code.startswith("2")]
        schema = responses[success]["content"]["application/json"]["schema"]
        resolved = _resolve(document, schema)
        assert resolved.get("type") != "array", f"{name}: a list that is not in pages"
        assert resolved.get("properties"), f"{name}: {success} has no model"
        errors = {code: answer for code, answer in responses.items() if code[0] in "45"}
        for code in ("401", "403") if needs_token else ():
            assert code in errors, f"{name} needs a token but does not document {code}"
        for code, answer in errors.items():
            assert list(answer["content"]) == [PROBLEM], f"{name}: {code} is not a problem"
            assert answer["content"][PROBLEM]["schema"] == problem, f"{name}: {code}"
        if name.startswith("GET") and PAGE_FIELDS & set(resolved.get("properties", {})):
            assert PAGE_FIELDS <= set(resolved["properties"]), f"{name}: a page has items and next_cursor"
            assert resolved["properties"]["items"]["type"] == "array", f"{name}: a page's items are a list"
            assert {"limit", "cursor"} <= {p["name"] for p in op.get("parameters", [])}, f"{name}: no limit/cursor"
    lists = [name for name, op in operations if name.startswith("GET") and _is_page(document, op)]
    assert {"GET /v1/incidents", "GET /v1/tokens", "GET /v1/audit", "GET /v1/maintenance"} <= set(lists), lists


async def test_every_operation_but_the_login_configuration_refuses_a_caller_without_a_token(
    fuzzed_api: tuple[str, str],
) -> None:
    """The 401 the document promises is what a request without a token gets, before anything is read."""
    api = fuzzed_api[0]
    document = await asyncio.to_thread(_document, api)
    answers = {}
    for path, operations in document["paths"].items():
        for method in operations:
            if path != "/v1/auth/config":
                answers[f"{method.upper()} {path}"] = await asyncio.to_thread(_anonymous, api, method, path)
    assert len(answers) >= 40
    refused = {name: answer for name, answer in answers.items() if answer[0] == 401 and answer[1] == PROBLEM}
    assert refused == answers, {name: answer for name, answer in answers.items() if name not in refused}


def _anonymous(api: str, method: str, path: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{api}{re.sub(r'{[^}]+}', '1', path)}", method=method.upper())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["content-type"]
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["content-type"]


def _is_page(document: dict, op: dict) -> bool:  # type: ignore[type-arg]
    schema = _resolve(document, op["responses"]["200"]["content"]["application/json"]["schema"])
    return PAGE_FIELDS <= set(schema.get("properties", {}))


async def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
    fuzzed_api: tuple[str, str],
) -> None:
    """Every operation, with valid and invalid requests (and documented examples): never a 5xx, every
    status, content type, header and body as documented, every schema-invalid request refused, every error
    a problem (tests/e2e/problem_shape_hooks.py). `positive_data_acceptance` is left out on purpose: a
    valid shape naming an incident or a service that does not exist is rightly refused (404, 422)."""
    api, token = fuzzed_api
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{api}/v1/openapi.json", "--header", f"Authorization: Bearer {token}",
        "--max-examples", str(EXAMPLES), "--generation-deterministic", "--no-shrink",  # deterministic: no example database either
        "--phases", "examples,coverage,fuzzing", "--exclude-checks", "positive_data_acceptance",
        "--workers", "1", "--request-timeout", "20", "--no-color",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    report = output.decode()
    print(report, f"schemathesis took {time.monotonic() - started:.1f}s")  # shown when the test fails
    assert process.returncode == 0, "schemathesis found failures: its report is in the captured output"
    operations = len([1 for ops in (await asyncio.to_thread(_document, api))["paths"].values() for _ in ops])
    assert f"Tested: {operations}" in report, report[-4000:]  # every operation was exercised
