"""The published contract (/openapi.json) is the one the server enforces: generated from the models
it validates with, and fuzzed by schemathesis against the running receiver in `make test`."""

import asyncio
import sys
from pathlib import Path

from tests.e2e.receiver_support import TOKEN, Receiver, receiver  # noqa: F401

SCHEMATHESIS = Path(sys.executable).parent / "st"
EXAMPLES = 25  # per operation and phase: bounded, so the run takes seconds


async def document(receiver: Receiver) -> dict:  # type: ignore[type-arg]
    async with receiver.http.get(f"{receiver.url}/openapi.json") as response:
        return await response.json()


async def test_the_document_states_the_limits_the_server_enforces(receiver: Receiver) -> None:
    schemas = (await document(receiver))["components"]["schemas"]
    event = schemas["PagerDutyEvent"]
    assert event["properties"]["dedup_key"]["anyOf"][0]["maxLength"] == 255
    assert schemas["EventPayload"]["properties"]["summary"]["maxLength"] == 1024
    assert schemas["EventPayload"]["properties"]["severity"]["enum"] == ["critical", "error", "warning", "info"]
    # required-when: a trigger needs its payload, acknowledge and resolve their dedup_key
    [rule] = event["allOf"]
    assert rule["then"] == {"required": ["payload"]} and rule["else"] == {"required": ["dedup_key"]}
    starts = schemas["AlertmanagerAlert"]["properties"]["startsAt"]["anyOf"][0]
    assert starts == {"type": "string", "format": "date-time"}
    assert schemas["AlertmanagerWebhook"]["properties"]["alerts"]["minItems"] == 1


async def test_schemathesis_finds_no_failure_against_the_running_receiver(receiver: Receiver) -> None:
    """Generated valid and invalid requests: never a 5xx, every answer documented and shaped as documented,
    every schema-invalid request refused. `positive_data_acceptance` is left out on purpose: a valid
    shape with a made-up routing key or service is rightly refused (401, 422)."""
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{receiver.url}/openapi.json", "--header", f"Authorization: Bearer {TOKEN}",
        "--include-path-regex", "alertmanager|enqueue|known-errors", "--max-examples", str(EXAMPLES), "--seed", "20261202",
        "--exclude-checks", "positive_data_acceptance", "--workers", "1", "--no-color",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    report = output.decode()
    assert process.returncode == 0, report[-4000:]
    assert "generated" in report and "Tested: 4" in report, report[-4000:]  # every operation was exercised
