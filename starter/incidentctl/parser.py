"""The command line of DESIGN section 5, as argparse. Usage errors exit 2 (argparse's own code).

The engineer commands come from starter.incidentctl.commands (one table: flags, help, completion);
`open`, `list`, `show`, `report`, `catalog` and `completion` are written out below; `oncall`,
`known-error` and `changes` in their own modules. The global
options (--as, -o, --request-id) work before or after the command, as in the `temporal` CLI.
"""

import argparse
import getpass
from collections.abc import Mapping

from domain.enums import Priority, State
from starter.incidentctl.commands import ENGINEER_COMMANDS, Option

CHANGING = tuple(command.name for command in ENGINEER_COMMANDS)
# plain strings, in the process's order: argparse and the refusals print them
STATES = tuple(state.value for state in State)
PRIORITIES = tuple(priority.value for priority in Priority)
DEFAULT_LIMIT = 200


def default_actor(env: Mapping[str, str]) -> str:
    if env.get("INCIDENT_USER"):
        return env["INCIDENT_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _scale(text: str) -> int:
    if text not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"must be 1, 2 or 3 (got {text!r})")
    return int(text)


def _limit(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of incidents, 1 or more (got {text!r})")
    return int(text)


def _global_options(parser: argparse.ArgumentParser, env: Mapping[str, str], here: bool) -> None:
    """On the top parser with their defaults; on each command with none, so what is given there wins."""
    actor = default_actor(env)
    keep = {} if here else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="NAME",
        **({"default": actor} | keep),
        help="act on this person's behalf (default: $INCIDENT_USER, else yourself as the API knows you); naming"
        " someone else needs the incident manager's right, and both names are recorded"
        + (f" (now {actor!r})" if env.get("INCIDENT_USER") else ""),
    )
    parser.add_argument(
        "-o",
        "--output",
        choices=("table", "json"),
        **({"default": "table"} | keep),
        help="table for people (default), json for scripts: the incident object of DESIGN section 5",
    )
    parser.add_argument(
        "--request-id",
        metavar="ID",
        **({"default": None} | keep),
        help="idempotency key: a command retried with the same id is applied once (default: new per run)",
    )


def _add_option(parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup, option: Option) -> None:
    kwargs: dict[str, object] = {"help": option.help}
    if option.switch:
        kwargs["action"] = "store_true"
    elif len(option.fields) > 1:
        kwargs |= {"nargs": len(option.fields), "metavar": option.metavar}
    elif option.scale:
        kwargs |= {"type": _scale, "metavar": "1..3"}
    if not option.positional:
        kwargs["dest"] = option.field
        if option.required and not option.exclusive_group:
            kwargs["required"] = True
        if option.default is not None:
            kwargs["default"] = option.default
    parser.add_argument(*option.flags, **kwargs)  # type: ignore[arg-type]


