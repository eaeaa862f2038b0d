"""Error type names are the wire contract between activities, workflows and clients."""

SERVICE_NOT_IN_CATALOG = "ServiceNotInCatalog"
ILLEGAL_TRANSITION = "IllegalTransition"
INCIDENT_CLOSED = "IncidentClosed"  # the `alerts` update: this incident takes no more alerts; open the next one
