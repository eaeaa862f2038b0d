"""Deadline math for the agreed response and restore times (DESIGN section 4).

Deadlines are measured from the logged time, so a priority change recomputes them
from the start; time while the restore clock is paused (on hold, or restored
before a reopen) is added back.
"""

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from domain.catalog import Targets
from domain.incident import Incident


class Deadlines(BaseModel):
    response_due: AwareDatetime | None = None
    restore_warning_at: AwareDatetime | None = None
    restore_due: AwareDatetime | None = None


def targets(incident: Incident) -> Targets | None:
    if incident.agreement is None or incident.priority is None:
        return None
    return incident.agreement.targets[incident.priority]


def paused_for(incident: Incident, now: datetime) -> timedelta:
    """All paused time so far, including a pause still running at `now`; a closed incident's clock
    stops at its close, so its restore due reads the same whenever it is asked."""
    until = min(now, incident.closed_at) if incident.closed_at else now
    ongoing = (until - incident.paused_since) if incident.paused_since else timedelta()
    return timedelta(seconds=incident.paused_seconds) + max(ongoing, timedelta())


def response_due(incident: Incident) -> datetime | None:
    agreed = targets(incident)
    return incident.logged_at + agreed.response if agreed else None


def restore_due(incident: Incident, now: datetime) -> datetime | None:
    agreed = targets(incident)
    return incident.logged_at + agreed.restore + paused_for(incident, now) if agreed else None


def restore_warning_at(incident: Incident, now: datetime) -> datetime:
    agreed = targets(incident)
    assert agreed is not None and incident.agreement is not None
    return incident.logged_at + agreed.restore * incident.agreement.warning_ratio + paused_for(incident, now)


def deadlines(incident: Incident, now: datetime) -> Deadlines:
    if targets(incident) is None:
        return Deadlines()
    return Deadlines(
        response_due=response_due(incident),
        restore_warning_at=restore_warning_at(incident, now),
        restore_due=restore_due(incident, now),
    )


def restore_clock_running(incident: Incident) -> bool:
    return targets(incident) is not None and incident.paused_since is None and not incident.is_closed


def time_to_restore(incident: Incident) -> timedelta | None:
    """Logged to restored, less the time on hold: what the agreement measures."""
    if incident.restored_at is None:
        return None
    # a pause still running began at or before the restore (e.g. alerts resolved while on hold)
    return incident.restored_at - incident.logged_at - paused_for(incident, incident.restored_at)
