"""The agreed catalog: defaults merged under each service, and refused when it contradicts itself."""

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.catalog import Catalog, KnownError, ServiceAgreement, parse_catalog
from domain.enums import Priority

H, MIN = timedelta(hours=1), timedelta(minutes=1)
DESIGN_TARGETS = {
    Priority.P1: (15 * MIN, 4 * H),
    Priority.P2: (30 * MIN, 8 * H),
    Priority.P3: (2 * H, 24 * H),
    Priority.P4: (8 * H, 72 * H),
    Priority.P5: (24 * H, 7 * 24 * H),
}
KEY_A, KEY_B = "abcdef0123456789abcdef0123456789", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"


def service(name: str = "checkout", key: str = KEY_A, **extra: Any) -> dict[str, Any]:
    return {
        "name": name, "owner_group": f"{name}-oncall", "service_manager": "maria.lind",
        "support_lines": ["service-desk", f"{name}-oncall"], "integration_key": key,
        "categories": [{"name": "availability", "group": f"{name}-oncall", "keywords": ["5xx"]},
                       {"name": "performance", "group": f"{name}-oncall", "keywords": ["slow"]}],
        **extra,
    }  # fmt: skip


def raw(*services: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"severity": {"critical": {"impact": 1, "urgency": 1}}, "services": list(services), **top}


def targets_of(catalog: Catalog, name: str) -> dict[Priority, tuple[timedelta, timedelta]]:
    return {p: (t.response, t.restore) for p, t in catalog.services[name].targets.items()}


def test_a_service_without_overrides_gets_the_agreed_defaults_of_the_design() -> None:
    entry = parse_catalog(raw(service())).services["checkout"]
    assert {p: (t.response, t.restore) for p, t in entry.targets.items()} == DESIGN_TARGETS
    assert (entry.warning_ratio, entry.major_update_interval) == (0.75, 30 * MIN)
    assert (entry.confirmation_window, entry.quiet_window) == (timedelta(days=3), 30 * MIN)
    assert entry.severity["critical"].impact == 1


def test_a_per_service_target_overrides_only_what_it_names() -> None:
    catalog = parse_catalog(raw(service(targets={"P1": {"restore": "2h"}}), service("payroll", KEY_B)))
    assert targets_of(catalog, "checkout")[Priority.P1] == (15 * MIN, 2 * H)
    assert targets_of(catalog, "checkout")[Priority.P2] == DESIGN_TARGETS[Priority.P2]
    assert targets_of(catalog, "payroll") == DESIGN_TARGETS, "an override never leaks into another service"


def test_the_defaults_section_changes_every_service_and_a_service_can_still_override_it() -> None:
    defaults = {"warning_ratio": 0.8, "major_update_interval": "20m", "confirmation_window": "2d",
                "quiet_window": "1h", "targets": {"P2": {"response": "20m"}}}  # fmt: skip
    catalog = parse_catalog(raw(service(confirmation_window="5d", warning_ratio=0.6), service("payroll", KEY_B),
                                defaults=defaults))  # fmt: skip
    checkout, payroll = catalog.services["checkout"], catalog.services["payroll"]
    assert (payroll.warning_ratio, payroll.major_update_interval) == (0.8, 20 * MIN)
    assert (payroll.confirmation_window, payroll.quiet_window) == (timedelta(days=2), H)
    assert targets_of(catalog, "payroll")[Priority.P2] == (20 * MIN, 8 * H)
    assert (checkout.confirmation_window, checkout.warning_ratio) == (timedelta(days=5), 0.6)
    assert checkout.quiet_window == H


def test_a_service_severity_map_is_merged_over_the_shared_one() -> None:
    severity = {"critical": {"impact": 1, "urgency": 2}, "page": {"impact": 2, "urgency": 1}}
    entry = parse_catalog(raw(service(severity=severity))).services["checkout"]
    assert {k: (v.impact, v.urgency) for k, v in entry.severity.items()} == {"critical": (1, 2), "page": (2, 1)}


def test_a_service_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="service 'checkout' appears twice"):
        parse_catalog(raw(service(), service(key=KEY_B)))


def test_two_services_sharing_an_integration_key_are_refused() -> None:
    with pytest.raises(ValueError, match="two services share an integration key"):
        parse_catalog(raw(service(), service("payroll", KEY_A)))


def test_a_known_error_for_a_service_outside_the_catalog_is_refused() -> None:
    known = {"id": "KE-9", "service": "crm", "title": "t", "match": ["x"], "workaround": "w"}
    with pytest.raises(ValueError, match="known error KE-9 names unknown service 'crm'"):
        parse_catalog(raw(service(), known_errors=[known]))


def test_known_errors_of_catalog_services_are_kept() -> None:
    known = {"id": "KE-1", "service": "checkout", "title": "sandbox", "match": ["psp", "sandbox"],
             "workaround": "ignore"}  # fmt: skip
    catalog = parse_catalog(raw(service(), known_errors=[known]))
    assert catalog.known_errors == [KnownError(**known)]


