"""Every change to IncidentWorkflow since its first release is guarded by a `workflow.patched()` id,
so incidents already running keep the code their history was recorded with (tests/replay).

A new incident takes every change of a release at once, with one marker for the release rather
than one marker per change in its history: `Patches` asks for the release's id when the run
begins, and answers the changes listed under it from that. An incident begun earlier has no
release marker and asks for each change by itself, as it always did. A change made after a
release is a new id under a new release entry (never added to a released one: incidents begun
under that release would then take a change their history does not have).
"""

from temporalio import workflow

RELEASES: dict[str, frozenset[str]] = {
    "release-2026-12": frozenset({
        # up to 2026-11
        "deliver-notifications", "refresh-after-hand-over", "alerts-quiet-from-last-resolve", "alerts-early-ack",
        "late-alerts-open-next-incident", "timers-beside-projection", "alerts-once-from-inbox",
        # 2026-12: numbers at intake and what real clients found (issue 11)
        "timers-kept-when-unchanged", "responders-search-attribute", "rejected-visible-as-refused",
        "reopen-unacknowledged-to-prioritized", "integration-ack-not-assignee", "hand-over-keeps-generation",
        "open-answers-once-recorded",
    }),
    "release-2026-12-oncall": frozenset({
        # paging people by escalation policy until someone acknowledges (issue 12)
        "paging",
    }),
    "release-2026-12-releases": frozenset({
        # release management feeds incident management (issue 13): changes shown, known errors offered
        "recent-changes", "known-error-phrases", "known-error-offers",
    }),
    "release-2026-12-status": frozenset({
        # the status page (issue 14): a major incident's reminder asks for a public update
        "public-update-reminder",
    }),
    "release-2026-12-03": frozenset({
        # registration, the known-error check and the recent changes in one activity (make bench B7);
        # an events-API acknowledge stops the paging of an incident already in work; a published known
        # error's offer is sent to the incident's assignee too
        "first-steps-in-one-activity", "integration-ack-stops-paging", "known-error-offer-to-assignee",
    }),
}  # fmt: skip


class Patches:
    def __init__(self) -> None:
        """Call in the workflow's __init__: the release markers come first in a new incident's history."""
        self._released = {change for release, changes in RELEASES.items() if workflow.patched(release)
                          for change in changes}  # fmt: skip

    def __call__(self, change: str) -> bool:
        return change in self._released or workflow.patched(change)
