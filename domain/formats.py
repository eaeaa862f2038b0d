"""Formats an engineer's input must have: the input models (domain.commands) enforce them, and
incidentctl checks them before sending, so a refusal names the flag in a sentence. Standard library
only: incidentctl imports this without pydantic."""

PROBLEM_PATTERN = r"^PRB-\d+$"
TEXT_LIMIT = 2000  # domain.commands.Text
