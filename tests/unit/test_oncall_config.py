"""oncall.toml is checked as a whole when read: bad input is refused naming the file, the field and why."""

import copy
import tomllib
from pathlib import Path

import pytest

from domain.oncall_config import OnCallError, parse_oncall
from stores.catalog_file import CatalogFileError, read_catalog_file

ROOT = Path(__file__).resolve().parents[2]
GOOD = tomllib.loads((ROOT / "oncall.toml").read_text())
SERVICES = {"checkout": ["availability", "performance", "payment-provider"], "payroll": ["application", "batch"],
            "email": ["delivery", "storage"]}  # fmt: skip


def broken(change) -> dict:  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(GOOD)
    change(raw)
    return raw


def test_the_oncall_file_of_the_repository_is_valid_and_joins_its_services_agreements():
    catalog = read_catalog_file(ROOT / "catalog.toml")
    assert set(catalog.oncall.schedules) == {"checkout-oncall", "platform-sre", "hr-systems", "workplace-it"}
    [policy] = catalog.services["checkout"].agreement().escalation
    assert [s.page for s in policy.steps] == ["on-call", "schedule:platform-sre", "person:maria.lind"]
    assert catalog.services["email"].escalation == []  # no policy: the group's on-call, by default


@pytest.mark.parametrize(("change", "where", "why"), [
    (lambda r: r["schedules"][0]["layers"][0]["people"].append("zed"),
     "schedules[checkout-oncall].layers[0].people", "unknown person 'zed'"),
    (lambda r: r["schedules"][0]["layers"][0].update(shift="0h"), "schedules[checkout-oncall].layers[0].shift:",
     "a shift of 0m is too short (at least 1h)"),
    (lambda r: r["schedules"][1]["layers"][0].update(shift="30m"), "schedules[platform-sre].layers[0].shift:",
     "a shift of 30m is too short"),
    (lambda r: r["schedules"][0].update(time_zone="Europe/Stokholm"), "schedules[checkout-oncall].time_zone",
     "unknown time zone 'Europe/Stokholm'"),
    (lambda r: r["schedules"][0].setdefault("overrides", []).append(
        {"person": "dana", "start": "2026-12-24T18:00:00+01:00", "end": "2026-12-24T09:00:00+01:00"}),
     "schedules[checkout-oncall]", "before it starts"),
    (lambda r: r["escalation_policies"][0]["steps"].append({"page": "schedule:platfrom-sre"}),
     "escalation_policies[checkout default].steps[3].page", "unknown schedule 'platfrom-sre'"),
    (lambda r: r["escalation_policies"][0]["steps"].append({"page": "pager:dana"}),
     "escalation_policies[checkout default]", "page must be on-call, schedule:NAME"),
    (lambda r: r["escalation_policies"][0].update(service="coffee"), "escalation_policies[checkout default].service",
     "'coffee' is not a service"),
])  # fmt: skip
def test_bad_input_is_refused_with_the_field_and_why(change, where, why):
    with pytest.raises(OnCallError) as refused:
        parse_oncall(broken(change), SERVICES)
    assert str(refused.value).startswith(where) and why in str(refused.value), str(refused.value)


def test_a_refusal_names_the_oncall_file(tmp_path: Path):
    (tmp_path / "catalog.toml").write_text((ROOT / "catalog.toml").read_text())
    (tmp_path / "oncall.toml").write_text((ROOT / "oncall.toml").read_text().replace('"1w"', '"0h"', 1))
    with pytest.raises(CatalogFileError, match=rf"^{tmp_path / 'oncall.toml'}: schedules\[checkout-oncall\]"):
        read_catalog_file(tmp_path / "catalog.toml")
