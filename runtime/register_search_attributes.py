"""`python -m runtime.register_search_attributes`: register the incident search attributes on any cluster.

The Web UI queries auditors type (`IncidentPriority="P1" AND SlaBreached=true`) need the
custom search attributes of workflows.search_attributes, with those exact names and
types, in the namespace the worker uses. `make run` registers them on the dev server; this
command does it on a self-hosted cluster (docker-compose.yml, Kubernetes, ...):

    TEMPORAL_ADDRESS=temporal.example:7233 TEMPORAL_NAMESPACE=incidents \\
        python -m runtime.register_search_attributes [--dry-run]

Idempotent: it lists what the namespace has and adds only what is missing, so it is safe to run
at every deploy. An attribute that exists with another type is reported and nothing is added
(exit 1): Temporal cannot change a type in place and the workflows' upserts would fail, so a
person decides (remove it, or rename ours). Run it before the first worker starts: a workflow
that upserts an unregistered attribute fails its task until the attribute exists.

It connects like every program here (runtime.temporal_connection: TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, profiles). Where the cluster refuses to add
attributes through its OperatorService (Temporal Cloud manages them with `tcld` or its UI), add them
there and use `--dry-run` to check: it exits 0 only when nothing is missing or different.

`--wait SECONDS` keeps trying while the cluster or its namespace is still coming up (the compose
file's `register-search-attributes` job runs it so, with `--wait 300`).

Exit codes: 0 registered (or already there), 1 refused (a type conflict, something missing
under --dry-run, or the cluster refused the request), 2 usage error, 3 cannot reach Temporal.
"""

import argparse
import asyncio
import io
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from runtime.process_exit import exit_now
from runtime.temporal_connection import connect, connect_config
from workflows.search_attributes import SEARCH_ATTRIBUTES

DONE, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3
CONNECT_TIMEOUT_SECONDS = 10.0
# A cluster's search-attribute cache refreshes on its own schedule (seconds on a real cluster):
# wait until the namespace lists what was added, so the workers started next can upsert them.
VISIBLE_TIMEOUT_SECONDS = 60.0
VISIBLE_POLL_SECONDS = 1.0
WAIT_POLL_SECONDS = 2.0


class RegistrationRefused(Exception):
    """The cluster answered, but the attributes cannot be (or were not) registered as the code needs."""


@dataclass(frozen=True)
class Conflict:
    name: str
    wanted: str
    found: str


@dataclass
class Plan:
    """What a namespace needs: `missing` to add, `present` already right, `conflicts` a person must settle."""

    missing: dict[str, str] = field(default_factory=dict)
    present: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def type_name(kind: int) -> str:
    """INDEXED_VALUE_TYPE_KEYWORD -> Keyword, as the CLI and SEARCH_ATTRIBUTES spell it."""
    wire = IndexedValueType.Name(kind).removeprefix("INDEXED_VALUE_TYPE_")
    return "".join(part.capitalize() for part in wire.split("_"))


def type_value(name: str) -> int:
    """Keyword -> INDEXED_VALUE_TYPE_KEYWORD; KeywordList -> ..._KEYWORD_LIST. ValueError if unknown."""
    for kind in IndexedValueType.values():
        if kind != IndexedValueType.INDEXED_VALUE_TYPE_UNSPECIFIED and type_name(kind) == name:
            return kind
    raise ValueError(f"unknown search attribute type {name!r}")


def plan(existing: Mapping[str, int], wanted: Mapping[str, str]) -> Plan:
    """Compare the namespace's custom attributes (name -> IndexedValueType) with what the code needs."""
    result = Plan()
    for name, kind in wanted.items():
        type_value(kind)  # a typo in `wanted` is our bug: fail before touching the cluster
        if name not in existing:
            result.missing[name] = kind
        elif type_name(existing[name]) == kind:
            result.present.append(name)
        else:
            result.conflicts.append(Conflict(name, kind, type_name(existing[name])))
    return result


async def custom_attributes(client: Client) -> dict[str, int]:
    response = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    return dict(response.custom_attributes)


