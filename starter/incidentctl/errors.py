"""incidentctl's exit codes and the errors that end a command with one.

Exit codes: 0 done, 1 refused (reason in one line), 2 usage error, 3 cannot reach the incident API (or
what it needs, Temporal or the incident database, as its 503 says).
Every command module raises these; main() turns them into the code and the line.
"""

from typing import Any

# re-exported: the API client and login say their exit 3 in these words
from runtime.unreachable import why_unreachable as why_unreachable

DONE, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Refused(Exception):
    """The incident (or the server) said no; the message is the one line shown."""


class Unreachable(Exception):
    pass


def validation_refusal(err: Any) -> Refused:
    """A pydantic ValidationError, in one line."""
    first = err.errors()[0]
    return Refused(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")
