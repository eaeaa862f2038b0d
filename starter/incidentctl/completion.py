"""`incidentctl completion bash`: eval "$(incidentctl completion bash)" in ~/.bashrc.

Commands, their options, states and priorities come from the parser itself, so completion never falls behind it.
"""

import argparse

from starter.incidentctl.parser import PRIORITIES, STATES, build_parser


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    commands: dict[str, list[str]] = {}
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        options = [flag for action in command._actions for flag in action.option_strings if flag.startswith("--")]
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        commands[name] = sorted(set(options)) + (sorted(nested[0].choices) if nested else [])
    return list(sub.choices), commands


def bash_completion() -> str:
    names, options = _words(build_parser({}))
    cases = "\n".join(f'        {name}) opts="{" ".join(words)}" ;;' for name, words in options.items())
    return f"""_incidentctl() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" opts
    case "$prev" in
        -o|--output) COMPREPLY=( $(compgen -W "table json" -- "$cur") ); return ;;
        --state) COMPREPLY=( $(compgen -W "{" ".join(STATES)}" -- "$cur") ); return ;;
        --priority) COMPREPLY=( $(compgen -W "{" ".join(PRIORITIES)}" -- "$cur") ); return ;;
    esac
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=( $(compgen -W "{" ".join(names)} --as -o --request-id --help" -- "$cur") )
        return
    fi
    case "${{COMP_WORDS[1]}}" in
{cases}
        *) opts="" ;;
    esac
    COMPREPLY=( $(compgen -W "$opts --as -o --request-id" -- "$cur") )
}}
complete -F _incidentctl incidentctl
"""
