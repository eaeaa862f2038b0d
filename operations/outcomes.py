"""Why an operation did not happen, each in one line a person reads (the API answers it as its problem
detail, incidentctl prints it). The API maps each kind to its HTTP status (api/routes/incidents.py)."""


class NotDone(Exception):
    """The operation did not happen; the message says why in one line."""


class NoSuchIncident(NotDone):
    """No incident by that number or workflow id (404)."""


class NotFound(NotDone):
    """No such thing by that id: an on-call override, a maintenance window, a known error (404)."""


class InvalidInput(NotDone):
    """A value the operation cannot take as it is (400)."""


class UnknownName(NotDone):
    """A service, category, group or state nobody knows: the valid names and the closest match (422)."""


class RefusedNow(NotDone):
    """The incident refuses it in its current state: the workflow's validator's words (409)."""


class Unavailable(NotDone):
    """Temporal or the incident database cannot be reached: which, where and why (503)."""
