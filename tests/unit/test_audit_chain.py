"""The audit chain names the first entry that was altered, removed, inserted or moved, whatever the
entries hold and wherever the change is."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.audit_chain import (
    GENESIS,
    AuditEntry,
    ChainHead,
    canonical_bytes,
    first_break,
    from_json,
    seal,
    to_json,
)

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
contents = st.fixed_dictionaries(
    {
        "actor": st.text(min_size=1, max_size=8),
        "by": st.none() | st.text(min_size=1, max_size=8),
        "action": st.sampled_from(["incident.acknowledge", "oncall.override.add", "token.create"]),
        "target": st.text(min_size=1, max_size=8),
        "before": st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
        "after": st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    }
)


def chain_of(items: list[dict]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for n, content in enumerate(items):
        prev_hash = entries[-1].hash if entries else GENESIS
        entries.append(seal(seq=n + 1, at=START + timedelta(seconds=n), prev_hash=prev_hash, **content))
    return entries


def head_of(entries: list[AuditEntry]) -> ChainHead:
    return ChainHead(entries[-1].seq, entries[-1].hash)


chains = st.lists(contents, min_size=2, max_size=8).map(chain_of)
fields = st.sampled_from(["seq", "at", "actor", "by", "action", "target", "before", "after", "prev_hash"])


def altered(entry: AuditEntry, field: str) -> AuditEntry:
    value = getattr(entry, field)
    replacement = {
        "seq": entry.seq + 100,
        "at": entry.at + timedelta(microseconds=1),
        "by": "someone else" if value is None else None,
        "before": {"state": "Closed"} if value != {"state": "Closed"} else None,
        "after": {"state": "Closed"} if value != {"state": "Closed"} else None,
        "prev_hash": "f" * 64,
    }.get(field, f"{value}!")
    return dataclasses.replace(entry, **{field: replacement})


@given(chains)
def test_an_untouched_chain_holds_with_its_head_and_through_its_export_lines(entries: list[AuditEntry]) -> None:
    assert first_break(entries, head_of(entries)) is None
    lines = [json.dumps(to_json(entry)) for entry in entries]
    assert first_break([from_json(json.loads(line)) for line in lines], head_of(entries)) is None


@given(chains, st.data(), fields)
def test_any_field_altered_in_place_is_found_at_that_entry(entries: list[AuditEntry], data, field: str) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    tampered = entries[:index] + [altered(entries[index], field)] + entries[index + 1 :]
    found = first_break(tampered, head_of(entries))
    assert (found.seq, found.position, found.kind) == (entries[index].seq, index, "altered")


@given(chains, st.data(), fields.filter(lambda f: f not in ("seq", "prev_hash")))
def test_an_entry_altered_and_rehashed_is_found_at_that_entry(entries: list[AuditEntry], data, field: str) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    changed = altered(entries[index], field)
    rehashed = seal(**{f.name: getattr(changed, f.name) for f in dataclasses.fields(changed) if f.name != "hash"})
    tampered = entries[:index] + [rehashed] + entries[index + 1 :]
    found = first_break(tampered, head_of(entries))
    assert (found.seq, found.position, found.kind) == (entries[index].seq, index, "altered")


@given(chains, st.data())
def test_a_removed_entry_is_named_by_its_number(entries: list[AuditEntry], data) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    found = first_break(entries[:index] + entries[index + 1 :], head_of(entries))
    assert (found.seq, found.position, found.kind, found.entry) == (entries[index].seq, index, "removed", None)


@given(chains, st.data(), contents)
def test_an_inserted_entry_is_found_where_it_was_put(entries: list[AuditEntry], data, content: dict) -> None:
    """The forger chains the new entry to the one before and numbers it as the place it takes: the entry
    after it no longer chains to it."""
    index = data.draw(st.integers(1, len(entries) - 1))
    before = entries[index - 1]
    forged = seal(seq=before.seq + 1, at=before.at, prev_hash=before.hash, **content)
    found = first_break(entries[:index] + [forged] + entries[index:], head_of(entries))
    assert (found.seq, found.position, found.entry) == (forged.seq, index, forged)


@given(chains, st.data())
def test_two_entries_swapped_are_found_where_the_first_of_them_belongs(entries: list[AuditEntry], data) -> None:
    index = data.draw(st.integers(0, len(entries) - 2))
    swapped = entries[:index] + [entries[index + 1], entries[index]] + entries[index + 2 :]
    found = first_break(swapped, head_of(entries))
    assert (found.seq, found.position) == (entries[index].seq, index)


def test_an_export_that_starts_mid_chain_is_taken_from_its_first_entrys_link() -> None:
    entries = chain_of([{"actor": "a", "by": None, "action": "x", "target": "t", "before": None, "after": None}] * 4)
    assert first_break(entries[2:], first_seq=None) is None
    assert first_break(entries[2:], head_of(entries), first_seq=None) is None
    assert first_break(entries[2:]).line() == "entry 1 was removed: the log starts at entry 3"


def test_the_serialization_is_canonical_sorted_compact_and_in_utc() -> None:
    text = canonical_bytes(
        seq=1,
        at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC).astimezone(),
        actor="Åsa",
        by=None,
        action="a",
        target="t",
        before={"b": 1, "a": [1, 2]},
        after=None,
        prev_hash=GENESIS,
    ).decode()
    assert text == (
        '{"action":"a","actor":"Åsa","after":null,"at":"2026-12-07T10:00:00.000000Z",'
        '"before":{"a":[1,2],"b":1},"by":null,"prev_hash":"' + GENESIS + '","seq":1,"target":"t"}'
    )


def test_a_break_reads_as_one_line_with_the_entrys_time_and_action() -> None:
    entries = chain_of(
        [{"actor": "a", "by": None, "action": "incident.close", "target": "t", "before": None, "after": None}] * 3
    )
    found = first_break([entries[0], dataclasses.replace(entries[1], actor="eve"), entries[2]])
    assert found.line() == (
        "entry 2 (2026-12-07T09:00:01.000000Z, incident.close) was altered: its content does not match its hash"
    )
