"""incidentctl entry point: parse, act, print, exit with the contract's code (starter/incidentctl/errors.py).

The environment is read here, once, into the Context every command is handed. Imports stay inside
functions so `--help` and usage errors do not pay for the SDK.
"""

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING

from runtime.process_exit import exit_now
from starter.incidentctl.errors import DONE, REFUSED, UNREACHABLE, Refused, Unreachable
from starter.incidentctl.parser import parse

if TYPE_CHECKING:  # imported once parsed: `--help` and usage errors need no settings
    from starter.incidentctl.context import Context


async def _run(ctx: "Context", args: argparse.Namespace) -> int:
    from starter.incidentctl import actions
    from starter.incidentctl.inputs import InputRefused, check_actor, check_open

    try:  # before anything is read, reserved or sent: a bad value needs no server
        check_actor(args)
        if args.command == "open":
            check_open(args)
    except InputRefused as err:
        raise Refused(str(err)) from None

    if args.command == "report":
        return actions.report(ctx, args)
    if args.command == "list":
        return actions.list_(ctx, args)
    if args.command in ("login", "logout", "whoami"):
        from starter.incidentctl import login_commands

        return await login_commands.run(ctx, args)
    if args.command == "token":
        from starter.incidentctl import token_commands

        return await token_commands.run(ctx, args)
    if args.command == "audit":
        from starter.incidentctl import audit_commands

        return await audit_commands.run(ctx, args)
    if args.command == "oncall":
        from starter.incidentctl import oncall_commands

        return await oncall_commands.run(ctx, args)
    if args.command == "forecast":
        from starter.incidentctl import forecast_commands

        return await forecast_commands.run(ctx, args)
    if args.command == "maintenance":
        from starter.incidentctl import maintenance_commands

        return await maintenance_commands.run(ctx, args)
    if args.command in ("known-error", "changes"):
        from starter.incidentctl import release_commands

        return await release_commands.run(ctx, args)
    if args.command == "catalog":
        from starter.incidentctl import catalog_commands

        return await catalog_commands.run(ctx, args)
    if args.command == "releases":
        from starter.incidentctl import code_releases

        return await code_releases.run(ctx, args)
    if args.command == "open":
        return actions.open_(ctx, args)
    if args.command == "show":
        return actions.show(ctx, args)
    return _update(ctx, args)


def _update(ctx: "Context", args: argparse.Namespace) -> int:
    from starter.incidentctl import actions
    from starter.incidentctl.commands import BY_NAME
    from starter.incidentctl.inputs import InputRefused, update_input

    command = BY_NAME[args.command]
    try:
        payload = update_input(command, args)  # before sending: a bad value needs no server
    except InputRefused as err:
        raise Refused(str(err)) from None
    return actions.update(ctx, args, command, payload)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    try:
        args = parse(argv, env)
    except SystemExit as exit_:  # argparse: --help is 0, usage errors are 2
        exit_now(int(exit_.code or 0))
    # Someone is named only by --as or $INCIDENT_USER; the login name is no claim: the API knows who calls
    args.as_given = bool(env.get("INCIDENT_USER")) or any(a == "--as" or a.startswith("--as=") for a in argv)
    if args.command == "completion":
        from starter.incidentctl.completion import bash_completion

        sys.stdout.write(bash_completion())
        exit_now(DONE)
    from starter.incidentctl.context import Context

    try:
        code = asyncio.run(_run(Context(env), args))
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
