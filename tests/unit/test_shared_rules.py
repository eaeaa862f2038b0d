"""Rules the workflow, the receiver and incidentctl all need are written once, in domain/, and each
reads them from there: the incident number's form, a service's own groups, who among a timeline's
actors is a person, the words of a refusal by state, the states and priorities, who is told when
management is needed."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain import actions
from domain.catalog import Category
from domain.commands import OpenIncident
from domain.enums import Action, Priority, Source, State
from domain.groups import own_groups_of_json
from domain.incident import Incident
from domain.lifecycle import ENGINEER_RULES, refusal, state_refusal
from domain.names import incident_number, responders
from domain.paging import DEFAULT_POLICY, begin
from domain.paging_rules import give_up
from domain.view import incident_view
from starter.incidentctl.completion import bash_completion
from starter.incidentctl.parser import PRIORITIES, STATES
from tests.unit.builders import agreement

T0 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
TYPED = ["INC-7", "inc-1042", "Inc-3", "INC-", "INC-12a", "INC-12 ", "incident-checkout-7f3a", "1042", "XINC-7", ""]


@pytest.mark.parametrize("typed", TYPED)
def test_a_typed_number_is_read_in_any_case_and_the_workflow_takes_it_in_its_own_form_only(typed: str):
    number = incident_number(typed)
    if typed.lower() in ("inc-7", "inc-1042", "inc-3"):
        assert number == typed.upper()
    else:
        assert number is None
    try:
        OpenIncident(service="checkout", summary="s", number=typed)
    except ValidationError:
        taken = False
    else:
        taken = True
    assert taken == (number == typed)  # the workflow's input is the same rule, case and all


def test_a_services_own_groups_read_from_the_record_are_those_of_its_agreement():
    agreed = agreement(
        owner_group="checkout-oncall",
        support_lines=["service-desk", "checkout-oncall", "platform-sre"],
        categories=[Category(name="availability", group="service-desk"), Category(name="db", group="dba")],
    )
    stored = json.loads(agreed.model_dump_json()) | {"withdrawn": False}  # as the services table keeps it
    assert agreed.own_groups() == ["service-desk", "checkout-oncall", "platform-sre", "dba"]
    assert own_groups_of_json(stored) == agreed.own_groups()


def test_the_people_of_a_timeline_are_neither_the_workflow_nor_an_alert_source():
    actors = ["alertmanager", "system", "dana", "", "events_api", "bob", "dana"]
    assert responders(actors) == ["dana", "bob"]
    incident = Incident(workflow_id="w", service="checkout", summary="s", source=Source.ALERTMANAGER, logged_at=T0,
                        assignee="carl", assigned=["events_api", "erin"])  # fmt: skip
    assert incident.responders() == ["erin", "carl"]


@pytest.mark.parametrize("action", list(ENGINEER_RULES), ids=str)
def test_incidentctl_words_a_closed_incidents_refusal_from_its_view_as_the_workflow_does(action: Action):
    incident = Incident(workflow_id="w", number="INC-9", service="checkout", summary="s", source=Source.ENGINEER,
                        logged_at=T0, state=State.CLOSED)  # fmt: skip
    view = incident_view(incident, T0)
    assert state_refusal(view["number"] or view["workflow_id"], view["state"], action) == refusal(incident, action)


def test_incidentctl_offers_the_domains_states_and_priorities_in_process_order():
    assert STATES == tuple(str(state) for state in State) and all(type(s) is str for s in STATES)
    assert PRIORITIES == tuple(str(priority) for priority in Priority) and all(type(p) is str for p in PRIORITIES)
    completion = bash_completion()
    assert f'compgen -W "{" ".join(STATES)}"' in completion and f'compgen -W "{" ".join(PRIORITIES)}"' in completion


@pytest.mark.parametrize("agreed", [True, False], ids=["with an agreement", "without"])
def test_an_exhausted_paging_ends_and_tells_whom_a_hierarchical_escalation_tells_and_the_group(agreed: bool):
    incident = Incident(workflow_id="w", number="INC-9", service="checkout", summary="s", source=Source.ENGINEER,
                        logged_at=T0, state=State.IN_PROGRESS, group="checkout-oncall",
                        agreement=agreement() if agreed else None)  # fmt: skip
    paging = begin(DEFAULT_POLICY, "checkout-oncall", "escalated to checkout-oncall", T0)
    incident.pagings = [paging]
    give_up(incident, paging, T0)
    escalations = incident.model_copy(deep=True)
    actions.escalate(escalations, "bob", T0, None, "decision needed")
    entry = incident.timeline[-1]
    assert incident.pagings == [] and entry.action is Action.PAGING_EXHAUSTED
    assert entry.detail == f"nobody acknowledged after {DEFAULT_POLICY.repeat + 1} round(s) of {DEFAULT_POLICY.name}"
    assert entry.notify == [*escalations.timeline[-1].notify, "group:checkout-oncall"]
    assert entry.notify[0] == ("manager:maria.lind" if agreed else "stakeholders")
