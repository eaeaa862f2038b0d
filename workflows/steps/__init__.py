"""The steps IncidentWorkflow takes, as plain objects: each is handed the incident's state and the
callbacks it needs (the workflow's key for the record, `changed` or `wake`), and keeps only what
lasts one run (its tasks)."""
