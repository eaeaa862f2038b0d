"""A category's own escalation policy wins over its service's default (README "On call": `category = "..."`
for a category's own policy); another category, or none, falls back to the service's, and a service with
no policy pages its group's on-call."""

import copy
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from domain import actions, paging, paging_rules
from domain.catalog import parse_catalog
from domain.enums import Source
from domain.incident import Incident
from domain.paging import DEFAULT_POLICY, EscalationPolicy, PageStep, policy_for
from domain.process import categorize, choose_category, prioritize, register

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
# the repository's checkout default (oncall.toml): its on-call, then platform-sre's, then the service manager
CHECKOUT_DEFAULT = ["schedule:checkout-oncall", "schedule:platform-sre", "person:maria.lind"]
PSP_POLICY = {"name": "checkout psp", "service": "checkout", "category": "payment-provider", "repeat": 0,
              "steps": [{"page": "person:fatima", "wait": "2m"}, {"page": "on-call", "wait": "3m"}]}  # fmt: skip


def catalog_with_psp_policy():  # type: ignore[no-untyped-def]
    """catalog.toml with oncall.toml plus a payment-provider policy for checkout, parsed as the worker does."""
    oncall = tomllib.loads((ROOT / "oncall.toml").read_text())
    oncall["escalation_policies"].append(copy.deepcopy(PSP_POLICY))
    return parse_catalog(tomllib.loads((ROOT / "catalog.toml").read_text()), oncall)


def paged_p2(service: str, summary: str) -> Incident:
    """A P2 of `service`, categorized from `summary` and prioritized: paging has begun."""
    agreement = catalog_with_psp_policy().services[service].agreement()
    incident = Incident(workflow_id="t", service=service, summary=summary, source=Source.ENGINEER,
                        impact=1, urgency=2, logged_at=T0)  # fmt: skip
    register(incident, number="INC-1", agreement=agreement, previous_number=None, at=T0)
    categorize(incident, choose_category(agreement, summary, None), T0)
    prioritize(incident, T0)
    paging_rules.respond(incident, T0)
    return incident


def one_round(incident: Incident) -> tuple[str, list[str]]:
    """The policy paging the group, and what each step of its first round pages, walked as the workflow
    walks due steps."""
    [running] = incident.pagings
    targets = []
    for _ in running.policy.steps:
        targets.append(paging.due_step(running).target(running.group))
        running = paging.advance(running, running.next_at)
    return running.policy.name, targets


def pages_of_one_round(service: str, summary: str) -> tuple[str, list[str]]:
    return one_round(paged_p2(service, summary))


def test_an_incident_of_a_category_with_its_own_policy_pages_that_policys_steps() -> None:
    # "card" is a payment-provider keyword: the incident goes to platform-sre, whose on-call is step 2
    assert pages_of_one_round("checkout", "card payments failing") == (
        "checkout psp", ["person:fatima", "schedule:platform-sre"])  # fmt: skip


def test_another_category_of_the_same_service_falls_back_to_the_services_policy() -> None:
    assert pages_of_one_round("checkout", "5xx above 5%") == ("checkout default", CHECKOUT_DEFAULT)


def test_a_service_with_no_policy_pages_its_groups_on_call() -> None:
    assert pages_of_one_round("email", "bounce storm") == (DEFAULT_POLICY.name, ["schedule:workplace-it"])


def test_reassigned_to_a_group_the_category_policy_pages_the_new_groups_on_call() -> None:
    incident = paged_p2("checkout", "card payments failing")
    actions.assign(incident, "alice", T0, group="checkout-oncall", person="")
    paging_rules.respond(incident, T0)
    assert one_round(incident) == ("checkout psp", ["person:fatima", "schedule:checkout-oncall"])


def test_the_category_policy_joins_its_services_agreement_beside_the_default() -> None:
    policies = catalog_with_psp_policy().services["checkout"].agreement().escalation
    assert [(p.name, p.category) for p in policies] == [
        ("checkout default", None),
        ("checkout psp", "payment-provider"),
    ]


DEFAULT = EscalationPolicy(name="service default", steps=[PageStep(page="on-call")])
BATCH = EscalationPolicy(name="batch", category="batch", steps=[PageStep(page="group:hr-systems")])
APPLICATION = EscalationPolicy(name="application", category="application", steps=[PageStep(page="person:jonas.berg")])


@given(st.permutations([DEFAULT, BATCH, APPLICATION]))
def test_policy_for_does_not_depend_on_the_order_the_policies_were_written_in(policies) -> None:  # type: ignore[no-untyped-def]
    assert policy_for(policies, "batch") is BATCH
    assert policy_for(policies, "application") is APPLICATION
    assert policy_for(policies, "storage") is DEFAULT  # a category without a policy of its own
    assert policy_for(policies, None) is DEFAULT  # not yet categorized


def test_with_no_default_a_category_without_a_policy_pages_the_groups_on_call() -> None:
    assert policy_for([BATCH], "batch") is BATCH
    assert policy_for([BATCH], "application") is DEFAULT_POLICY
