"""What the page makes of each incident it lists (its HTML article, its Statuspage document), kept
while the board publishes the incident unchanged (pages/status/board.py keeps the very object): on a
night with thousands of open incidents, a rebuild renders the few that changed (make bench B11)."""

from collections.abc import Callable
from typing import Generic, TypeVar

from domain.status import PublicIncident

Made = TypeVar("Made")


class PerIncident(Generic[Made]):
    def __init__(self, make: Callable[[PublicIncident], Made]) -> None:
        self._make = make
        self._made: dict[str, tuple[PublicIncident, Made]] = {}

    def of(self, incidents: list[PublicIncident]) -> list[Made]:
        """`make` of each incident, in their order; only those of the last call are kept."""
        made = {}
        for item in incidents:
            kept = self._made.get(item.number)
            made[item.number] = kept if kept is not None and kept[0] is item else (item, self._make(item))
        self._made = made
        return [made[item.number][1] for item in incidents]