def _engineer_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for command in ENGINEER_COMMANDS:
        p = sub.add_parser(command.name, help=command.help, description=command.help, parents=[common])
        p.add_argument("incident", help="the incident: its number (INC-1042) or workflow id")
        groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
        for option in command.options:
            target = p
            if option.exclusive_group:
                if option.exclusive_group not in groups:
                    groups[option.exclusive_group] = p.add_mutually_exclusive_group(required=True)
                target = groups[option.exclusive_group]
            _add_option(target, option)


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="incidentctl",
        description="Act on incidents: every incident is a Temporal workflow (DESIGN section 5).",
        epilog="Exit codes: 0 done, 1 refused (the reason in one line), 2 usage error, 3 cannot reach the"
        " incident API (INCIDENT_API_URL, default http://127.0.0.1:8081) or what it needs (Temporal, the incident"
        " database). Who you are: INCIDENT_API_TOKEN, else the credentials of `incidentctl login`.",
    )
    _global_options(parser, env, here=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, env, here=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "open",
        parents=[common],
        help="register a new incident and print it once prioritized",
        description="Register a new incident. Priority is impact x urgency (DESIGN section 4).",
    )
    p.add_argument("--service", required=True, help="a service of the agreed catalog (incidentctl catalog show)")
    p.add_argument("--summary", required=True, help="what is wrong, in one line")
    p.add_argument(
        "--impact",
        type=_scale,
        metavar="1..3",
        help="1 widespread, 2 a group of users, 3 one user or a redundant part (default: the catalog's"
        " default severity, impact 2)",
    )
    p.add_argument(
        "--urgency",
        type=_scale,
        metavar="1..3",
        help="1 high, 2 medium, 3 low (default: the catalog's default severity, urgency 2; so P3 when"
        " both are left out)",
    )
    p.add_argument("--caller", default="", help="who reported it (default: you, --as)")
    p.add_argument("--supplier", default="", help="the failure is at this supplier (source supplier)")
    p.add_argument("--ci", default="", help="the affected configuration item, e.g. a host")
    p.add_argument(
        "--category",
        default=None,
        help="a category of the service (default: chosen from the summary by the catalog's keywords)",
    )

    p = sub.add_parser(
        "list",
        parents=[common],
        help="incidents from the record: open ones (all with --all)",
        description="Incidents from the Postgres record, highest priority first.",
    )
    p.add_argument("--state", help=f"only this state: {', '.join(STATES)}")
    p.add_argument("--priority", type=str.upper, choices=PRIORITIES, help="only this priority")
    p.add_argument("--service", help="only this service")
    p.add_argument("--breached", action="store_true", help="only those that missed their restore target")
    p.add_argument("--all", action="store_true", help="closed incidents too (default: open ones only)")
    p.add_argument(
        "--limit",
        type=_limit,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N incidents; says so when it cuts (default {DEFAULT_LIMIT})",
    )

    p = sub.add_parser(
        "show",
        parents=[common],
        help="one incident, with its timeline (--history)",
        description="One incident as its workflow knows it now.",
    )
    p.add_argument("incident", help="the incident: its number (INC-1042) or workflow id")
    p.add_argument("--history", action="store_true", help="add the timeline: who did what, when")

    _engineer_commands(sub, common)

    p = sub.add_parser(
        "report",
        parents=[common],
        help="MTTA, MTTR and SLA compliance per service and priority",
        description="From the Postgres record; known errors are not incidents and are left out.",
    )
    p.add_argument("--since", default="30d", help="how far back, e.g. 7d, 12h, 4w (default 30d)")

    p = sub.add_parser(
        "catalog",
        parents=[common],
        help="the agreed catalog: show it, or reload catalog.toml",
        description="The agreements with the business, as loaded into Postgres.",
    )
    what = p.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    shown = what.add_parser("show", parents=[common], help="the loaded agreements (one service with SERVICE)")
    shown.add_argument("service", nargs="?", help="one service (default: all)")
    reload = what.add_parser("reload", parents=[common], help="validate and load the catalog file (idempotent)")
    reload.add_argument(
        "--file", default=None, help="the catalog file (default: $INCIDENT_CATALOG, else catalog.toml of the project)"
    )

    from starter.incidentctl.oncall_commands import add_parser as add_oncall

    add_oncall(sub, common)

    from starter.incidentctl.release_commands import add_parser as add_releases

    add_releases(sub, common)

    from starter.incidentctl.code_releases import add_parser as add_code_releases

    add_code_releases(sub, common)

    from starter.incidentctl.maintenance_commands import add_parser as add_maintenance

    add_maintenance(sub, common)

    from starter.incidentctl.forecast_commands import add_parser as add_forecast

    add_forecast(sub, common)

    from starter.incidentctl.login_commands import add_parser as add_login
    from starter.incidentctl.token_commands import add_parser as add_tokens

    add_login(sub, common)
    add_tokens(sub, common)

    from starter.incidentctl.audit_commands import add_parser as add_audit

    add_audit(sub, common)

    p = sub.add_parser("completion", help='print a shell completion script: eval "$(incidentctl completion bash)"')
    p.add_argument("shell", choices=("bash",))
    return parser


def parse(argv: list[str], env: Mapping[str, str]) -> argparse.Namespace:
    """`env`: the environment main() read (the default of --as comes from it)."""
    return build_parser(env).parse_args(argv)
