"""The command line of DESIGN section 5, as argparse. Usage errors exit 2 (argparse's own code)."""

import argparse
import getpass
import os

# The commands that change an incident: command -> (the workflow's update, its input model in domain.commands)
UPDATES = {"ack": ("ack", "Ack"), "assign": ("assign", "Assign"), "escalate": ("escalate", "Escalate"),
           "note": ("note", "Note"), "diagnose": ("diagnose", "Diagnose"),
           "priority": ("change_priority", "ChangePriority"), "hold": ("hold", "Hold"),
           "resume": ("resume", "Resume"), "workaround": ("workaround", "Workaround"),
           "resolve": ("resolve", "Resolve"), "confirm": ("confirm", "Confirm"), "reopen": ("reopen", "Reopen"),
           "cancel": ("cancel", "Cancel")}  # fmt: skip
CHANGING = tuple(UPDATES)


def _scale(text: str) -> int:
    if text not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"must be 1, 2 or 3 (got {text!r})")
    return int(text)


def default_actor(env: dict[str, str]) -> str:
    if env.get("INCIDENT_USER"):
        return env["INCIDENT_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def build_parser(env: dict[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incidentctl", description="Act on incidents (Temporal workflows).")
    parser.add_argument("--as", dest="actor", default=default_actor(env), help="who acts (default $INCIDENT_USER, else login)")
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")
    parser.add_argument("--request-id", default=None,
                        help="idempotency key: the same id is applied once (default: new per run)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("open", help="register a new incident")
    p.add_argument("--service", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--impact", type=_scale)
    p.add_argument("--urgency", type=_scale)
    p.add_argument("--caller", default="")
    p.add_argument("--supplier", default="", help="the failure is at this supplier (source supplier)")
    p.add_argument("--ci", default="", help="affected configuration item")
    p.add_argument("--category", default=None)

    p = sub.add_parser("list", help="open incidents (all with --all)")
    p.add_argument("--state")
    p.add_argument("--priority", type=str.upper, choices=("P1", "P2", "P3", "P4", "P5"))
    p.add_argument("--service")
    p.add_argument("--breached", action="store_true")
    p.add_argument("--all", action="store_true")
    p.add_argument("--limit", type=int, default=200)

    p = sub.add_parser("show", help="one incident")
    p.add_argument("incident")
    p.add_argument("--history", action="store_true")

    for name in ("ack", "resume", "confirm"):
        sub.add_parser(name).add_argument("incident")
    p = sub.add_parser("assign")
    p.add_argument("incident")
    p.add_argument("--group", required=True)
    p.add_argument("--person", default="")
    p = sub.add_parser("escalate", help="functional (--to GROUP) or hierarchical (--management)")
    p.add_argument("incident")
    direction = p.add_mutually_exclusive_group(required=True)
    direction.add_argument("--to", dest="to_group")
    direction.add_argument("--management", action="store_true")
    p.add_argument("--reason", required=True)
    p = sub.add_parser("note")
    p.add_argument("incident")
    p.add_argument("text")
    p = sub.add_parser("diagnose")
    p.add_argument("incident")
    p.add_argument("--finding", required=True)
    p.add_argument("--category")
    p = sub.add_parser("priority", help="change impact/urgency; deadlines are recomputed")
    p.add_argument("incident")
    p.add_argument("--impact", type=_scale, required=True)
    p.add_argument("--urgency", type=_scale, required=True)
    p.add_argument("--reason", required=True)
    p = sub.add_parser("hold", help="wait for the caller or a supplier; the restore clock pauses")
    p.add_argument("incident")
    p.add_argument("--reason", nargs=2, metavar=("caller|supplier", "TEXT"), required=True)
    p = sub.add_parser("workaround", help="service restored; the restore clock stops")
    p.add_argument("incident")
    p.add_argument("text")
    p = sub.add_parser("resolve")
    p.add_argument("incident")
    p.add_argument("--resolution", required=True)
    p.add_argument("--problem", help="problem record, PRB-n (required for P1)")
    for name in ("reopen", "cancel"):
        p = sub.add_parser(name)
        p.add_argument("incident")
        p.add_argument("--reason", required=True)

    p = sub.add_parser("report", help="MTTA, MTTR and SLA compliance per service and priority")
    p.add_argument("--since", default="30d")
    p = sub.add_parser("completion", help="print a shell completion script")
    p.add_argument("shell", choices=("bash",))
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    return build_parser(dict(os.environ)).parse_args(argv)
