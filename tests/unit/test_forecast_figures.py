"""The forecast's figures (issue 15, output): pages per person per week, the busiest hours and breaches per
month, checked against scenarios small enough to count by hand; and the `--arrivals xF` what-if."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from domain.forecast.engine import ClassTally, Replication
from domain.forecast.report import MONTH_DAYS, summarize
from domain.forecast.scenario import Scenario, ScenarioError, what_if
from forecast.run import run
from stores.catalog_file import read_catalog_file
from tests.conftest import CATALOG

START = datetime(2027, 1, 4, tzinfo=UTC)  # a Monday, as incidentctl forecast starts
WEEKS_PER_MONTH = MONTH_DAYS / 7


def checkout_p2(acknowledge: str = "2m", restore: str = "10m", **changes: object) -> Scenario:
    """Checkout P2 only, with fixed durations and far more engineers than incidents: nobody ever waits, so
    every incident is acknowledged and restored exactly when the scenario says."""
    base = {"days": 28, "replications": 4, "seed": 7, "staff": {"checkout-oncall": 50}, "services": {
        "checkout": {"arrivals": {"P2": 40}, "acknowledge": {"kind": "fixed", "value": acknowledge},
                     "restore": {"kind": "fixed", "value": restore}}}}  # fmt: skip
    return Scenario.model_validate({**base, **changes})


def forecast(scenario: Scenario, start=START) -> dict:  # type: ignore[no-untyped-def]
    return run(scenario, read_catalog_file(CATALOG), start, processes=1)


def test_the_report_turns_hand_counted_replications_into_its_figures() -> None:
    one = Replication(tallies={("checkout", "P2"): ClassTally(incidents=10, restore_met=7, response_met=9)},
                      pages=Counter({"dana": 4, "maria.lind": 1}), hours=Counter({13: 5, 2: 1}), records=[])  # fmt: skip
    two = Replication(tallies={("checkout", "P2"): ClassTally(incidents=6, restore_met=6, response_met=3)},
                      pages=Counter({"dana": 2, "erik": 3}), hours=Counter({13: 3, 9: 1, 2: 1}), records=[])  # fmt: skip
    report = summarize([one, two], days=7)  # one week: pages per week are pages per replication
    [row] = report["rows"]
    months = 7 / MONTH_DAYS
    assert row["incidents_per_month"] == pytest.approx(8 / months, abs=0.01)
    # (10 - 7) and (6 - 6) restores missed: 1.5 per replication
    assert row["breaches_per_month"] == pytest.approx(1.5 / months, abs=0.01)
    assert (row["restore_compliance"], row["response_compliance"]) == (0.85, 0.7)  # means of 0.7, 1.0 and 0.9, 0.5
    # dana 6 pages over two replications of one week: 3 a week; busiest first
    assert report["pages_per_person_per_week"] == {"dana": 3.0, "erik": 1.5, "maria.lind": 0.5}
    assert report["busiest_hours_utc"] == [{"hour": 13, "share": round(8 / 11, 4)},
                                           {"hour": 2, "share": round(2 / 11, 4)},
                                           {"hour": 9, "share": round(1 / 11, 4)}]  # fmt: skip


@pytest.mark.parametrize(("acknowledge", "pages_each"), [("2m", 1), ("7m", 2), ("12m", 3)])
def test_every_incident_pages_the_policy_steps_due_before_its_acknowledgement(
    acknowledge: str, pages_each: int
) -> None:
    """Checkout's policy pages its on-call at once, platform-sre's at 5m and maria.lind at 10m (oncall.toml):
    acknowledged at 2m, 7m or 12m, each incident sends 1, 2 or 3 pages, so the pages of everyone together
    per week are that many times the incidents per week."""
    report = forecast(checkout_p2(acknowledge))
    [row] = report["rows"]
    per_week = row["incidents_per_month"] / WEEKS_PER_MONTH
    pages = report["pages_per_person_per_week"]
    assert per_week > 5, "too few incidents to prove anything"
    assert sum(pages.values()) == pytest.approx(pages_each * per_week, abs=0.06)  # each person's figure is rounded
    # the third step is a person: she is paged once per incident acknowledged after 10m, never before
    assert pages.get("maria.lind", 0.0) == (pytest.approx(per_week, abs=0.01) if pages_each == 3 else 0.0)


def test_doubling_the_arrivals_roughly_doubles_the_pages_each_week() -> None:
    today = forecast(checkout_p2("7m"))
    doubled = forecast(what_if(checkout_p2("7m"), [], [], "x2"))
    ratio = sum(doubled["pages_per_person_per_week"].values()) / sum(today["pages_per_person_per_week"].values())
    assert 1.8 < ratio < 2.2, ratio  # Poisson noise over about 150 incidents, not an exact 2
    incidents = doubled["rows"][0]["incidents_per_month"] / today["rows"][0]["incidents_per_month"]
    assert ratio == pytest.approx(incidents, rel=0.01), "pages per incident do not change with the rate here"


@pytest.mark.parametrize("start", [START, START + timedelta(hours=6, minutes=30)])
def test_the_busiest_hour_is_the_one_hour_of_day_incidents_arrive_in(start) -> None:  # type: ignore[no-untyped-def]
    """The hours are of the UTC clock, whatever hour of day the simulated period starts at."""
    hourly = [0.0] * 24
    hourly[13] = 1.0
    report = forecast(checkout_p2(hourly=hourly), start)
    assert report["busiest_hours_utc"] == [{"hour": 13, "share": 1.0}]


def test_the_busiest_hours_reflect_a_day_weighted_toward_one_hour() -> None:
    hourly = [1.0] * 24
    hourly[9] = 5.0  # 5 of 28 arrivals, about 18%; each other hour about 3.6%
    scenario = checkout_p2(hourly=hourly, days=120, services={"checkout": {"arrivals": {"P3": 200}}})
    busiest = forecast(scenario)["busiest_hours_utc"]
    assert busiest[0]["hour"] == 9 and busiest[0]["share"] == pytest.approx(5 / 28, abs=0.03)
    assert all(h["share"] < 0.07 for h in busiest[1:])


@pytest.mark.parametrize(("restore", "breaching"), [("9h", True), ("1h", False)])
def test_breaches_per_month_are_the_incidents_restored_after_the_restore_target(restore: str, breaching: bool) -> None:
    [row] = forecast(checkout_p2(restore=restore))["rows"]  # checkout P2 restore target: 8h
    assert row["restore_compliance"] == (0.0 if breaching else 1.0)
    assert row["breaches_per_month"] == pytest.approx(row["incidents_per_month"] if breaching else 0.0, abs=0.01)


def test_a_missed_response_target_is_an_escalation_not_a_breach() -> None:
    """In this product a breach is of the restore target (domain.timers RESTORE_BREACH sets `breached`); a
    missed response target escalates. Acknowledged at 45m against 30m, restored in time: every response
    missed, one escalation each, no breach."""
    [row] = forecast(checkout_p2(acknowledge="45m", restore="10m"))["rows"]
    assert (row["response_compliance"], row["restore_compliance"]) == (0.0, 1.0)
    assert row["escalations_per_incident"] == 1.0
    assert row["breaches_per_month"] == 0.0


@pytest.mark.parametrize("factor", ["x1.5", "1.5", "*1.5"])
def test_the_arrivals_what_if_scales_every_rate_of_every_service(factor: str) -> None:
    today = Scenario.model_validate({"services": {"checkout": {"arrivals": {"P1": 2, "P3": 30}},
                                                  "payroll": {"arrivals": {"P2": 4}}}})  # fmt: skip
    changed = what_if(today, [], [], factor)
    assert {s: dict(load.arrivals) for s, load in changed.services.items()} == {
        "checkout": {"P1": 3.0, "P3": 45.0}, "payroll": {"P2": 6.0}}  # fmt: skip
    assert today.services["checkout"].arrivals == {"P1": 2, "P3": 30}, "today's scenario is left as it was"


@pytest.mark.parametrize(("factor", "says"), [
    ("x", "--arrivals x: use a factor, e.g. x1.5"),
    ("twice", "--arrivals twice: use a factor, e.g. x1.5"),
    ("x-1", "--arrivals x-1: the factor must be a number, 0 or more"),
])  # fmt: skip
def test_a_bad_arrivals_factor_is_refused_with_what_to_write(factor: str, says: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        what_if(checkout_p2(), [], [], factor)
    assert str(refused.value) == says


@pytest.mark.parametrize("factor", ["xinf", "xnan", "x1e308"])
def test_a_factor_that_is_not_a_finite_number_is_refused(factor: str) -> None:
    """A scenario file with such a rate is refused (ServiceLoad._rates); the command line must be too."""
    with pytest.raises(ScenarioError, match="--arrivals"):
        what_if(checkout_p2(), [], [], factor)
