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

from starter.incidentctl.parser import parse
from starter.process_exit import exit_now

DONE, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Refused(Exception):
    """The incident (or the server) said no; the message is the one line shown."""


class Unreachable(Exception):
    pass


def _update_input(args: argparse.Namespace) -> tuple[str, Any]:
    from domain import commands as c
    from domain.enums import HoldReason

    actor = args.actor
    match args.command:
        case "ack":
            return "ack", c.Ack(actor=actor)
        case "assign":
            return "assign", c.Assign(actor=actor, group=args.group, person=args.person)
        case "escalate":
            return "escalate", c.Escalate(actor=actor, to_group=args.to_group, management=args.management,
                                          reason=args.reason)  # fmt: skip
        case "note":
            return "note", c.Note(actor=actor, text=args.text)
        case "diagnose":
            return "diagnose", c.Diagnose(actor=actor, finding=args.finding, category=args.category)
        case "priority":
            return "change_priority", c.ChangePriority(actor=actor, impact=args.impact, urgency=args.urgency,
                                                       reason=args.reason)  # fmt: skip
        case "hold":
            kind, text = args.reason
            if kind not in ("caller", "supplier"):
                raise Refused(f"hold --reason must be caller or supplier (got {kind!r})")
            return "hold", c.Hold(actor=actor, reason=HoldReason(kind), text=text)
        case "resume":
            return "resume", c.Resume(actor=actor)
        case "workaround":
            return "workaround", c.Workaround(actor=actor, text=args.text)
        case "resolve":
            return "resolve", c.Resolve(actor=actor, resolution=args.resolution, problem=args.problem)
        case "confirm":
            return "confirm", c.Confirm(actor=actor)
        case "reopen":
            return "reopen", c.Reopen(actor=actor, reason=args.reason)
        case "cancel":
            return "cancel", c.Cancel(actor=actor, reason=args.reason)
    raise AssertionError(args.command)


async def _connect() -> Any:
    from starter.temporal_connection import connect, connect_config

    address = connect_config(os.environ)["target_host"]
    try:
        return await asyncio.wait_for(connect(os.environ), timeout=10)
    except (RuntimeError, OSError, asyncio.TimeoutError) as err:
        raise Unreachable(f"cannot reach Temporal at {address}: {err}") from None


async def _run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from starter.incidentctl import actions

    if args.command == "report":
        return await actions.report(args)
    try:
        client = await _connect()
        if args.command == "open":
            return await actions.open_(client, args)
        if args.command == "list":
            return await actions.list_(client, args)
        if args.command == "show":
            return await actions.show(client, args)
        name, payload = _update_input(args)
        request_id = args.request_id or uuid.uuid4().hex
        return await actions.update(client, args, name, payload, request_id)
    except ValidationError as err:
        first = err.errors()[0]
        raise Refused(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None


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
