"""The service layer's outcomes (operations.outcomes) as the API's problems: each kind to its status,
its one line kept as the detail incidentctl prints."""

from api.problems import Problem
from operations.outcomes import InvalidInput, NoSuchIncident, NotDone, RefusedNow, Unavailable, UnknownName

STATUS: tuple[tuple[type[NotDone], int], ...] = (
    (NoSuchIncident, 404),
    (InvalidInput, 400),
    (UnknownName, 422),
    (RefusedNow, 409),
    (Unavailable, 503),
)


def problem_of(err: NotDone, not_found: tuple[type[NotDone], ...] = ()) -> Problem:
    """`not_found`: the caller's own kinds of "no such thing" (an override, a window), answered 404."""
    if isinstance(err, not_found):
        return Problem(404, str(err))
    status = next((code for kind, code in STATUS if isinstance(err, kind)), 400)
    headers = {"Retry-After": "5"} if status == 503 else None
    return Problem(status, str(err), headers=headers)
