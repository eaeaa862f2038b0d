"""The steps the workflow walks by itself: registration, categorization, known errors, prioritization."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalog import DEFAULT_TARGETS, Category, ImpactUrgency, KnownError, ServiceAgreement, Targets
from domain.enums import Action, Outcome, Priority, Source, State
from domain.incident import Incident
from domain.process import DEFAULT_SCALE, categorize, choose_category, close_as_known_error, prioritize, register
from domain.sla import deadlines
from domain.timers import next_timer

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
AVAILABILITY = Category(name="availability", group="checkout-oncall", runbook="rb/5xx", keywords=["5xx", "Down"])
PERFORMANCE = Category(name="performance", group="checkout-oncall", runbook="rb/slow", keywords=["latency", "slow"])
PROVIDER = Category(name="payment-provider", group="platform-sre", keywords=["psp", "slow"])
KNOWN = KnownError(id="KE-12", service="checkout", title="PSP sandbox timeouts", match=["psp", "sandbox"],
                   workaround="ignore: sandbox only", problem="PRB-3")  # fmt: skip


def agreement(severity: dict[str, ImpactUrgency] | None = None) -> ServiceAgreement:
    return ServiceAgreement(
        name="checkout", owner_group="checkout-oncall", service_manager="maria.lind",
        support_lines=["service-desk", "checkout-oncall"],
        targets={p: Targets(response=r, restore=s) for p, (r, s) in DEFAULT_TARGETS.items()},
        categories=[AVAILABILITY, PERFORMANCE, PROVIDER],
        severity=severity if severity is not None else {
            "critical": ImpactUrgency(impact=1, urgency=1), "warning": ImpactUrgency(impact=2, urgency=3),
            "default": ImpactUrgency(impact=3, urgency=2)},
    )  # fmt: skip


def new_incident(**fields: object) -> Incident:
    base: dict[str, object] = dict(workflow_id="incident-checkout-1", service="checkout", summary="5xx above 5%",
                                   source=Source.ENGINEER, logged_at=T0)  # fmt: skip
    return Incident(**{**base, **fields})


def registered(agreed: ServiceAgreement | None = None, **fields: object) -> Incident:
    inc = new_incident(**fields)
    register(inc, number="INC-1042", agreement=agreed or agreement(), previous_number=None, at=T0)
    categorize(inc, AVAILABILITY, T0)
    return inc


def test_registration_gives_the_number_and_keeps_the_agreement_snapshot() -> None:
    inc = new_incident(caller="ana")
    agreed = agreement()
    register(inc, number="INC-1042", agreement=agreed, previous_number="INC-1001", at=T0)
    assert (inc.number, inc.previous_number, inc.agreement, inc.state) == ("INC-1042", "INC-1001", agreed, State.LOGGED)
    entry = inc.timeline[-1]
    assert (entry.seq, entry.action, entry.actor, entry.at) == (1, Action.REGISTER, "ana", T0)
    assert (entry.from_state, entry.to_state) == (State.LOGGED, State.LOGGED)
    assert entry.detail == "engineer incident for checkout: 5xx above 5%; follows INC-1001"


def test_a_supplier_incident_is_registered_with_its_supplier_by_the_system() -> None:
    inc = new_incident(source=Source.SUPPLIER, supplier="Adyen", summary="PSP down")
    register(inc, number="INC-1043", agreement=agreement(), previous_number=None, at=T0)
    assert (inc.number, inc.previous_number) == ("INC-1043", None)
    assert inc.timeline[-1].actor == "system"
    assert inc.timeline[-1].detail == "supplier incident for checkout: PSP down (supplier Adyen)"


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("checkout is slow", "payment-provider", "payment-provider"),  # a hint the catalog knows wins
        ("checkout is slow", "no-such-category", "performance"),  # an unknown hint falls back to keywords
        ("Latency p99 above 2s", None, "performance"),  # keywords ignore case, in the text
        ("everything DOWN", None, "availability"),  # ... and in the catalog
        ("PSP answers slow", None, "performance"),  # the first category in catalog order wins
        ("psp refuses cards", None, "payment-provider"),
        ("something odd", None, "availability"),  # nothing matches: the first category is the default
        ("", None, "availability"),
    ],
)
def test_the_category_comes_from_the_hint_then_the_keywords_then_the_default(
    text: str, hint: str | None, expected: str
) -> None:
    assert choose_category(agreement(), text, hint).name == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.none() | st.sampled_from(["availability", "performance", "payment-provider", "x"]))
def test_the_chosen_category_is_always_one_of_the_service(text: str, hint: str | None) -> None:
    chosen = choose_category(agreement(), text, hint)
    assert chosen in agreement().categories
    if hint in {c.name for c in agreement().categories}:
        assert chosen.name == hint


def test_categorizing_sets_the_incident_model() -> None:
    inc = new_incident()
    categorize(inc, AVAILABILITY, T0 + MIN)
    assert (inc.state, inc.category) == (State.CATEGORIZED, "availability")
    assert (inc.group, inc.runbook) == ("checkout-oncall", "rb/5xx")
    assert inc.timeline[-1].detail == "category availability, incident model: group checkout-oncall, runbook rb/5xx"
    categorize(inc, PROVIDER, T0 + MIN)
    assert inc.timeline[-1].detail == "category payment-provider, incident model: group platform-sre"


@pytest.mark.parametrize(
    ("service", "text", "matches"),
    [
        ("checkout", "PSP Sandbox timeout on /pay", True),
        ("checkout", "psp timeout on /pay", False),  # every phrase must appear
        ("payroll", "psp sandbox timeout", False),  # only for its own service
    ],
)
def test_a_known_error_matches_only_its_service_and_all_its_phrases(service: str, text: str, matches: bool) -> None:
    assert KNOWN.matches(service, text) is matches


def test_a_known_error_closes_at_once_with_its_workaround_and_no_priority() -> None:
    inc = registered(severity="critical")
    close_as_known_error(inc, KNOWN, T0 + MIN)
    assert (inc.state, inc.outcome, inc.closed_at) == (State.CLOSED, Outcome.KNOWN_ERROR, T0 + MIN)
    assert (inc.priority, inc.impact, inc.urgency, inc.major) == (None, None, None, False)
    assert (inc.known_error_id, inc.workaround, inc.problem) == ("KE-12", "ignore: sandbox only", "PRB-3")
    entry = inc.timeline[-1]
    assert (entry.action, entry.from_state, entry.to_state) == (Action.KNOWN_ERROR, State.CATEGORIZED, State.CLOSED)
    # which known error and which phrases matched: the match stays explainable
    assert entry.detail == ('matches known error KE-12 (PSP sandbox timeouts) on "psp" + "sandbox";'
                            " workaround: ignore: sandbox only")  # fmt: skip
    assert deadlines(inc, T0 + MIN).restore_due is None, "no SLA clock"
    assert next_timer(inc, T0 + MIN) is None


@pytest.mark.parametrize(
    ("severity", "expected"),
    [("critical", (1, 1)), ("CRITICAL", (1, 1)), ("warning", (2, 3)), ("bogus", (3, 2)), ("", (3, 2))],
)
def test_an_alert_severity_is_mapped_by_the_catalog_else_by_its_default(
    severity: str, expected: tuple[int, int]
) -> None:
    inc = registered(severity=severity)
    prioritize(inc, T0)
    assert (inc.impact, inc.urgency) == expected


@pytest.mark.parametrize("severity", ["nothing-mapped", ""])
def test_a_catalog_without_a_default_severity_gives_the_reviewable_middle(severity: str) -> None:
    inc = registered(agreement({"critical": ImpactUrgency(impact=1, urgency=1)}), severity=severity)
    prioritize(inc, T0)
    assert (inc.impact, inc.urgency, inc.priority) == (*DEFAULT_SCALE, Priority.P3)
    assert DEFAULT_SCALE == (2, 2)


def test_an_empty_severity_map_gives_impact_two_and_urgency_two() -> None:
    inc = registered(agreement({}), severity="critical")
    prioritize(inc, T0)
    assert (inc.impact, inc.urgency) == (2, 2)


@pytest.mark.parametrize(("impact", "urgency", "expected"), [(3, None, (3, 1)), (None, 3, (1, 3)), (2, 2, (2, 2))])
def test_a_scale_given_by_the_reporter_wins_over_the_severity_map(
    impact: int | None, urgency: int | None, expected: tuple[int, int]
) -> None:
    inc = registered(severity="critical", impact=impact, urgency=urgency)
    prioritize(inc, T0)
    assert (inc.impact, inc.urgency) == expected


def test_prioritizing_sets_the_priority_and_tells_the_group() -> None:
    inc = registered(impact=2, urgency=3)
    prioritize(inc, T0 + MIN)
    assert (inc.state, inc.priority, inc.major) == (State.PRIORITIZED, Priority.P4, False)
    entry = inc.timeline[-1]
    assert (entry.action, entry.from_state, entry.to_state) == (Action.PRIORITIZE, State.CATEGORIZED, State.PRIORITIZED)
    assert entry.detail == "impact 2 x urgency 3 = P4; assigned to checkout-oncall"
    assert entry.notify == ["group:checkout-oncall"]


def test_a_p1_is_declared_a_major_incident_at_once() -> None:
    inc = registered(severity="critical")
    prioritize(inc, T0 + MIN)
    assert (inc.priority, inc.major, inc.last_stakeholder_update) == (Priority.P1, True, T0 + MIN)
    prioritized, major = inc.timeline[-2:]
    assert (prioritized.action, major.action, major.actor) == (Action.PRIORITIZE, Action.MAJOR_ESCALATION, "system")
    assert major.notify == ["manager:maria.lind", "stakeholders"]
    assert major.detail == "major incident: service manager maria.lind and stakeholders informed"
    assert major.to_state is State.PRIORITIZED


def test_text_with_a_nul_character_is_refused_before_it_reaches_the_record() -> None:
    import pydantic

    from domain.commands import Note, OpenIncident

    with pytest.raises(pydantic.ValidationError, match="summary contains a NUL"):
        OpenIncident(service="checkout", summary="bad\x00byte")
    with pytest.raises(pydantic.ValidationError, match="text contains a NUL"):
        Note(actor="alice", text="a\x00b")
