"""What starts and signals incidents: the receiver's alert intake (intake/), incidentctl, incidents.py
(numbered starts), incident_lookup.py and known_error_publishing.py (starts KnownErrorLinks)."""
