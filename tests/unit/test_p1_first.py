"""The forwarder's P1-first hold (starter/intake/p1_first.py), on made-up monotonic times."""

from starter.intake.p1_first import HOLD_AT_MOST_SECONDS, HOLD_SECONDS, RELEASE_SECONDS, STORM_CALLS_PER_SECOND, P1First


def test_the_storm_goes_on_when_no_p1_is_being_opened():
    p1_first = P1First()
    assert not p1_first.holds_the_storm(0.0)
    assert p1_first.ends_at(0.0) is None


def test_the_storm_waits_while_a_p1_call_is_in_flight_and_a_moment_after():
    p1_first = P1First()
    p1_first.p1_call_started("p1", 10.0)
    assert p1_first.holds_the_storm(10.0)
    assert p1_first.ends_at(10.0) == 10.0 + HOLD_AT_MOST_SECONDS  # in flight: only the bound is known
    p1_first.call_ended("p1", 10.2)
    assert p1_first.holds_the_storm(10.2 + HOLD_SECONDS - 0.01)
    assert p1_first.ends_at(10.3) == 10.2 + HOLD_SECONDS
    assert not p1_first.holds_the_storm(10.2 + HOLD_SECONDS)


def test_a_storm_calls_end_changes_nothing():
    p1_first = P1First()
    p1_first.call_ended("storm", 5.0)
    assert not p1_first.holds_the_storm(5.0)


def test_a_flood_of_p1s_holds_the_storm_at_most_so_long_then_lets_it_go_on():
    p1_first, step, timeline = P1First(), 0.05, ""
    for n in range(400):  # a P1 every 0.05 s for 20 s, each call 0.02 s: H held, . going on
        now = n * step
        p1_first.p1_call_started(n, now)
        timeline += "H" if p1_first.holds_the_storm(now) else "."
        p1_first.call_ended(n, now + 0.02)
    holds = [len(run) for run in timeline.split(".") if run]
    releases = [len(run) for run in timeline.strip(".").split("H") if run][:-1]  # the last may be cut short
    assert len(holds) >= 6 and max(holds) * step <= HOLD_AT_MOST_SECONDS + step
    assert releases and min(releases) * step >= RELEASE_SECONDS


def test_after_the_longest_hold_the_storm_goes_on_for_the_release_whatever_p1s_arrive():
    p1_first = P1First()
    p1_first.p1_call_started("slow p1", 0.0)  # a P1 call that does not return (Temporal unreachable, say)
    assert p1_first.holds_the_storm(0.0)
    assert p1_first.holds_the_storm(HOLD_AT_MOST_SECONDS - 0.01)
    assert not p1_first.holds_the_storm(HOLD_AT_MOST_SECONDS)
    p1_first.p1_call_started("next p1", HOLD_AT_MOST_SECONDS)
    assert not p1_first.holds_the_storm(HOLD_AT_MOST_SECONDS + RELEASE_SECONDS - 0.01)
    assert p1_first.holds_the_storm(HOLD_AT_MOST_SECONDS + RELEASE_SECONDS)  # a new hold: both still in flight


def test_a_new_hold_is_counted_from_its_own_start_not_an_earlier_one():
    p1_first = P1First()
    p1_first.p1_call_started("first", 0.0)
    assert p1_first.holds_the_storm(0.0)
    p1_first.call_ended("first", 0.1)
    p1_first.p1_call_started("much later", 60.0)
    assert p1_first.holds_the_storm(60.0)
    assert p1_first.holds_the_storm(60.0 + HOLD_AT_MOST_SECONDS - 0.01)


def test_while_temporal_fails_calls_nothing_is_held():
    p1_first = P1First()
    p1_first.p1_call_started("p1", 0.0)
    p1_first.call_ended("p1", 0.05, failed=True)  # Temporal unreachable
    p1_first.p1_call_started("p1 again", 1.0)
    assert not p1_first.holds_the_storm(1.0)  # the storm's rows are tried too, and say why they wait
    p1_first.call_ended("p1 again", 1.05)  # Temporal is back
    p1_first.p1_call_started("next p1", 2.0)
    assert p1_first.holds_the_storm(2.0)


PACE = 1.0 / STORM_CALLS_PER_SECOND


def test_without_a_p1_the_storms_calls_go_as_fast_as_they_come():
    p1_first = P1First()
    for _ in range(50):
        p1_first.storm_call_started(3.0)
        assert not p1_first.holds_the_storm(3.0)
    assert p1_first.ends_at(3.0) is None


def test_beside_a_p1_the_storms_calls_go_at_a_pace_in_the_holds_release_too():
    p1_first = P1First()
    p1_first.p1_call_started("slow p1", 0.0)  # in flight past the longest hold: the storm is released
    assert p1_first.holds_the_storm(0.0)
    now = HOLD_AT_MOST_SECONDS
    assert not p1_first.holds_the_storm(now)
    p1_first.storm_call_started(now)
    assert p1_first.holds_the_storm(now + PACE - 0.001)
    assert p1_first.ends_at(now + PACE / 2) == now + PACE
    assert not p1_first.holds_the_storm(now + PACE)


def test_a_flood_of_p1s_lets_the_storm_go_on_at_its_pace_in_every_release():
    p1_first, step, started = P1First(), 0.001, []
    for n in range(20_000):  # a P1 every 0.05 s for 20 s; a storm call whenever one may start
        now = n * step
        if n % 50 == 0:
            p1_first.p1_call_started(n, now)
        if n % 50 == 20:
            p1_first.call_ended(n - 20, now)
        if not p1_first.holds_the_storm(now):
            p1_first.storm_call_started(now)
            started.append(now)
    gaps = [later - earlier for earlier, later in zip(started, started[1:], strict=False)]
    assert min(gaps) >= PACE - step / 2  # never faster than the pace
    releases = 20 / (HOLD_AT_MOST_SECONDS + RELEASE_SECONDS)
    assert len(started) >= (releases - 1) * RELEASE_SECONDS * STORM_CALLS_PER_SECOND  # never stopped


def test_once_the_p1s_are_done_the_storm_goes_at_full_speed_again():
    p1_first = P1First()
    p1_first.p1_call_started("p1", 0.0)
    p1_first.call_ended("p1", 0.1)
    after = 0.1 + HOLD_SECONDS
    p1_first.storm_call_started(after)
    assert not p1_first.holds_the_storm(after)


def test_while_temporal_fails_calls_the_storm_is_not_paced():
    p1_first = P1First()
    p1_first.p1_call_started("p1", 0.0)
    p1_first.call_ended("p1", 0.05, failed=True)
    p1_first.p1_call_started("p1 again", 1.0)
    p1_first.storm_call_started(1.0)
    assert not p1_first.holds_the_storm(1.0)
