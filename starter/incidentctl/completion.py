"""`incidentctl completion bash`: eval "$(incidentctl completion bash)" in ~/.bashrc."""

from starter.incidentctl.parser import CHANGING

COMMANDS = ("open", "list", "show", *CHANGING, "report", "completion")


def bash_completion() -> str:
    words = " ".join(COMMANDS)
    return f"""_incidentctl() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}"
    if [ "$COMP_CWORD" -eq 1 ] || [[ "${{COMP_WORDS[COMP_CWORD-1]}}" == -o ]]; then
        COMPREPLY=( $(compgen -W "{words} --as -o --request-id table json" -- "$cur") )
    else
        COMPREPLY=( $(compgen -W "--service --summary --impact --urgency --caller --supplier --ci --state --priority \\
--breached --all --history --group --person --to --management --reason --finding --category --resolution \\
--problem --since" -- "$cur") )
    fi
}}
complete -F _incidentctl incidentctl
"""
