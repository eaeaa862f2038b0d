"""The forwarder's intake-first hold (starter/intake/intake_first.py), on made-up monotonic times."""

from starter.intake.intake_first import (
    BURST_ROWS,
    BURST_SECONDS,
    HOLD_AT_MOST_SECONDS,
    RELEASE_SECONDS,
    IntakeFirst,
)


def test_a_lone_alert_and_a_trickle_are_never_held():
    intake = IntakeFirst()
    assert not intake.holds_the_calls(0.0)
    intake.rows_read(1, 0.0)
    assert not intake.holds_the_calls(0.0)
    assert intake.ends_at(0.0) is None
    for n in range(100):  # a row every BURST_SECONDS / (BURST_ROWS - 2): always under a burst
        now = 1.0 + n * BURST_SECONDS / (BURST_ROWS - 2)
        intake.rows_read(1, now)
        assert not intake.holds_the_calls(now), n


def test_a_burst_holds_the_calls_until_it_pauses():
    intake = IntakeFirst()
    intake.rows_read(BURST_ROWS, 10.0)
    assert intake.holds_the_calls(10.0)
    assert intake.ends_at(10.0) == 10.0 + BURST_SECONDS  # no more rows: the burst is over then
    intake.rows_read(BURST_ROWS // 2, 10.1)
    assert intake.holds_the_calls(10.1)
    # the first rows leave the window at 10.2; the later ones alone are no burst
    assert intake.ends_at(10.1) == 10.0 + BURST_SECONDS
    assert not intake.holds_the_calls(10.0 + BURST_SECONDS)


def test_rows_in_many_small_reads_make_a_burst_too():
    intake = IntakeFirst()
    for n in range(BURST_ROWS):
        intake.rows_read(1, 5.0 + n * 0.001)
    assert intake.holds_the_calls(5.0 + BURST_ROWS * 0.001)


def test_a_storm_that_never_pauses_is_held_at_most_so_long_then_forwarded_for_the_release():
    intake, step, timeline = IntakeFirst(), 0.01, ""
    for n in range(2000):  # 100 rows a second for 20 s: H held, . forwarding
        now = n * step
        intake.rows_read(1, now)
        timeline += "H" if intake.holds_the_calls(now) else "."
    holds = [len(run) for run in timeline.split(".") if run]
    releases = [len(run) for run in timeline.strip(".").split("H") if run][:-1]  # the last may be cut short
    assert len(holds) >= 6 and max(holds) * step <= HOLD_AT_MOST_SECONDS + step
    assert releases and min(releases) * step >= RELEASE_SECONDS - step


def test_the_hold_ends_at_its_bound_when_the_burst_goes_on():
    intake = IntakeFirst()
    intake.rows_read(BURST_ROWS, 0.0)
    assert intake.holds_the_calls(0.0)
    intake.rows_read(BURST_ROWS, HOLD_AT_MOST_SECONDS - 0.05)
    assert intake.ends_at(HOLD_AT_MOST_SECONDS - 0.05) == HOLD_AT_MOST_SECONDS
    assert not intake.holds_the_calls(HOLD_AT_MOST_SECONDS)
