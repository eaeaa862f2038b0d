"""incidentctl entry point: parse, act, print, exit with the contract's code.

Exit codes: 0 done, 1 refused (reason in one line), 2 usage error, 3 cannot reach Temporal or the
incident database. Imports stay inside functions so `--help` and usage errors do not pay for the SDK.
"""

import argparse
import asyncio
import re
import sys
import uuid
from typing import Any

from starter.incidentctl.parser import parse
from starter.process_exit import exit_now

DONE, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Refused(Exception):
    """The incident (or the server) said no; the message is the one line shown."""


class Unreachable(Exception):
    pass


def validation_refusal(err: Any) -> "Refused":
    """A pydantic ValidationError, in one line."""
    first = err.errors()[0]
    return Refused(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")


def why_unreachable(err: BaseException) -> str:
    """What went wrong, in words: the SDK's transport errors carry Rust internals (tonic::transport...)."""
    text = str(err) or type(err).__name__
    lowered = text.lower()
    for needle, words in (("connection refused", "connection refused"), ("dns error", "the name does not resolve"),
                          ("failed to lookup", "the name does not resolve"), ("timed out", "no answer in time"),
                          ("certificate", "its TLS certificate was refused"), ("tls", "the TLS handshake failed"),
                          ("connection reset", "the connection was reset")):  # fmt: skip
        if needle in lowered:
            return words
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        return "no answer in time"
    return re.sub(r"\s+", " ", re.sub(r"\b\w+::[\w:]+(\([^)]*\))?", "", text)).strip(" :,") or "unreachable"


async def _connect(models: bool) -> Any:
    """`models`: the pydantic converter, for `open` (it sends domain models); every other command
    sends plain JSON and does without pydantic."""
    import os

    from temporalio.client import Client

    from starter.temporal_connection import connect_config

    config = connect_config(os.environ)
    if models:
        from temporalio.contrib.pydantic import pydantic_data_converter

        config["data_converter"] = pydantic_data_converter
    # The SDK core writes its retry warnings to stdout by default: they would corrupt `-o json` and
    # the one-line refusals while a server is down. Failures reach us as exceptions anyway.
    from temporalio.runtime import Runtime, TelemetryConfig

    config["runtime"] = Runtime(telemetry=TelemetryConfig(logging=None))
    try:
        return await asyncio.wait_for(Client.connect(**config), timeout=10)
    except (TimeoutError, RuntimeError, OSError) as err:
        address = config["target_host"]
        if _answered_but_not_temporal(err):  # e.g. TEMPORAL_ADDRESS set to the Web UI's port
            raise Unreachable(f"nothing at {address} speaks Temporal's API (something answers there: the Web UI?"
                              " Temporal's frontend listens on 7233 by default)") from None  # fmt: skip
        raise Unreachable(f"cannot reach Temporal at {address} ({why_unreachable(err)})") from None


def _answered_but_not_temporal(err: BaseException) -> bool:
    """The connection was made, then the first call (get_system_info) ended in a status no Temporal
    frontend gives it: an HTTP server (the Web UI) or anything else not speaking gRPC is listening.
    Unauthenticated, PermissionDenied or Unavailable come from a real frontend and are said as such."""
    text = str(err)
    found = re.search(r"call error after connection.*?code: (\w+)", text, re.DOTALL)
    return found is not None and found.group(1) in ("Cancelled", "Internal", "Unknown", "Unimplemented")


async def _run(args: argparse.Namespace) -> int:
    from starter.incidentctl import actions
    from starter.incidentctl.inputs import InputRefused, check_actor, check_open

    try:  # before anything is read, reserved or sent: a bad value needs no server
        check_actor(args)
        if args.command == "open":
            check_open(args)
    except InputRefused as err:
        raise Refused(str(err)) from None

    if args.command == "report":
        return await actions.report(args)
    if args.command == "list":
        return await actions.list_(args)
    if args.command == "oncall":
        from starter.incidentctl import oncall_commands

        return await oncall_commands.run(args)
    if args.command == "forecast":
        from starter.incidentctl import forecast_commands

        return await forecast_commands.run(args)
    if args.command == "maintenance":
        from starter.incidentctl import maintenance_commands

        return await maintenance_commands.run(args)
    if args.command in ("known-error", "changes"):
        from starter.incidentctl import release_commands

        return await release_commands.run(args)
    if args.command == "catalog":
        from starter.incidentctl import catalog_commands

        return await catalog_commands.run(args)
    if args.command == "releases":
        from starter.incidentctl import code_releases

        return await code_releases.run(await _connect(models=False), args)
    if args.command == "open":
        return await actions.open_(await _connect(models=True), args)
    if args.command == "show":
        return await actions.show(await _connect(models=False), args)
    return await _update(args)


async def _update(args: argparse.Namespace) -> int:
    from starter.incidentctl import actions
    from starter.incidentctl.commands import BY_NAME
    from starter.incidentctl.groups import vouch_for_groups
    from starter.incidentctl.inputs import InputRefused, update_input

    command = BY_NAME[args.command]
    try:
        payload = update_input(command, args)  # before connecting: a bad value needs no server
        await vouch_for_groups(command, payload)  # a group nobody knows is refused before sending
    except InputRefused as err:
        raise Refused(str(err)) from None
    client = await _connect(models=False)
    return await actions.update(client, args, command, payload, args.request_id or uuid.uuid4().hex)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse(argv)
    except SystemExit as exit_:  # argparse: --help is 0, usage errors are 2
        exit_now(int(exit_.code or 0))
    if args.command == "completion":
        from starter.incidentctl.completion import bash_completion

        sys.stdout.write(bash_completion())
        exit_now(DONE)
    try:
        code = asyncio.run(_run(args))
    except Refused as err:
        sys.stderr.write(f"{err}\n")
        code = REFUSED
    except Unreachable as err:
        sys.stderr.write(f"{err}\n")
        code = UNREACHABLE
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # `incidentctl list | head`: the reader left; that is not a failure
        code = DONE
    exit_now(code)
