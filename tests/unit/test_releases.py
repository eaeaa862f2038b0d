"""Matching events to known errors, the drafts people and pipelines write, and what an incident
records of the changes and known errors release management sends (domain/releases.py, process.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.catalog import KnownError, parse_catalog
from domain.enums import Action, Outcome, Source, State
from domain.incident import Incident
from domain.process import note_recent_changes, offer_known_error, register
from domain.releases import KnownErrorDraft, KnownErrorIndex, RecentChange, first_match
from tests.unit.builders import agreement

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def known(known_id: str, *phrases: str, service: str = "checkout") -> KnownError:
    return KnownError(id=known_id, service=service, title=f"{known_id} title", match=list(phrases),
                      workaround=f"do what {known_id} says")  # fmt: skip


def open_incident(summary: str, assignee: str = "") -> Incident:
    incident = Incident(workflow_id="INC-7", service="checkout", summary=summary, source=Source.ALERTMANAGER,
                        logged_at=T0, assignee=assignee, group="checkout-oncall")  # fmt: skip
    register(incident, number="INC-7", agreement=agreement(), previous_number=None, at=T0)
    return incident


def test_every_phrase_must_appear_in_any_case_and_only_for_its_own_service() -> None:
    coupons = known("KE-1", "coupon", "rejected")
    assert first_match([coupons], "checkout", "Coupon code REJECTED at step 3") is coupons
    assert first_match([coupons], "checkout", "coupon accepted") is None  # one phrase is not enough
    assert first_match([coupons], "payroll", "coupon rejected") is None  # another service's known error
    assert first_match([], "checkout", "coupon rejected") is None


def test_the_first_known_error_by_id_wins_when_several_match() -> None:
    # the store hands them over ordered by id, so the same event always gets the same answer
    broad, narrow = known("KE-1", "timeout"), known("KE-2", "timeout", "psp")
    assert first_match([broad, narrow], "checkout", "psp timeout") is broad


@given(st.lists(st.text(alphabet="abcdef ", min_size=3, max_size=8).filter(lambda t: len(t.strip()) >= 3),
                min_size=1, max_size=4), st.text(max_size=40))  # fmt: skip
def test_a_match_is_exactly_every_phrase_being_in_the_text(phrases: list[str], noise: str) -> None:
    draft = KnownErrorDraft(service="checkout", match=phrases, workaround="w")
    ke = draft.known_error("KE-9")
    text = noise + " " + " | ".join(ke.match)
    assert first_match([ke], "checkout", text) is ke
    assert (first_match([ke], "checkout", noise) is ke) == all(p.lower() in noise.lower() for p in ke.match)


@pytest.mark.parametrize(
    ("match", "says"),
    [([], "at least 1 item"), (["ab"], "at least 3 characters"), (["   a  "], "at least 3 characters"),
     (["fine", "x"], "too short: 'x'")],
)  # fmt: skip
def test_a_phrase_so_short_it_matches_everything_is_refused(match: list[str], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        KnownErrorDraft(service="checkout", match=match, workaround="w")


def test_a_draft_is_cleaned_and_titled_by_its_phrases_when_untitled() -> None:
    draft = KnownErrorDraft(service="checkout", match=["  ledger   locked "], workaround="wait", release="4.12")
    ke = draft.known_error("KE-1000")
    assert (ke.match, ke.title, ke.release) == (["ledger locked"], "ledger locked", "4.12")
    with pytest.raises(ValidationError, match="pattern"):
        KnownErrorDraft(service="checkout", match=["ledger"], workaround="w", problem="77")


def test_the_catalog_refuses_a_short_phrase_naming_the_known_error() -> None:
    with pytest.raises(ValueError, match="known error KE-5: match phrases must be at least 3 characters"):
        parse_catalog({"services": [_service()], "known_errors": [
            {"id": "KE-5", "service": "checkout", "title": "t", "match": ["ok"], "workaround": "w"}]})  # fmt: skip


def test_a_known_error_read_back_from_history_is_never_refused() -> None:
    # an incident of an earlier release may carry any phrase in its history: it must still decode
    assert KnownError.model_validate({"id": "KE-1", "service": "s", "title": "t", "match": ["x"],
                                      "workaround": "w"}).match == ["x"]  # fmt: skip


def test_a_published_known_error_is_offered_once_to_a_matching_open_incident_for_its_assignee() -> None:
    incident = open_incident("voucher service returns 502", assignee="alice")
    ke = known("KE-1000", "voucher", "502")
    assert offer_known_error(incident, ke, T0 + timedelta(minutes=5))
    entry = incident.timeline[-1]
    assert (entry.action, entry.to_state, entry.notify) == (Action.KNOWN_ERROR_OFFERED, State.LOGGED,
                                                            ["group:checkout-oncall", "person:alice"])  # fmt: skip
    assert entry.detail == ('matches known error KE-1000 (KE-1000 title) on "voucher" + "502";'
                            " workaround offered for alice: do what KE-1000 says")  # fmt: skip
    assert incident.offered_known_errors == ["KE-1000"] and incident.outcome is None, "offered, not closed"
    assert not offer_known_error(incident, ke, T0 + timedelta(minutes=6)), "a second offer records nothing"
    assert len(incident.timeline) == 2


def test_an_offer_to_an_incident_without_an_assignee_tells_the_group_only() -> None:
    nobody = open_incident("voucher service returns 502")
    assert offer_known_error(nobody, known("KE-1000", "voucher"), T0)
    assert nobody.timeline[-1].notify == ["group:checkout-oncall"]


def test_an_incident_that_does_not_match_or_is_closed_is_not_offered() -> None:
    incident = open_incident("basket slow")
    assert not offer_known_error(incident, known("KE-1000", "voucher"), T0)
    closed = open_incident("voucher down")
    closed.state = State.CLOSED
    closed.outcome = Outcome.RESOLVED
    assert not offer_known_error(closed, known("KE-1000", "voucher"), T0)
    assert len(incident.timeline) == len(closed.timeline) == 1


def test_recent_changes_are_recorded_newest_first_saying_how_long_before() -> None:
    incident = open_incident("card payments failing")
    changes = [RecentChange(at=T0 - timedelta(minutes=20), summary="deploy 4.13", source="github-actions"),
               RecentChange(at=T0 - timedelta(hours=3), summary="feature flag vouchers on")]  # fmt: skip
    note_recent_changes(incident, changes, total=3, at=T0)
    entry = incident.timeline[-1]
    assert entry.action is Action.RECENT_CHANGES and incident.recent_changes == changes
    assert entry.detail == ("3 changes to the service in the 1d0h before it was logged: 20m before: deploy 4.13"
                            " (github-actions); 3h00m before: feature flag vouchers on (and 1 more: incidentctl changes)")  # fmt: skip


def test_no_change_records_nothing() -> None:
    incident = open_incident("card payments failing")
    note_recent_changes(incident, [], total=0, at=T0)
    assert [e.action for e in incident.timeline] == [Action.REGISTER] and incident.recent_changes == []


def _service() -> dict[str, object]:
    return {"name": "checkout", "owner_group": "checkout-oncall", "service_manager": "maria.lind",
            "support_lines": ["checkout-oncall"], "integration_key": "k" * 32,
            "categories": [{"name": "availability", "group": "checkout-oncall"}]}  # fmt: skip


@given(st.lists(st.lists(st.sampled_from(["psp", "timeout", "coupon", "Rejected", "5xx", "sandbox"]), min_size=1,
                         max_size=3), max_size=6),
       st.lists(st.sampled_from(["psp", "TIMEOUT", "coupon", "rejected", "5xx", "other", "sandbox"]), max_size=5))  # fmt: skip
def test_the_index_gives_the_same_answer_as_first_match(matches: list[list[str]], words: list[str]) -> None:
    known_errors = [known(f"KE-{n}", *phrases) for n, phrases in enumerate(matches)]
    known_errors.append(known("KE-99", "psp", service="payroll"))  # another service's: never matched
    text = " ".join(words)
    assert KnownErrorIndex("checkout", known_errors).first_match(text) == first_match(known_errors, "checkout", text)
