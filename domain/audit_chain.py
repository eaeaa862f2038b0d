"""The audit log's hash chain: each entry's hash covers its content and the previous entry's hash, so an
entry altered, removed, inserted or moved breaks the chain at that entry. Pure (stdlib only, time is a
field): the API's appends, `incidentctl audit verify` through the API and the offline check of an export
all use these same functions, so an archived export verifies with no database at hand."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The previous hash of the first entry: no entry comes before it.
GENESIS = "0" * 64

_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    by: str | None
    action: str
    target: str
    before: Any
    after: Any
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainHead:
    """The last entry's number and hash as the database keeps them beside the log, so the removal of the
    newest entries shows too (a chain alone cannot tell its end was cut off)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold: `seq` is the entry altered, removed or out of place,
    `position` its index in what was checked (the export's line number minus one), `entry` the entry
    found there when there is one (a removed entry is not there to show)."""

    seq: int
    position: int
    kind: str
    detail: str
    entry: AuditEntry | None

    def line(self) -> str:
        if self.entry is None:
            return f"entry {self.seq} {self.detail}"
        return f"entry {self.seq} ({canonical_time(self.entry.at)}, {self.entry.action}) {self.detail}"


def canonical_time(at: datetime) -> str:
    """UTC, always with microseconds (PostgreSQL's precision), so one instant has one spelling."""
    if at.tzinfo is None:
        raise ValueError("an audit time must carry its zone")
    return at.astimezone(UTC).strftime(_TIME)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def canonical_bytes(
    *,
    seq: int,
    at: datetime,
    actor: str,
    by: str | None,
    action: str,
    target: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same content always hashes the same on any machine."""
    content = {
        "seq": seq,
        "at": canonical_time(at),
        "actor": actor,
        "by": by,
        "action": action,
        "target": target,
        "before": before,
        "after": after,
        "prev_hash": prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(
        canonical_bytes(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            by=entry.by,
            action=entry.action,
            target=entry.target,
            before=entry.before,
            after=entry.after,
            prev_hash=entry.prev_hash,
        )
    ).hexdigest()


def seal(
    *,
    seq: int,
    at: datetime,
    actor: str,
    by: str | None,
    action: str,
    target: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> AuditEntry:
    """The entry that follows the one whose hash is `prev_hash`, with its own hash."""
    unsealed = AuditEntry(seq, at, actor, by, action, target, before, after, prev_hash, "")
    return AuditEntry(seq, at, actor, by, action, target, before, after, prev_hash, content_hash(unsealed))


def first_break(
    entries: Iterable[AuditEntry], head: ChainHead | None = None, first_seq: int | None = 1
) -> ChainBreak | None:
    """None when the chain holds. Entries are checked in the order given (an export's line order).

    `first_seq` is the number the first entry must carry: 1 for the whole log, whose first entry follows
    GENESIS; None for an export `--since` a time, taken from its first entry's number and previous hash,
    which only an earlier export or the database can vouch for. A gap in the numbers is reported as the
    first missing entry, removed: appends take their number from the chain head in the same transaction,
    so the log has no gaps of its own. `head` (the database's chain head) makes the newest entries'
    removal show, which a chain alone cannot."""
    expected_seq = first_seq
    expected_prev = GENESIS if first_seq == 1 else None
    previous: AuditEntry | None = None
    position = -1
    for position, entry in enumerate(entries):
        seq = entry.seq if expected_seq is None else expected_seq
        if content_hash(entry) != entry.hash:
            return ChainBreak(seq, position, "altered", "was altered: its content does not match its hash", entry)
        if entry.seq > seq:
            after = f"entry {previous.seq} is followed by" if previous else "the log starts at"
            return ChainBreak(seq, position, "removed", f"was removed: {after} entry {entry.seq}", None)
        if expected_prev is not None and entry.prev_hash != expected_prev:
            if previous is None:
                return ChainBreak(seq, position, "altered", "was altered: it does not follow the chain's start", entry)
            detail = f"was altered or inserted: entry {entry.seq} after it does not chain to it"
            return ChainBreak(previous.seq, position - 1, "altered", detail, previous)
        if entry.seq != seq:
            detail = f"is out of place: it follows entry {previous.seq}" if previous else "is out of place"
            return ChainBreak(entry.seq, position, "out of place", detail, entry)
        previous = entry
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    if head is None:
        return None
    last_seq = previous.seq if previous else 0
    if head.seq > last_seq:
        detail = f"was removed: the log ends at entry {last_seq} but its head says {head.seq}"
        return ChainBreak(last_seq + 1, position + 1, "removed", detail, None)
    if previous is not None and head.seq < last_seq:
        detail = f"was inserted: the chain head ends the log at entry {head.seq}"
        return ChainBreak(last_seq, position, "inserted", detail, previous)
    if previous is not None and head.hash != previous.hash:
        detail = "was altered: the chain head records it with another hash"
        return ChainBreak(previous.seq, position, "altered", detail, previous)
    return None


def to_json(entry: AuditEntry) -> dict[str, Any]:
    """One entry as the API answers it and as an export line holds it."""
    return {
        "seq": entry.seq,
        "at": canonical_time(entry.at),
        "actor": entry.actor,
        "by": entry.by,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def from_json(value: dict[str, Any]) -> AuditEntry:
    """Raises KeyError, TypeError or ValueError on a line that is not an entry."""
    return AuditEntry(
        seq=int(value["seq"]),
        at=parse_time(value["at"]),
        actor=value["actor"],
        by=value["by"],
        action=value["action"],
        target=value["target"],
        before=value["before"],
        after=value["after"],
        prev_hash=value["prev_hash"],
        hash=value["hash"],
    )
