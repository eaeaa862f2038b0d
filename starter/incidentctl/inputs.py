"""An engineer command's input, from the command line to the Update's plain JSON, checked first.

The workflow validates every input against its model in domain.commands; the checks here come
first so a refusal names the flag in a sentence (`--problem must look like PRB-123`) instead of
pydantic's wording, and nothing is sent that would be refused anyway. Standard library only.
"""

import argparse
import re
from typing import Any

from domain.formats import TEXT_LIMIT
from starter.incidentctl.commands import EngineerCommand, Option


class InputRefused(ValueError):
    """The command line's values cannot be sent as they are; the message is the one line shown."""


def _name(option: Option) -> str:
    return option.flags[0] if not option.positional else option.flags[0].upper()


def check_text(flag: str, value: str, limit: int = TEXT_LIMIT) -> str:
    if "\x00" in value:
        raise InputRefused(f"{flag} contains a NUL character, which the record cannot store")
    if not value.strip():
        raise InputRefused(f"{flag} must not be empty")
    if len(value) > limit:
        raise InputRefused(f"{flag} is {len(value)} characters long; at most {limit}")
    return value


def check_actor(args: argparse.Namespace) -> None:
    """--as is recorded on every action: a blank name would be an action nobody did."""
    if hasattr(args, "actor"):
        check_text("--as", args.actor, 100)


def check_open(args: argparse.Namespace) -> None:
    """`open`'s values, within domain.commands.OpenIncident's limits: checked before a number is reserved."""
    check_text("--service", args.service, 100)
    check_text("--summary", args.summary, 500)
    for flag, value in (("--caller", args.caller), ("--supplier", args.supplier), ("--ci", args.ci)):
        if value != "":  # their default: not given
            check_text(flag, value)
    if args.category is not None:
        check_text("--category", args.category)


def update_input(command: EngineerCommand, args: argparse.Namespace) -> dict[str, Any]:
    """The Update's input as plain JSON fields (the workflow decodes it into its model)."""
    payload: dict[str, Any] = {"actor": check_text("--as", args.actor, 100)}
    for option in command.options:
        value = getattr(args, option.field if not option.positional else option.flags[0])
        if len(option.fields) > 1:  # e.g. hold --reason KIND TEXT
            kind, text = value
            if option.choices and kind not in option.choices:
                raise InputRefused(f"{_name(option)} must be {' or '.join(option.choices)} (got {kind!r})")
            payload |= {option.fields[0]: kind, option.fields[1]: check_text(_name(option), text)}
            continue
        # empty is "not given" only where that is the default (--person: the group as a whole)
        if isinstance(value, str) and (value != "" or option.default != ""):
            check_text(_name(option), value)
            if option.pattern and not re.fullmatch(option.pattern, value):
                raise InputRefused(f"{_name(option)} must look like {option.example} (got {value!r})")
        payload[option.field] = value
    return payload


def refusal_of_invalid(command: EngineerCommand, errors: list[dict[str, Any]]) -> str:
    """pydantic's errors for an input the workflow could not read, worded with the flag's name."""
    first = errors[0]
    field = str(first["loc"][0]) if first.get("loc") else ""
    option = next((o for o in command.options if field in o.fields), None)
    name = _name(option) if option else "--as" if field == "actor" else field
    return f"{name}: {first['msg'].lower()}"
