"""incidentctl: the engineers' CLI. Every changing command is a Temporal Update with a validator."""
