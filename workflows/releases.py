"""Releases of the workflow code, and the rule that keeps IncidentWorkflow free of old branches.

An incident's workflow replays its history with whatever code the worker runs, so a change to the
commands the workflow makes is never just made: it is a patch under a named release, and the
release's patches and recorded histories are deleted once none of its incidents can still be running
(Temporal's patch, deprecate, remove; samples-python `patching/`).

1. **Patch.** Release N+1 changes `x`: `if patches("x"):` with the old branch kept, `x` listed
   under `RELEASES["N+1"]`, "N+1" appended to SUPPORTED, and tests/replay/histories/N+1/ recorded
   beside histories/N/. A new incident records one marker, its release's (`release-N+1`), which
   takes every change of that release and of the ones before it; an incident of release N has no
   such marker and keeps N's branches.
2. **Deprecate.** Once `incidentctl releases` shows no incident of N running, drop N from
   SUPPORTED, delete histories/N/ and the old branches of N+1's changes, and ask for N+1's
   marker with `workflow.deprecate_patch("release-N+1")`: a deprecated marker does not fail
   replay when the code stops emitting it.
3. **Remove.** Once no incident of N+1 runs either, remove the deprecate call.

Each incident records the release of its run's code in the IncidentRelease search attribute (set
at start, upserted by every run, so a hand-over to a newer worker says so). A worker refuses to
start while an incident of a release outside SUPPORTED, or of none, is running (`refusal`): those
must be finished or cancelled with the code that began them.
"""

from temporalio import workflow

# oldest first; a worker refuses to start beside any other release running
SUPPORTED: tuple[str, ...] = ("1.0", "1.1", "1.2", "1.3", "1.4")
# release -> the patch ids it introduced; never edit a released entry (its incidents would take a
# change their histories do not have)
RELEASES: dict[str, frozenset[str]] = {
    "1.1": frozenset({"pages-on-their-own-queue"}),  # workflows/steps/paging.py
    # workflows/steps/registration.py and workflows/steps/paging.py
    "1.2": frozenset({"registration-in-the-workflow-task", "p1-pages-on-the-urgent-queue"}),
    # workflows/visibility.py
    "1.3": frozenset({"web-ui-once-per-task"}),
    # workflows/visibility.py
    "1.4": frozenset({"web-ui-only-what-moved"}),
}
CURRENT = SUPPORTED[-1]
# Until 1.3 a new incident recorded the marker of every release up to its own; from 1.3 on, only its
# own (one marker and one TemporalChangeVersion upsert fewer per release in every new incident's history).
ONE_MARKER_FROM = "1.3"
# The query a worker asks before it polls (worker.py): running incidents begun by code it cannot replay.
UNSUPPORTED_RUNNING = (
    "WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' AND (IncidentRelease IS NULL OR "
    + "IncidentRelease NOT IN ({}))".format(", ".join(f"'{release}'" for release in SUPPORTED))
)
BEFORE_FIRST = f"before {SUPPORTED[0]}"  # how an incident without IncidentRelease is named


class Patches:
    """Built first thing in the workflow's __init__: a new incident records its release's marker
    before any other command. `patches("x")` answers whether this incident's code has change `x`."""

    def __init__(self) -> None:
        self.release, self._taken = SUPPORTED[0], frozenset[str]()
        releases = list(RELEASES)
        single = releases.index(ONE_MARKER_FROM)
        for at in reversed(range(single, len(releases))):  # newest first: the first marker found is the release
            if workflow.patched(f"release-{releases[at]}"):
                self.release = releases[at]
                self._taken = frozenset[str]().union(*(RELEASES[r] for r in releases[: at + 1]))
                return
        for release in releases[:single]:  # asked as those incidents recorded them: oldest first, each
            if workflow.patched(f"release-{release}"):
                self.release, self._taken = release, self._taken | RELEASES[release]

    def __call__(self, change: str) -> bool:
        return change in self._taken or workflow.patched(change)


def release_name(release: str | None) -> str:
    return release or BEFORE_FIRST


def refusal(running: list[tuple[str, str | None]], total: int) -> str:
    """What a worker says when it will not start: which incidents, of which release, and what to do.
    `running`: (number or workflow id, IncidentRelease) of some; `total`: how many there are."""
    names = ", ".join(f"{name} ({release_name(release)})" for name, release in running)
    more = f" and {total - len(running)} more" if total > len(running) else ""
    return (
        f"{total} running incident(s) began on workflow code this worker ({CURRENT}) cannot replay: {names}{more}."
        " Finish or cancel them with the previous version (its worker, and incidentctl cancel INC-... --reason"
        f" ...), then start this one. Supported releases: {', '.join(SUPPORTED)}; incidentctl releases lists them."
    )
