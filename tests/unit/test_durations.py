"""Human durations for the catalog ("15m", "4h", "7d") and the CLI ("30d")."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.durations import format_duration, parse_duration

FAST = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("1d 2h", timedelta(hours=26)),
        (" 4H ", timedelta(hours=4)),
        ("0m", timedelta()),
        ("3h05m", timedelta(hours=3, minutes=5)),
    ],
)
def test_a_human_duration_reads_as_the_time_it_says(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "abc", "4x", "h", "15", "-5m", "4h junk", "1.h", "m4", "4h-", "½h"])
def test_a_bad_duration_is_refused_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration") as raised:
        parse_duration(text)
    assert repr(text) in str(raised.value)
    assert "15m, 4h, 7d" in str(raised.value)


@pytest.mark.parametrize("text", ["99999999999d", "9" * 400 + "s"])
def test_an_absurdly_long_duration_is_refused_as_a_bad_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(), "0m"),
        (timedelta(seconds=59), "0m"),
        (timedelta(minutes=12), "12m"),
        (timedelta(hours=3, minutes=5), "3h05m"),
        (timedelta(hours=23, minutes=59), "23h59m"),
        (timedelta(days=1), "1d0h"),
        (timedelta(days=2, hours=4, minutes=30), "2d4h"),
        (timedelta(minutes=-12), "-12m"),
        (timedelta(hours=-3, minutes=-5), "-3h05m"),
        (timedelta(days=-2, hours=-4), "-2d4h"),
    ],
)
def test_a_duration_is_shown_compactly_for_people(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


@FAST
@given(st.integers(min_value=0, max_value=24 * 60 - 1))
def test_less_than_a_day_in_whole_minutes_reads_back_as_shown(minutes: int) -> None:
    delta = timedelta(minutes=minutes)
    assert parse_duration(format_duration(delta)) == delta


@FAST
@given(st.integers(min_value=24, max_value=24 * 3650))
def test_a_day_or_more_in_whole_hours_reads_back_as_shown(hours: int) -> None:
    delta = timedelta(hours=hours)
    assert parse_duration(format_duration(delta)) == delta


@FAST
@given(st.integers(min_value=60, max_value=10**8))
def test_an_overdue_time_shows_as_the_same_time_with_a_minus(seconds: int) -> None:
    assert format_duration(timedelta(seconds=-seconds)) == "-" + format_duration(timedelta(seconds=seconds))


@FAST
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=1000), st.sampled_from("smhdw")), min_size=1, max_size=5))
def test_the_parts_of_a_duration_add_up(parts: list[tuple[int, str]]) -> None:
    unit = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1),
            "d": timedelta(days=1), "w": timedelta(weeks=1)}  # fmt: skip
    text = "".join(f"{n}{u}" for n, u in parts)
    assert parse_duration(text) == sum((n * unit[u] for n, u in parts), timedelta())
