"""domain.rules.Rules answered by the incident's patches (workflows/patches.py), one per rule, asked when read.

Asked lazily on purpose: a patch asked earlier in a run than the code that recorded its marker
asked it would answer False on replay (the marker is further on) and break the history.
"""

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.rules import Rules


class PatchedRules(Rules):
    def __init__(self, patched: Callable[[str], bool]) -> None:
        self._patched = patched  # workflows.patches.Patches of the running incident

    @property  # type: ignore[override]
    def quiet_from_last_resolve(self) -> bool:
        return self._patched("alerts-quiet-from-last-resolve")

    @property  # type: ignore[override]
    def remember_early_ack(self) -> bool:
        return self._patched("alerts-early-ack")

    @property  # type: ignore[override]
    def reopen_unacknowledged(self) -> bool:
        return self._patched("reopen-unacknowledged-to-prioritized")

    @property  # type: ignore[override]
    def integration_ack_assigns(self) -> bool:
        return not self._patched("integration-ack-not-assignee")

    @property  # type: ignore[override]
    def integration_ack_stops_paging(self) -> bool:
        return self._patched("integration-ack-stops-paging")
