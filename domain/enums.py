"""The names users and auditors see: states, outcomes, sources, actions."""

from enum import StrEnum


class State(StrEnum):
    LOGGED = "logged"
    CATEGORIZED = "categorized"
    PRIORITIZED = "prioritized"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESTORED = "restored"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Outcome(StrEnum):
    RESOLVED = "resolved"
    KNOWN_ERROR = "known_error"
    RECENT_CHANGES = "recent_changes"  # what release management deployed just before
    KNOWN_ERROR_OFFERED = "known_error_offered"  # published while the incident was open
    DUPLICATE = "duplicate"
    CANCELLED = "cancelled"


class Source(StrEnum):
    ENGINEER = "engineer"
    SUPPLIER = "supplier"
    ALERTMANAGER = "alertmanager"
    EVENTS_API = "events_api"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"


class HoldReason(StrEnum):
    CALLER = "caller"
    SUPPLIER = "supplier"


class Action(StrEnum):
    """Every entry of an incident's timeline is one of these."""

    # the process steps the workflow takes by itself
    REGISTER = "register"
    CATEGORIZE = "categorize"
    PRIORITIZE = "prioritize"
    KNOWN_ERROR = "known_error"
    RECENT_CHANGES = "recent_changes"  # what release management deployed just before
    KNOWN_ERROR_OFFERED = "known_error_offered"  # published while the incident was open
    # what engineers do (incidentctl)
    ACK = "ack"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    NOTE = "note"
    PUBLIC_UPDATE = "update"  # business-facing, on the status page (incidentctl update --public)
    DIAGNOSE = "diagnose"
    CHANGE_PRIORITY = "priority"
    HOLD = "hold"
    RESUME = "resume"
    WORKAROUND = "workaround"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    CANCEL = "cancel"
    # what alert sources do
    ALERT_FIRED = "alert_fired"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    ALERT_RESOLVED = "alert_resolved"
    # what the agreed times do
    RESPONSE_ESCALATION = "response_escalation"
    MAJOR_ESCALATION = "major_escalation"
    RESTORE_WARNING = "restore_warning"
    SLA_BREACH = "sla_breach"
    STAKEHOLDER_REMINDER = "stakeholder_reminder"
    AUTO_CLOSE = "auto_close"
    QUIET_CLOSE = "quiet_close"
    # paging people until someone acknowledges (domain.paging)
    PAGE = "page"
    PAGE_ACK = "page_ack"
    PAGING_EXHAUSTED = "paging_exhausted"


OPEN_STATES = frozenset(State) - {State.CLOSED}