async def register(client: Client, wanted: Mapping[str, str] = SEARCH_ATTRIBUTES, *, dry_run: bool = False) -> Plan:
    """Add the missing attributes of `wanted` to the client's namespace; returns the plan it acted on.

    Raises RegistrationRefused on a conflict (nothing is added then) or when the cluster refuses.
    """
    current = plan(await custom_attributes(client), wanted)
    if current.conflicts:
        raise RegistrationRefused(
            "; ".join(
                f"{c.name} exists as {c.found} but the incident workflows need {c.wanted}" for c in current.conflicts
            )
        )
    if dry_run or not current.missing:
        return current
    request = AddSearchAttributesRequest(
        namespace=client.namespace, search_attributes={n: type_value(k) for n, k in current.missing.items()}
    )
    try:
        await client.operator_service.add_search_attributes(request)
    except RPCError as err:
        # Another registrar may have won the race (older servers answer "already exists"):
        # what counts is whether the namespace now has them, checked below.
        refused = err
    else:
        refused = None
    await _wait_until_listed(client, wanted, refused)
    return current


async def _wait_until_listed(client: Client, wanted: Mapping[str, str], refused: RPCError | None) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (VISIBLE_TIMEOUT_SECONDS if refused is None else 0)
    while True:
        now = plan(await custom_attributes(client), wanted)
        if now.conflicts:  # someone added one of ours with another type meanwhile
            raise RegistrationRefused("; ".join(f"{c.name} exists as {c.found}, not {c.wanted}" for c in now.conflicts))
        if not now.missing:
            return
        if loop.time() >= deadline:
            missing = ", ".join(now.missing)
            if refused is not None:
                reason = f"{refused.status.name}: {refused.message}"
                raise RegistrationRefused(f"the cluster refused to add {missing}: {reason}")
            raise RegistrationRefused(f"added, but {missing} still not listed after {VISIBLE_TIMEOUT_SECONDS:.0f}s")
        await asyncio.sleep(VISIBLE_POLL_SECONDS)


def report(result: Plan, wanted: Mapping[str, str], namespace: str, dry_run: bool, out: TextIO) -> None:
    verb = "would add" if dry_run else "added"
    for name, kind in wanted.items():
        state = verb if name in result.missing else "present"
        out.write(f"{state:<10} {name:<18} {kind}\n")
    if result.missing:
        out.write(f"namespace {namespace}: {verb} {len(result.missing)}, {len(result.present)} already present\n")
    else:
        out.write(f"namespace {namespace}: all {len(wanted)} search attributes already present\n")


async def run_waiting(env: Mapping[str, str], wait: float, **options: Any) -> int:
    """`--wait`: a cluster still starting (compose brings Temporal up, then its namespace) is waited for."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        quiet = io.StringIO()
        code = await run(env, err=quiet, **options)
        if code != UNREACHABLE and "NOT_FOUND" not in quiet.getvalue():
            sys.stderr.write(quiet.getvalue())
            return code
        if asyncio.get_running_loop().time() >= deadline:
            sys.stderr.write(quiet.getvalue().rstrip() + f" (waited {wait:.0f}s)\n")
            return code
        await asyncio.sleep(WAIT_POLL_SECONDS)


async def run(
    env: Mapping[str, str],
    wanted: Mapping[str, str] = SEARCH_ATTRIBUTES,
    *,
    dry_run: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """The whole command, minus the process exit; `wanted` is a parameter so tests can add to it."""
    address = connect_config(env)["target_host"]
    try:
        client = await asyncio.wait_for(connect(env), timeout=CONNECT_TIMEOUT_SECONDS)
    except (RuntimeError, OSError, TimeoutError) as error:
        err.write(f"cannot reach Temporal at {address}: {error or type(error).__name__}\n")
        return UNREACHABLE
    try:
        result = await register(client, wanted, dry_run=dry_run)
    except RegistrationRefused as refusal:
        err.write(f"namespace {client.namespace}: {refusal}\n")
        return REFUSED
    except RPCError as error:  # e.g. PERMISSION_DENIED on Temporal Cloud, or an API key without admin rights
        err.write(f"namespace {client.namespace}: {error.status.name}: {error.message}\n")
        return UNREACHABLE if error.status is RPCStatusCode.UNAVAILABLE else REFUSED
    report(result, wanted, client.namespace, dry_run, out)
    return REFUSED if dry_run and result.missing else DONE


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m runtime.register_search_attributes",
        description="Register the incident search attributes in TEMPORAL_NAMESPACE (idempotent).",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="only check: list what is missing (exit 1 if anything is), add nothing"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep trying this long while Temporal or its namespace is not up yet (default 0: once)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    try:
        args = parse(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_:  # argparse: --help is 0, usage errors are 2
        exit_now(int(exit_.code or 0))
    try:
        code = asyncio.run(run_waiting(os.environ, args.wait, dry_run=args.dry_run))
    except KeyboardInterrupt:
        code = 130
    exit_now(code)


if __name__ == "__main__":
    main()
