"""Functional escalation across teams: an incident taken by a group outside its service's own lines
says so in its timeline and pages that group's on-call (not the service's policy, which names its
own teams); the validator takes such a group only when the sender found it in the catalog."""

from datetime import UTC, datetime, timedelta

from domain import acknowledgement, actions, commands, paging, paging_rules
from domain.enums import State
from domain.groups import groups_known, own_groups_of_json
from tests.unit.test_escalation_policy_by_category import CHECKOUT_DEFAULT, one_round, paged_p2

T0 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=2)


def test_an_assignment_outside_the_services_groups_says_it_left_them_and_pages_that_groups_on_call():
    incident = paged_p2("checkout", "5xx at the till")
    assert one_round(incident) == ("checkout default", CHECKOUT_DEFAULT)
    actions.assign(incident, "bob", LATER, "workplace-it", "", "a group of email")
    assert incident.timeline[-1].detail == ("assigned to workplace-it; it left checkout's own lines"
                                            " (workplace-it is a group of email)")  # fmt: skip
    paging_rules.respond(incident, LATER)
    assert one_round(incident) == (paging.DEFAULT_POLICY.name, ["schedule:workplace-it"])


def test_an_escalation_to_another_team_says_so_and_back_to_a_line_pages_by_the_services_policy_again():
    incident = paged_p2("checkout", "5xx at the till")
    acknowledgement.take(incident, "bob", T0)
    actions.escalate(incident, "bob", LATER, "hr-systems", "HR laptop image", "a group of payroll")
    assert incident.timeline[-1].detail.endswith("it left checkout's own lines (hr-systems is a group of payroll)")
    paging_rules.respond(incident, LATER)
    assert one_round(incident) == (paging.DEFAULT_POLICY.name, ["schedule:hr-systems"])
    actions.escalate(incident, "bob", LATER, "platform-sre", "the till after all")
    assert incident.timeline[-1].detail == "functional escalation to platform-sre: the till after all"
    paging_rules.respond(incident, LATER)
    assert one_round(incident)[0] == "checkout default"


def test_the_validator_takes_another_teams_group_only_when_the_sender_found_it_in_the_catalog():
    incident = paged_p2("checkout", "5xx at the till")
    unvouched = commands.Assign(actor="bob", group="workplace-it")
    assert unvouched.unknown_names(incident) == (
        "INC-1: 'workplace-it' is not a group of checkout: choose one of service-desk, checkout-oncall, platform-sre"
    )
    assert (
        commands.Assign(actor="bob", group="workplace-it", known_as="a group of email").unknown_names(incident) is None
    )
    assert commands.Assign(actor="bob", group="platform-sre").unknown_names(incident) is None
    escalation = commands.Escalate(actor="bob", to_group="hr-systems", reason="x", known_as="a group of payroll")
    assert escalation.unknown_names(incident) is None and incident.state is State.PRIORITIZED


def test_the_groups_incidentctl_knows_are_every_services_groups_and_every_on_call_schedule():
    agreements = {
        "email": {"owner_group": "workplace-it", "support_lines": ["service-desk", "workplace-it"],
                  "categories": [{"group": "workplace-it"}]},
        "checkout": {"owner_group": "checkout-oncall", "support_lines": ["service-desk", "checkout-oncall"],
                     "categories": [{"group": "platform-sre"}]},
    }  # fmt: skip
    own = {service: own_groups_of_json(agreement) for service, agreement in agreements.items()}
    assert groups_known(own, ["facilities", "workplace-it"]) == {
        "checkout-oncall": "a group of checkout",
        "facilities": "an on-call schedule of oncall.toml",
        "platform-sre": "a group of checkout",
        "service-desk": "a group of checkout, email",
        "workplace-it": "a group of email",
    }