@pytest.mark.parametrize(
    "broken",
    [
        {"integration_key": "short"},  # the key is the credential: at least 16 characters
        {"categories": []},  # an incident model is needed to assign anything
        {"support_lines": []},
        {"warning_ratio": 1.0},
        {"warning_ratio": 0},
        {"targets": {"P3": {"restore": "soon"}}},
        {"severity": {"page": {"impact": 4, "urgency": 1}}},
    ],
)
def test_a_service_that_contradicts_the_agreement_rules_is_refused_naming_the_service(broken: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_catalog(raw(service(**broken)))
    assert "checkout" in str(raised.value)


def test_a_bad_duration_in_a_target_says_which_text_is_wrong() -> None:
    with pytest.raises(ValidationError, match="not a duration: 'soon'"):
        parse_catalog(raw(service(targets={"P3": {"restore": "soon"}})))


def test_a_bad_duration_in_the_defaults_says_which_text_is_wrong() -> None:
    with pytest.raises(ValueError, match="not a duration: 'a while'"):
        parse_catalog(raw(service(), defaults={"quiet_window": "a while"}))


def test_a_priority_outside_p1_to_p5_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_catalog(raw(service(targets={"P6": {"restore": "1h"}})))


def test_an_empty_catalog_has_no_services() -> None:
    assert parse_catalog({}) == Catalog(services={}, known_errors=[])


def test_the_agreement_a_workflow_keeps_holds_no_credential() -> None:
    entry = parse_catalog(raw(service())).services["checkout"]
    agreement = entry.agreement()
    assert type(agreement) is ServiceAgreement
    assert "integration_key" not in agreement.model_dump() and "notifications" not in agreement.model_dump()
    assert agreement.model_dump() == entry.model_dump(exclude={"integration_key", "notifications"})


def test_a_typo_in_the_catalog_file_is_refused_with_its_name() -> None:
    typo = service()
    typo["confirmaton_window"] = "3d"
    with pytest.raises(ValueError, match="confirmaton_window"):
        parse_catalog(raw(typo))


def test_an_agreement_with_a_field_this_code_does_not_know_still_decodes_from_history() -> None:
    stored = parse_catalog(raw(service())).services["checkout"].agreement().model_dump(mode="json")
    stored["notify_webhook"] = ""  # a field another release's code wrote into running incidents' histories
    assert ServiceAgreement.model_validate(stored).name == "checkout"


def test_a_category_is_found_by_name_else_the_first_is_the_default() -> None:
    agreement = parse_catalog(raw(service())).services["checkout"].agreement()
    assert agreement.category("performance").name == "performance"
    assert agreement.category("nope").name == "availability"
    assert agreement.category(None).name == "availability"


@pytest.mark.parametrize(
    ("group", "next_line"),
    [("service-desk", "checkout-oncall"), ("checkout-oncall", None), ("dba-team", "service-desk")],
)
def test_functional_escalation_goes_to_the_next_support_line(group: str, next_line: str | None) -> None:
    agreement = parse_catalog(raw(service())).services["checkout"].agreement()
    assert agreement.next_line(group) == next_line


@pytest.mark.skipif(not REPO_CATALOG.exists(), reason="no catalog.toml in the repository yet")
def test_the_catalog_in_the_repository_is_a_valid_agreement() -> None:
    catalog = parse_catalog(tomllib.loads(REPO_CATALOG.read_text()))
    assert catalog.services, "at least one agreed service"
    for entry in catalog.services.values():
        assert set(entry.targets) == set(Priority)
        assert all(t.response < t.restore for t in entry.targets.values())


@pytest.mark.parametrize(
    ("where", "field"),
    [({"targets": {"P2": {"response": "0s"}}}, "services.checkout.targets.P2.response"),
     ({"targets": {"P4": {"restore": "0m"}}}, "services.checkout.targets.P4.restore")],
)  # fmt: skip
def test_a_target_of_nothing_is_refused_naming_the_field_and_why(where: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_catalog(raw(service(**where)))
    problems = {".".join(str(p) for p in e["loc"]): e["msg"] for e in raised.value.errors(include_url=False)}
    assert "must be longer than 0s (got 0s)" in problems[field] and "escalate it again" in problems[field]


def test_a_target_of_nothing_in_the_defaults_is_refused_for_every_service_it_reaches() -> None:
    with pytest.raises(ValidationError, match=r"services.payroll.targets.P1.response\n.*must be longer than 0s"):
        parse_catalog(raw(service(), service("payroll", KEY_B), defaults={"targets": {"P1": {"response": "0h"}}}))


def test_an_agreement_read_back_from_history_is_not_refused_for_its_targets() -> None:
    """Only the file is checked: a running incident's agreement must replay whatever it holds."""
    stored = parse_catalog(raw(service())).services["checkout"].agreement().model_dump(mode="json")
    stored["targets"]["P5"]["response"] = "PT0S"
    assert ServiceAgreement.model_validate(stored).targets[Priority.P5].response == timedelta()
