"""The forecast escalates as the workflow does (issue 20): response escalations and pages go on until
someone acknowledges, whatever the restore target; a waiting incident moves to the next support line's
queue and that line's engineer takes it; each category's share of a service's incidents loads its own
group; and the work per incident does not grow as a target shrinks."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.enums import Priority
from domain.forecast import classes as forecast_classes
from domain.forecast.classes import incident_class, with_targets
from domain.forecast.engine import OnCallLookup, simulate
from domain.forecast.fit import fit
from domain.forecast.scenario import Scenario, ScenarioError, what_if
from forecast.run import classes_for, routes_for, run
from stores.catalog_file import read_catalog_file
from tests.conftest import CATALOG

START = datetime(2027, 1, 4, tzinfo=UTC)
MIN, HOUR = 60.0, 3600.0


def checkout_p1(acknowledge: float, restore: float) -> Scenario:
    """Checkout P1 only, fixed durations, more engineers than incidents: nobody waits."""
    return Scenario.model_validate({"days": 28, "replications": 3, "seed": 7, "staff": {"checkout-oncall": 50},
                                    "services": {"checkout": {"arrivals": {"P1": 40},
                                                              "acknowledge": {"kind": "fixed", "value": acknowledge},
                                                              "restore": {"kind": "fixed", "value": restore}}}})  # fmt: skip


def test_moving_only_the_restore_target_leaves_the_escalations_and_the_groups_pages_alone() -> None:
    """Acknowledged at 25.5 min, one response escalation (at 15 min) today and with a 12 min restore
    target; the only page the shorter target adds is the service manager's restore warning (at 9 min),
    one per incident."""
    catalog = read_catalog_file(CATALOG)
    today = run(checkout_p1(25.5 * MIN, 30 * MIN), catalog, START, processes=1)
    shorter = run(what_if(checkout_p1(25.5 * MIN, 30 * MIN), ["P1.restore=12m"], [], None), catalog, START,
                  processes=1)  # fmt: skip
    [now], [then] = today["rows"], shorter["rows"]
    assert now["escalations_per_incident"] == then["escalations_per_incident"] == 1.0
    assert now["response_compliance"] == then["response_compliance"] == 0.0
    per_week = now["incidents_per_month"] / (30.4375 / 7)
    before, after = today["pages_per_person_per_week"], shorter["pages_per_person_per_week"]
    assert {p: n for p, n in after.items() if p != "maria.lind"} == {
        p: n for p, n in before.items() if p != "maria.lind"
    }
    assert after["maria.lind"] - before["maria.lind"] == pytest.approx(per_week, abs=0.02)


@pytest.mark.parametrize(("ack_minutes", "escalations"), [(10, 0), (15.5, 1), (145.5, 9), (24 * 60 + 0.5, 96)])
def test_response_escalations_go_on_until_the_acknowledgement_past_the_restore_target(
    ack_minutes: float, escalations: int
) -> None:
    """Checkout P1: response 15m, restore 2h; one escalation per 15 minutes nobody acknowledges."""
    cls = incident_class(read_catalog_file(CATALOG).services["checkout"].agreement(), Priority.P1)
    assert cls.escalations_before(ack_minutes * MIN) == escalations


def test_a_tiny_response_target_costs_the_class_no_more_work_than_a_longer_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The rules are asked about as often for a 1 s response target as for 10 s or 30 min (a timeline
    escalating once a second for 8 hours was 28,800 turns of the loop), and the class keeps the same
    pages, not a list that grows with the escalations."""
    agreement = read_catalog_file(CATALOG).services["checkout"].agreement()
    real, asked = forecast_classes.timers.next_timer, [0]

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(forecast_classes.timers, "next_timer", counted)
    work, pages = {}, {}
    for target in (1, 10, 1800):
        asked[0] = 0
        cls = incident_class(with_targets(agreement, {"P2.response": target}), Priority.P2)
        work[target], pages[target] = asked[0], len(cls.pages)
    assert work[1] == work[10] and work[1] < 2 * work[1800], work
    assert pages[1] == pages[10], pages
    assert cls.escalations_before(HOUR) == 1  # 30 min target: one at 30 min


@pytest.mark.parametrize("target", ["P2.response=0s", "P2.restore=0m", "P1.response=0h0m"])
def test_a_target_of_nothing_is_refused_as_the_catalog_refuses_it(target: str) -> None:
    with pytest.raises(ScenarioError, match=f"--target {target}: a target must be longer than 0s"):
        what_if(checkout_p1(MIN, MIN), [target], [], None)
    with pytest.raises(ValueError, match="P2.response: a target must be longer than 0s"):
        Scenario.model_validate({"targets": {"P2.response": "0s"}, "services": {"checkout": {"arrivals": {"P2": 1}}}})


