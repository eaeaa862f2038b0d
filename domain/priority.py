"""Business priority: impact x urgency, never typed by hand (DESIGN section 4)."""

from domain.enums import Priority

# Rows are impact 1 (widespread) .. 3 (single user / redundant part),
# columns urgency 1 (high) .. 3 (low).
PRIORITY_MATRIX: dict[tuple[int, int], Priority] = {
    (1, 1): Priority.P1, (1, 2): Priority.P2, (1, 3): Priority.P3,
    (2, 1): Priority.P2, (2, 2): Priority.P3, (2, 3): Priority.P4,
    (3, 1): Priority.P3, (3, 2): Priority.P4, (3, 3): Priority.P5,
}  # fmt: skip


class InvalidScale(ValueError):
    """Impact or urgency outside 1..3."""


def priority_for(impact: int, urgency: int) -> Priority:
    try:
        return PRIORITY_MATRIX[(impact, urgency)]
    except KeyError:
        raise InvalidScale(
            f"impact and urgency must each be 1, 2 or 3 (got impact={impact}, urgency={urgency})"
        ) from None


def is_major(priority: Priority) -> bool:
    """P1 is a major incident: its own escalation and stakeholder cadence."""
    return priority is Priority.P1


# What a sender's severity says before the catalog is read (catalog.toml's defaults): for the order
# of queued work only. The incident's priority is decided by its agreement when it is prioritized.
SEVERITY_SCALE: dict[str, tuple[int, int]] = {"critical": (1, 1), "error": (2, 1), "warning": (2, 2), "info": (3, 3)}


def queue_priority(impact: int | None, urgency: int | None, severity: str) -> int:
    """Temporal's task priority key for a new incident's workflow (1 first .. 5; unset means 3), so
    when the worker is behind, a P1's steps are handed out before a P3 storm's (make bench B7)."""
    guess_impact, guess_urgency = SEVERITY_SCALE.get(severity.lower(), (2, 2))
    return int(priority_for(impact or guess_impact, urgency or guess_urgency).value.removeprefix("P"))
