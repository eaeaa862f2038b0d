"""incidentctl entry point: parse, act, print, exit with the contract's code.

Exit codes: 0 done, 1 refused (reason in one line), 2 usage error, 3 cannot reach Temporal.
Imports stay inside functions so `--help` and usage errors do not pay for the SDK.
"""

import argparse
import asyncio
import os
import sys
import uuid
from typing import Any

from starter.incidentctl.parser import UPDATES, parse
from starter.process_exit import exit_now

DONE, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Refused(Exception):
    """The incident (or the server) said no; the message is the one line shown."""


class Unreachable(Exception):
    pass


def _update_input(args: argparse.Namespace) -> dict[str, Any]:
    """The update's input as plain JSON fields. The workflow validates it against its model in
    domain.commands (a bad value is rejected before history); the CLI imports that model, and
    pydantic, only to word a rejection (actions.update), so a command costs little more than the SDK."""
    actor = args.actor
    match args.command:
        case "ack" | "resume" | "confirm":
            return {"actor": actor}
        case "assign":
            return {"actor": actor, "group": args.group, "person": args.person}
        case "escalate":
            return {"actor": actor, "to_group": args.to_group, "management": args.management, "reason": args.reason}
        case "note":
            return {"actor": actor, "text": args.text}
        case "diagnose":
            return {"actor": actor, "finding": args.finding, "category": args.category}
        case "priority":
            return {"actor": actor, "impact": args.impact, "urgency": args.urgency, "reason": args.reason}
        case "hold":
            kind, text = args.reason
            if kind not in ("caller", "supplier"):
                raise Refused(f"hold --reason must be caller or supplier (got {kind!r})")
            return {"actor": actor, "reason": kind, "text": text}
        case "workaround":
            return {"actor": actor, "text": args.text}
        case "resolve":
            return {"actor": actor, "resolution": args.resolution, "problem": args.problem}
        case "reopen" | "cancel":
            return {"actor": actor, "reason": args.reason}
    raise AssertionError(args.command)


def validation_refusal(err: Any) -> "Refused":
    """A pydantic ValidationError, in one line."""
    first = err.errors()[0]
    return Refused(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")


async def _connect(models: bool) -> Any:
    """`models`: the pydantic converter, for `open` (it sends domain models); every other command
    sends plain JSON and does without pydantic."""
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
    except (RuntimeError, OSError, asyncio.TimeoutError) as err:
        raise Unreachable(f"cannot reach Temporal at {config['target_host']}: {err}") from None


async def _run(args: argparse.Namespace) -> int:
    from starter.incidentctl import actions

    if args.command == "report":
        return await actions.report(args)
    client = await _connect(models=args.command == "open")
    if args.command == "open":
        return await actions.open_(client, args)
    if args.command == "list":
        return await actions.list_(client, args)
    if args.command == "show":
        return await actions.show(client, args)
    name, model = UPDATES[args.command]
    request_id = args.request_id or uuid.uuid4().hex
    return await actions.update(client, args, name, model, _update_input(args), request_id)


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