def test_a_waiting_incident_moves_to_the_next_support_line_and_that_lines_engineer_takes_it() -> None:
    """One checkout engineer, restores of 10 h: the queue grows. A P3 waiting out its 2 h response target
    is checkout's no longer: platform-sre's engineer takes it, at that moment when free. Nobody waits
    more than 2 h in checkout's queue."""
    catalog = read_catalog_file(CATALOG)
    busy = Scenario.model_validate({"days": 30, "replications": 2, "services": {"checkout": {
        "arrivals": {"P3": 60}, "acknowledge": {"kind": "fixed", "value": 0},
        "restore": {"kind": "fixed", "value": "10h"}}}})  # fmt: skip
    records = simulate(classes_for(busy, catalog), busy.services, {}, 30, seed=2, oncall=OnCallLookup(),
                       keep_records=True).records  # fmt: skip
    moved = [r for r in records if r["group"] == "platform-sre"]
    assert len(moved) >= 10 and all(r["waited"] >= 2 * HOUR for r in moved)
    assert any(r["waited"] == 2 * HOUR for r in moved), "a free platform-sre engineer takes it when it arrives"
    assert all(r["waited"] <= 2 * HOUR for r in records if r["group"] == "checkout-oncall")


def test_each_categorys_share_of_the_incidents_goes_to_its_own_group() -> None:
    """Checkout's payment-provider incidents are platform-sre's (catalog.toml): a fifth of them, a fifth
    of checkout's incidents taken by platform-sre with nobody waiting."""
    catalog = read_catalog_file(CATALOG)
    mixed = Scenario.model_validate({"days": 60, "replications": 2, "staff": {"checkout-oncall": 50}, "services": {
        "checkout": {"arrivals": {"P3": 300}, "categories": {"availability": 4, "payment-provider": 1},
                     "acknowledge": {"mean": "1m"}, "restore": {"mean": "10m"}}}})  # fmt: skip
    records = simulate(classes_for(mixed, catalog), mixed.services, mixed.staff, 60, seed=4, oncall=OnCallLookup(),
                       keep_records=True).records  # fmt: skip
    by_group = {g: sum(r["group"] == g for r in records) for g in ("checkout-oncall", "platform-sre")}
    assert sum(by_group.values()) == len(records) > 400
    assert by_group["platform-sre"] / len(records) == pytest.approx(0.2, abs=0.04)
    assert {r["category"] for r in records if r["group"] == "platform-sre"} == {"payment-provider"}


def test_the_category_mix_is_learnt_from_the_record() -> None:
    """Rows as incidentctl forecast --from-history reads them: the mix is each service's own, and an
    incident with no category counts toward the rates, not the mix."""
    at = START + timedelta(days=1)
    rows = [{"service": "checkout", "priority": "P3", "category": category, "outcome": "resolved", "logged_at":
             at + timedelta(hours=n), "acknowledged_at": at + timedelta(hours=n, minutes=5),
             "restored_at": at + timedelta(hours=n, minutes=30), "resolved_at": None, "paused_seconds": 0.0}
            for n, category in enumerate(["availability"] * 6 + ["payment-provider"] * 3 + [None])]  # fmt: skip
    catalog = read_catalog_file(CATALOG)
    fitted = fit(rows, START, START + timedelta(days=30), routes=routes_for(classes_for(checkout_p1(1, 1), catalog),
                                                                            catalog))  # fmt: skip
    assert fitted.services["checkout"].categories == {"availability": 6.0, "payment-provider": 3.0}
    assert fitted.services["checkout"].observed == {Priority.P3: 10}
    groups = {c.category: (c.group, round(c.share, 3)) for c in classes_for(fitted, catalog)}
    assert groups == {"availability": ("checkout-oncall", 0.667), "payment-provider": ("platform-sre", 0.333)}


def test_a_category_the_service_does_not_have_is_refused_naming_its_categories() -> None:
    catalog = read_catalog_file(CATALOG)
    wrong = Scenario.model_validate({"services": {"checkout": {"arrivals": {"P3": 1}, "categories": {"psp": 1}}}})
    with pytest.raises(ScenarioError, match="unknown categor.*psp of checkout: its categories are availability"):
        wrong.checked_against(catalog.services, set())
    with pytest.raises(ValueError, match="category weights must be 0 or more"):
        Scenario.model_validate({"services": {"checkout": {"arrivals": {"P3": 1}, "categories": {"availability": -1}}}})
