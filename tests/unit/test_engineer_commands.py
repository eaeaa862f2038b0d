"""The one table of engineer commands agrees with the models, the lifecycle rules and the CLI it builds."""

import argparse

import pytest

from domain import commands
from domain.enums import Action
from domain.lifecycle import ENGINEER_RULES
from domain.names import closest, unknown_name
from starter.incidentctl.commands import ENGINEER_COMMANDS
from starter.incidentctl.inputs import InputRefused, update_input
from starter.incidentctl.parser import build_parser


def test_every_engineer_action_has_exactly_one_command_and_its_model_exists():
    assert {Action(c.name) for c in ENGINEER_COMMANDS} == set(ENGINEER_RULES)
    for command in ENGINEER_COMMANDS:
        model = commands.ENGINEER_INPUTS[command.name]
        assert issubclass(model, commands.EngineerInput), command.name
        for option in command.options:
            assert set(option.fields) <= set(model.model_fields), (command.name, option.fields)
    assert len(commands.ENGINEER_INPUTS) == len(ENGINEER_COMMANDS)


@pytest.mark.parametrize("command", ENGINEER_COMMANDS, ids=lambda c: c.name)
def test_every_command_parses_into_the_input_its_model_accepts(command):
    argv = [command.name, "INC-7"]
    for option in command.options:
        if option.switch:
            continue
        value = option.example or ("2" if option.scale else "caller" if option.choices else "text")
        values = [value, "why"] if len(option.fields) > 1 else [value]
        argv += values if option.positional else [option.flags[0], *values]
    args = build_parser({"INCIDENT_USER": "ana"}).parse_args(argv)
    payload = update_input(command, args)
    assert payload["actor"] == "ana"
    commands.ENGINEER_INPUTS[command.name].model_validate(payload)  # what the CLI sends, the workflow takes


def test_global_options_after_the_command_win_and_before_it_still_work():
    parser = build_parser({"INCIDENT_USER": "ana"})
    assert parser.parse_args(["ack", "INC-1", "--as", "bob"]).actor == "bob"
    assert parser.parse_args(["--as", "carl", "ack", "INC-1"]).actor == "carl"
    assert parser.parse_args(["ack", "INC-1"]).actor == "ana"
    assert parser.parse_args(["show", "INC-1", "-o", "json"]).output == "json"
    assert parser.parse_args(["show", "INC-1"]).output == "table"


def test_values_are_refused_in_sentences_that_name_the_flag():
    parser = build_parser({"INCIDENT_USER": "ana"})
    resolve = next(c for c in ENGINEER_COMMANDS if c.name == "resolve")
    args = parser.parse_args(["resolve", "INC-1", "--resolution", "fixed", "--problem", "PRB12"])
    with pytest.raises(InputRefused, match=r"^--problem must look like PRB-123 \(got 'PRB12'\)$"):
        update_input(resolve, args)
    note = next(c for c in ENGINEER_COMMANDS if c.name == "note")
    for text, why in (("x" * 2001, "TEXT is 2001 characters long; at most 2000"), ("  ", "TEXT must not be empty"),
                      ("a\x00b", "TEXT contains a NUL character")):  # fmt: skip
        with pytest.raises(InputRefused, match=why):
            update_input(note, parser.parse_args(["note", "INC-1", text]))
    hold = next(c for c in ENGINEER_COMMANDS if c.name == "hold")
    with pytest.raises(InputRefused, match="--reason must be caller or supplier"):
        update_input(hold, parser.parse_args(["hold", "INC-1", "--reason", "vendor", "waiting"]))


def test_a_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser({}).parse_args(["priority", "INC-1", "--impact", "7", "--urgency", "1", "--reason", "x"])
    assert exited.value.code == 2 and "must be 1, 2 or 3" in capsys.readouterr().err


@pytest.mark.parametrize(("typed", "meant"), [("platfrom-sre", "platform-sre"), ("chekout", "checkout"),
                                               ("inprogress", "in_progress"), ("perf", "performance"),
                                               ("CHECKOUT", "checkout"), ("zzz", None)])  # fmt: skip
def test_the_closest_known_name_is_what_was_meant(typed, meant):
    known = ["platform-sre", "checkout", "in_progress", "performance", "payroll"]
    assert closest(typed, known) == meant


def test_an_unknown_name_lists_the_valid_ones():
    assert unknown_name("a state", "opn", ["open", "closed"]) == (
        "'opn' is not a state: choose one of open, closed (did you mean open?)"
    )


def test_help_gives_every_option_a_description():
    parser = build_parser({})
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{name} {action.option_strings} has no help"


def test_an_action_sent_on_someones_behalf_names_both_in_its_timeline_entries_and_alone_names_one():
    from datetime import timedelta

    from tests.unit.test_view import incident

    behalf, alone = incident(), incident()
    at = behalf.logged_at + timedelta(minutes=1)
    commands.Ack(actor="alice", by="bob").act(behalf, at)
    commands.Ack(actor="alice").act(alone, at)
    assert behalf.timeline[-1].actor == alone.timeline[-1].actor == "alice"
    assert behalf.timeline[-1].detail == f"{alone.timeline[-1].detail} (by bob for alice)"
    assert "bob" not in alone.timeline[-1].detail
    public = incident()
    commands.PublicUpdate(actor="alice", by="bob", text="We are restoring card payments").act(public, at)
    assert public.timeline[-1].detail == "We are restoring card payments"  # the status page shows it: no names
