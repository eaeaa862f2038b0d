"""Business priority is impact x urgency (DESIGN section 4), never typed by hand."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.catalog import ImpactUrgency
from domain.commands import ChangePriority, OpenIncident
from domain.enums import Priority
from domain.priority import PRIORITY_MATRIX, SEVERITY_SCALE, InvalidScale, is_major, priority_for, queue_priority

# DESIGN section 4, read row by row: impact 1..3 down, urgency 1..3 across.
DESIGN_MATRIX = [
    (1, 1, "P1"), (1, 2, "P2"), (1, 3, "P3"),
    (2, 1, "P2"), (2, 2, "P3"), (2, 3, "P4"),
    (3, 1, "P3"), (3, 2, "P4"), (3, 3, "P5"),
]  # fmt: skip

OUT_OF_RANGE = [(0, 1), (1, 0), (4, 1), (1, 4), (-1, 2), (2, -1), (3, 4), (0, 0), (10, 10)]

FAST = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(("impact", "urgency", "expected"), DESIGN_MATRIX)
def test_each_cell_of_the_matrix_gives_the_agreed_priority(impact: int, urgency: int, expected: str) -> None:
    assert priority_for(impact, urgency) is Priority(expected)


def test_the_matrix_holds_exactly_the_nine_cells_of_the_design() -> None:
    assert {cell: str(p) for cell, p in PRIORITY_MATRIX.items()} == {(i, u): p for i, u, p in DESIGN_MATRIX}


@pytest.mark.parametrize(("impact", "urgency"), OUT_OF_RANGE)
def test_impact_or_urgency_outside_one_to_three_is_refused(impact: int, urgency: int) -> None:
    with pytest.raises(InvalidScale) as raised:
        priority_for(impact, urgency)
    assert isinstance(raised.value, ValueError)
    assert f"impact={impact}, urgency={urgency}" in str(raised.value)
    assert "must each be 1, 2 or 3" in str(raised.value)


def test_a_scale_given_as_text_is_refused_rather_than_guessed() -> None:
    with pytest.raises(InvalidScale):
        priority_for("1", "1")  # type: ignore[arg-type]


@FAST
@given(st.integers(min_value=-50, max_value=50), st.integers(min_value=-50, max_value=50))
def test_any_pair_is_either_the_diagonal_priority_or_refused(impact: int, urgency: int) -> None:
    if 1 <= impact <= 3 and 1 <= urgency <= 3:
        # the matrix is constant along its anti-diagonals: P(impact + urgency - 1)
        assert priority_for(impact, urgency) is Priority(f"P{impact + urgency - 1}")
    else:
        with pytest.raises(InvalidScale):
            priority_for(impact, urgency)


@FAST
@given(
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=1, max_value=3),
)
def test_a_wider_impact_or_a_higher_urgency_never_lowers_the_priority(i1: int, u1: int, i2: int, u2: int) -> None:
    rank = list(Priority).index  # P1 first: a smaller rank is a higher priority
    if i1 <= i2 and u1 <= u2:
        assert rank(priority_for(i1, u1)) <= rank(priority_for(i2, u2))


@pytest.mark.parametrize("priority", list(Priority))
def test_only_p1_is_a_major_incident(priority: Priority) -> None:
    assert is_major(priority) is (priority is Priority.P1)


def test_only_widespread_and_urgent_makes_a_major_incident() -> None:
    majors = [cell for cell in PRIORITY_MATRIX if is_major(priority_for(*cell))]
    assert majors == [(1, 1)]


@pytest.mark.parametrize(("impact", "urgency"), OUT_OF_RANGE)
def test_the_catalog_severity_map_refuses_a_scale_outside_one_to_three(impact: int, urgency: int) -> None:
    with pytest.raises(ValidationError):
        ImpactUrgency(impact=impact, urgency=urgency)


@pytest.mark.parametrize(("impact", "urgency"), OUT_OF_RANGE)
def test_a_priority_change_command_refuses_a_scale_outside_one_to_three(impact: int, urgency: int) -> None:
    with pytest.raises(ValidationError):
        ChangePriority(actor="ana", impact=impact, urgency=urgency, reason="wider than thought")


@pytest.mark.parametrize(("impact", "urgency"), [(0, None), (None, 4), (4, 1)])
def test_opening_an_incident_refuses_a_scale_outside_one_to_three(impact: int | None, urgency: int | None) -> None:
    with pytest.raises(ValidationError):
        OpenIncident(service="checkout", summary="5xx", impact=impact, urgency=urgency)


def test_opening_an_incident_may_leave_the_scale_to_the_catalog() -> None:
    opened = OpenIncident(service="checkout", summary="5xx")
    assert (opened.impact, opened.urgency) == (None, None)


@pytest.mark.parametrize(("impact", "urgency", "severity", "key"), [
    (None, None, "critical", 1), (None, None, "CRITICAL", 1), (None, None, "error", 2), (None, None, "warning", 3),
    (None, None, "info", 5), (None, None, "", 3), (None, None, "sev-unknown", 3),
    (1, 1, "info", 1),  # what the sender said about impact and urgency wins over its severity word
    (3, None, "critical", 3),  # impact 3 with critical's urgency 1: P3
])  # fmt: skip
def test_a_new_incidents_queue_priority_is_its_likely_priority_from_what_the_sender_said(
    impact: int | None, urgency: int | None, severity: str, key: int
) -> None:
    assert queue_priority(impact, urgency, severity) == key


def test_the_severity_guess_is_the_catalogs_default_severity_map() -> None:
    """The guess is made before the catalog is read: it must say what catalog.toml's defaults say."""
    from stores.catalog_file import read_catalog_file
    from tests.conftest import CATALOG

    checkout = read_catalog_file(CATALOG).services["checkout"]
    for severity, (impact, urgency) in SEVERITY_SCALE.items():
        assert (checkout.severity[severity].impact, checkout.severity[severity].urgency) == (impact, urgency)
