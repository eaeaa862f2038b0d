"""All an incident's workflow knows: the one state it keeps, and carries whole across continue-as-new.

In domain/ so the worker's sandbox passes it through (workflows/ is imported again for every run).
What lasts only as long as one run (tasks, timers, what was last shown in the Web UI) stays with
the workflow's helpers (workflows/steps/).
"""

from pydantic import BaseModel

from domain.alerts import AlertEvent
from domain.incident import Incident


class IncidentState(BaseModel):
    incident: Incident
    # An alert that fires again after its incident closed starts the next incident on the same
    # workflow id (continue-as-new); the generation keeps their records apart.
    generation: int = 0
    recorded_seq: int = 0  # timeline entries already written to Postgres
    undelivered: bool = False  # entries recorded whose notifications are not yet handed to delivery
    late_alerts: list[AlertEvent] = []  # fired after it closed, while its run was finishing: the next incident's
    rejection: str | None = None  # registration refused it: outside the agreements, no incident
