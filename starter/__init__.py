"""The edges that start and drive incident workflows: local stack, alert receiver, incidentctl."""
