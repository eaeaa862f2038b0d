"""The commands engineers send, as incidentctl's command line offers them: from this table it builds
each subcommand, its flags, help and completion, and the input it sends (parser, inputs, completion).

Adding a command is one row here, its input model in domain.commands (ENGINEER_INPUTS; `apply()` says
what it does to the incident, through domain.actions), its update in workflows.contract
(ENGINEER_UPDATES), and that update declared on IncidentWorkflow.

Standard library only: `--help` and every command import it without pydantic, so they start fast (B3).
"""

from dataclasses import dataclass

from domain.formats import PROBLEM_PATTERN


@dataclass(frozen=True)
class Option:
    """One command-line argument and the input field(s) it fills."""

    flags: tuple[str, ...]  # ("--group",), or ("text",) for a positional
    fields: tuple[str, ...]  # the input model's field(s); two for `hold --reason KIND TEXT`
    help: str
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()  # allowed values (of the first value when there are two)
    scale: bool = False  # impact/urgency: 1, 2 or 3
    pattern: str = ""  # a regular expression the value must match...
    example: str = ""  # ...shown in the refusal: "--problem must look like PRB-123"
    switch: bool = False  # a flag without a value (store_true)
    exclusive_group: str = ""  # options sharing a group name: exactly one of them is required
    metavar: tuple[str, ...] = ()
    group: bool = False  # names a group: any the catalog or oncall.toml knows (incidentctl checks it)

    @property
    def field(self) -> str:
        return self.fields[0]

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")


@dataclass(frozen=True)
class EngineerCommand:
    name: str  # what engineers type: `incidentctl ack INC-1042`; also the timeline's action
    help: str  # one line for `incidentctl --help`
    options: tuple[Option, ...] = ()


def _text(flag: str, field: str, help: str) -> Option:
    return Option((flag,), (field,), help, required=True)


def _reason(help: str = "why, in a sentence (recorded in the timeline)") -> Option:
    return _text("--reason", "reason", help)


ENGINEER_COMMANDS: tuple[EngineerCommand, ...] = (
    EngineerCommand("ack", "acknowledge: take the incident on (stops its response escalation)"),
    EngineerCommand("assign", "hand the incident to a group, optionally to one person in it", (
        Option(("--group",), ("group",), "the assignment group: one of the service's, or any other group the"
               " catalog or oncall.toml knows (a misrouted incident goes to the team that can fix it)",
               required=True, group=True),
        Option(("--person",), ("person",), "a person of that group (default: the group as a whole)", default=""),
    )),
    EngineerCommand("escalate",
                    "functional (--to GROUP, another support line) or hierarchical (--management) escalation", (
        Option(("--to",), ("to_group",), "the group to hand it to: the next support line, or any group the"
               " catalog or oncall.toml knows", exclusive_group="direction", group=True),
        Option(("--management",), ("management",), "inform the service manager", switch=True,
               exclusive_group="direction"),
        _reason(),
    )),
    EngineerCommand("note", "add a note to the timeline", (
        _text("text", "text", "the note"),
    )),
    EngineerCommand("update",
                    "a business-facing update on the status page (people write it: never hosts, alerts or names)", (
        _text("--public", "text", "what the business reads, e.g. \"We are restoring card payments\""),
    )),
    EngineerCommand("diagnose", "record a finding; --category recategorizes", (
        _text("--finding", "finding", "what was found"),
        Option(("--category",), ("category",), "a category of the service (default: keep the current one)"),
    )),
    EngineerCommand("priority",
                    "change impact x urgency; the deadlines are recomputed from the logged time", (
        Option(("--impact",), ("impact",), "1 widespread, 2 a group of users, 3 one user or a redundant part",
               required=True, scale=True),
        Option(("--urgency",), ("urgency",), "1 high, 2 medium, 3 low", required=True, scale=True),
        _reason(),
    )),
    EngineerCommand("hold", "wait for the caller or a supplier; the restore clock pauses", (
        Option(("--reason",), ("reason", "text"), "who it waits for, and why", required=True,
               choices=("caller", "supplier"), metavar=("caller|supplier", "TEXT")),
    )),
    EngineerCommand("resume", "back to work after a hold; the restore clock runs again"),
    EngineerCommand("workaround",
                    "the service is restored by a workaround; the restore clock stops", (
        _text("text", "text", "what restored the service"),
    )),
    EngineerCommand("resolve", "the cause is fixed or handed to problem management", (
        _text("--resolution", "resolution", "what fixed it"),
        Option(("--problem",), ("problem",), "the problem record for the permanent fix (required for P1)",
               pattern=PROBLEM_PATTERN, example="PRB-123"),
    )),
    EngineerCommand("confirm", "the caller confirms the resolution: the incident closes"),
    EngineerCommand("reopen", "reopen a restored or resolved incident", (_reason(),)),
    EngineerCommand("cancel", "close an incident that was not one (outcome cancelled)",
                    (_reason(),)),
)  # fmt: skip

BY_NAME = {command.name: command for command in ENGINEER_COMMANDS}
