"""A hold the forwarder puts on some of its calls (starter/intake/p1_first.py, intake_first.py), bounded:
never more than `at_most` seconds in a row, then the held calls go on for at least `release` seconds
whatever asks for a hold, so what waits, safe in the inbox, is slowed and never stopped.

Pure bookkeeping on the monotonic clock the caller passes in."""


class BoundedHold:
    def __init__(self, at_most: float, release: float) -> None:
        self._at_most, self._release = at_most, release
        self._held_since: float | None = None  # when the current hold began
        self._released_until = 0.0  # the held calls go on until then, asked or not

    def holds(self, asked: bool, now: float) -> bool:
        """Whether the calls wait now, given whether the caller's reason for a hold is in force."""
        if not asked or now < self._released_until:
            self.start_over()
            return False
        if self._held_since is None:
            self._held_since = now
        if now - self._held_since >= self._at_most:
            self._released_until, self._held_since = now + self._release, None
            return False
        return True

    def start_over(self) -> None:
        """The next hold is counted from its own start (a release in force stays)."""
        self._held_since = None

    def ends_by(self) -> float:
        """The latest end of the hold in force (call after `holds` answered True)."""
        assert self._held_since is not None
        return self._held_since + self._at_most
