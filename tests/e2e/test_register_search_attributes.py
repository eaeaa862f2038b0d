"""`python -m runtime.register_search_attributes` against the real dev server.

The session's dev server already has the attributes in `default` (make run registers
them the same way), so there the command must change nothing. Fresh namespaces stand in for a
new cluster: each starts with no custom attribute, like a self-hosted cluster after set-up.
The command runs as an asyncio subprocess: the session's in-process worker shares this loop.
"""

import asyncio
import io
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError

from localstack.temporal import free_port
from runtime.register_search_attributes import (
    DONE,
    REFUSED,
    UNREACHABLE,
    Conflict,
    custom_attributes,
    plan,
    register,
    run,
    type_name,
    type_value,
)  # fmt: skip
from workflows.search_attributes import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[2]
PROBE = {"IncidentRegistrationProbe": "Int"}  # a type the incident attributes leave free slots for


@dataclass
class Result:
    code: int
    out: str
    err: str


def environment(address: str, namespace: str) -> dict[str, str]:
    # no TEMPORAL_* of the caller's shell (an API key, a profile) may leak into the test
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    return {**env, "TEMPORAL_ADDRESS": address, "TEMPORAL_NAMESPACE": namespace}


async def command(address: str, namespace: str, *args: str) -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "runtime.register_search_attributes", *args,
        env=environment(address, namespace), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def types_in(client: Client, namespace: str) -> dict[str, str]:
    scoped = Client(client.service_client, namespace=namespace)
    return {name: type_name(kind) for name, kind in (await custom_attributes(scoped)).items()}


async def new_namespace(client: Client) -> str:
    """A namespace with no custom attribute, once the server answers for it."""
    name = f"registration-{uuid.uuid4().hex[:8]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=Duration(seconds=86400))
    )
    for _ in range(300):  # the namespace registry refreshes on its own schedule
        try:
            await types_in(client, name)
            return name
        except RPCError:
            await asyncio.sleep(0.1)
    raise TimeoutError(f"namespace {name} never became usable")


# --- the decision, without a server --------------------------------------------------------------


def test_type_names_are_spelled_as_the_cli_and_the_search_attribute_list_spell_them() -> None:
    for kind in ("Keyword", "Bool", "Datetime", "Int", "Double", "Text", "KeywordList"):
        assert type_name(type_value(kind)) == kind
    with pytest.raises(ValueError):
        type_value("Boolean")


def test_the_plan_adds_what_is_missing_keeps_what_is_right_and_reports_a_different_type() -> None:
    existing = {"IncidentState": type_value("Keyword"), "SlaBreached": type_value("Keyword")}
    result = plan(existing, {"IncidentState": "Keyword", "SlaBreached": "Bool", "MajorIncident": "Bool"})
    assert result.present == ["IncidentState"]
    assert result.missing == {"MajorIncident": "Bool"}
    assert result.conflicts == [Conflict("SlaBreached", wanted="Bool", found="Keyword")]


# --- against the dev server ----------------------------------------------------------------------


async def test_on_a_cluster_that_has_them_the_command_changes_nothing_and_exits_0(
    dev_server: str, dev_client: Client
) -> None:
    before = await types_in(dev_client, "default")
    result = await command(dev_server, "default")
    assert result.code == DONE, result.err
    assert f"all {len(SEARCH_ATTRIBUTES)} search attributes already present" in result.out
    assert await types_in(dev_client, "default") == before


async def test_on_a_namespace_without_them_it_adds_all_of_them_and_a_second_run_adds_nothing(
    dev_server: str, dev_client: Client
) -> None:
    namespace = await new_namespace(dev_client)
    first = await command(dev_server, namespace)
    assert first.code == DONE, first.err
    assert f"namespace {namespace}: added {len(SEARCH_ATTRIBUTES)}, 0 already present" in first.out
    assert await types_in(dev_client, namespace) == SEARCH_ATTRIBUTES

    again = await command(dev_server, namespace)
    assert again.code == DONE, again.err
    assert f"all {len(SEARCH_ATTRIBUTES)} search attributes already present" in again.out


async def test_given_a_map_with_one_more_attribute_it_adds_only_that_one(dev_server: str, dev_client: Client) -> None:
    namespace = await new_namespace(dev_client)
    assert (await command(dev_server, namespace)).code == DONE
    scoped = Client(dev_client.service_client, namespace=namespace)

    result = await register(scoped, {**SEARCH_ATTRIBUTES, **PROBE})

    assert result.missing == PROBE
    assert sorted(result.present) == sorted(SEARCH_ATTRIBUTES)
    assert await types_in(dev_client, namespace) == {**SEARCH_ATTRIBUTES, **PROBE}


async def test_an_attribute_registered_with_another_type_is_refused_with_exit_1_and_nothing_is_added(
    dev_server: str, dev_client: Client
) -> None:
    before = await types_in(dev_client, "default")
    out, err = io.StringIO(), io.StringIO()

    code = await run(environment(dev_server, "default"), {"IncidentState": "Bool", **PROBE}, out=out, err=err)

    assert code == REFUSED
    assert "IncidentState exists as Keyword but the incident workflows need Bool" in err.getvalue()
    assert await types_in(dev_client, "default") == before


async def test_a_dry_run_lists_what_is_missing_exits_1_and_adds_nothing(dev_server: str, dev_client: Client) -> None:
    namespace = await new_namespace(dev_client)
    result = await command(dev_server, namespace, "--dry-run")
    assert result.code == REFUSED
    assert "would add  RestoreDeadline" in result.out
    assert await types_in(dev_client, namespace) == {}


async def test_an_unreachable_cluster_exits_3_naming_the_address_it_tried() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = await command(address, "default")
    assert result.code == UNREACHABLE
    assert f"cannot reach Temporal at {address}" in result.err


async def test_a_usage_error_exits_2_before_connecting() -> None:
    result = await command("127.0.0.1:1", "default", "--no-such-flag")
    assert result.code == 2
    assert "usage:" in result.err


async def test_with_wait_it_keeps_trying_a_cluster_that_is_not_up_then_says_how_long_it_waited() -> None:
    started = asyncio.get_running_loop().time()
    result = await command(f"127.0.0.1:{free_port()}", "default", "--wait", "3")
    assert result.code == 3 and "(waited 3s)" in result.err and "cannot reach Temporal at" in result.err
    assert asyncio.get_running_loop().time() - started >= 3
