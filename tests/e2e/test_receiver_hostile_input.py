"""Hostile input: thousands of generated bodies and headers, and never a 5xx, a crash or a stray record.

Every refusal is a 4xx with a JSON answer saying what was wrong; nothing reaches Temporal from
a refused request (the receiver's own count of Temporal calls does not move), and nothing
lands in rejected_events except the 422s, which record the body verbatim by design. Quotes
and SQL in labels, summaries, service names and routing keys are data, never statements.
"""

import asyncio
import gzip
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from hypothesis import strategies as st
from temporalio.client import Client

from starter.intake.alertmanager import group_route, rejection_key
from starter.intake.deliveries import stable_id
from starter.intake.events_api import event_route
from starter.intake.payloads import AlertmanagerWebhook
from tests.e2e.fuzz_support import (
    Answer,
    Ledger,
    assert_clear_refusal,
    hostile_text,
    json_values,
    post,
    raw_exchange,
    run_property,
    still_serving,
    storable,
)  # fmt: skip
from tests.e2e.receiver_support import CHECKOUT_KEY, TOKEN, Receiver, fresh_group, sample, serve

AM, PD = "/v1/alerts/alertmanager", "/v2/enqueue"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 512 * 1024
# A catalog entry written to break out of SQL: withdrawn, so its events are refused (422) and recorded.
WITHDRAWN = "telex'); DROP TABLE services; -- \"o'brien\""
AM_FIELDS = {"version", "groupKey", "status", "receiver", "alerts", "groupLabels", "commonLabels",
             "commonAnnotations", "externalURL", "truncatedAlerts"}  # fmt: skip


@dataclass
class Target:
    receiver: Receiver
    ledger: Ledger
    pool: asyncpg.Pool
    withdrawn_name: str
    withdrawn_key: str
    names: frozenset[str]  # every service in the catalog
    keys: frozenset[str]  # every integration (routing) key

    async def send(self, path: str, data: bytes, headers: dict[str, str] | None = None) -> Answer:
        auth = BEARER if path == AM else {}
        return await post(self.receiver.http, f"{self.receiver.url}{path}", data, {**auth, **(headers or {})})


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def target(dev_client: Client, pool: asyncpg.Pool, dev_worker: str) -> AsyncIterator[Target]:
    name, key = f"{WITHDRAWN} {uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    await pool.execute("INSERT INTO services (name, integration_key, agreement) VALUES ($1, $2, $3::jsonb)",
                       name, key, json.dumps({"withdrawn": True}))  # fmt: skip
    rows = await pool.fetch("SELECT name, integration_key FROM services")
    try:
        async for receiver in serve(dev_client, pool, dev_worker):  # a fresh catalog cache: it sees `name`
            yield Target(receiver, Ledger(receiver, pool), pool, name, key, frozenset(r["name"] for r in rows),
                         frozenset(r["integration_key"] for r in rows))  # fmt: skip
    finally:
        await pool.execute("DELETE FROM services WHERE name = $1", name)


def dumps(body: Any) -> bytes:
    return json.dumps(body, allow_nan=False).encode()


def new_event() -> dict[str, Any]:
    return {**sample("alertmanager-pagerduty-v2-trigger"), "dedup_key": uuid.uuid4().hex}


def strings_in(value: Any) -> list[str]:
    """Every string of a JSON value, keys included."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found += item.keys()
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    return found


def set_at(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    holder = body
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value
    return body


# -- 1. malformed bodies: 400, always, on both endpoints --------------------------------------


def not_str(v: Any) -> bool:
    return not isinstance(v, str)


def not_dict(v: Any) -> bool:
    return not isinstance(v, dict)


def not_optional_str(v: Any) -> bool:
    return v is not None and not isinstance(v, str)


# (field, which replacements are certainly wrong for it): pydantic does not turn numbers into strings
WRONG_TYPES: dict[str, list[tuple[tuple[str | int, ...], Callable[[Any], bool]]]] = {
    AM: [(("version",), not_str), (("groupKey",), not_str), (("status",), not_str), (("receiver",), not_str),
         (("alerts",), lambda v: not isinstance(v, list)), (("alerts", 0), not_dict),
         (("alerts", 0, "status"), not_str), (("alerts", 1, "fingerprint"), not_str),
         (("alerts", 0, "labels"), not_dict), (("alerts", 1, "annotations"), not_dict),
         (("commonLabels",), not_dict), (("commonLabels", "service"), not_str), (("groupLabels",), not_dict),
         (("commonAnnotations",), not_dict), (("externalURL",), not_str)],
    PD: [(("routing_key",), not_str), (("event_action",), not_str), (("dedup_key",), not_optional_str),
         (("payload",), lambda v: v is not None and not_dict(v)), (("payload", "summary"), not_str),
         (("payload", "source"), not_str), (("payload", "severity"), not_str),
         (("payload", "component"), not_optional_str), (("payload", "class"), not_optional_str),
         (("client",), not_optional_str)],
}  # fmt: skip


def valid_body(endpoint: str) -> dict[str, Any]:
    """One that would be accepted for checkout: every malformed case below is one step away from it."""
    return fresh_group() if endpoint == AM else new_event()


@st.composite
def malformed(draw: st.DrawFn) -> tuple[str, str, bytes, tuple[str | int, ...]]:
    """(endpoint, kind, body, the field the 400 must name or ())."""
    endpoint = draw(st.sampled_from([AM, PD]))
    body = valid_body(endpoint)
    kind = draw(st.sampled_from(["any json", "bytes", "wrong type", "truncated", "not utf-8", "too deep",
                                 "bad number"]))  # fmt: skip
    if kind == "any json":
        return endpoint, kind, dumps(draw(json_values)), ()
    if kind == "bytes":
        return endpoint, kind, draw(st.binary(max_size=300)), ()
    if kind == "wrong type":
        path, wrong = draw(st.sampled_from(WRONG_TYPES[endpoint]))
        return endpoint, kind, dumps(set_at(body, path, draw(json_values.filter(wrong)))), path
    if kind == "truncated":
        text = dumps(body)
        return endpoint, kind, text[: draw(st.integers(0, len(text) - 1))], ()
    if kind == "not utf-8":
        how = draw(st.sampled_from(["utf-16", "utf-32", "utf-16-le", "latin-1", "spliced"]))
        if how == "latin-1":
            return endpoint, f"{kind} {how}", json.dumps(set_at(body, ("receiver",), "café"),
                                                         ensure_ascii=False).encode("latin-1"), ()  # fmt: skip
        if how == "spliced":
            text = dumps(body)
            at = draw(st.integers(0, len(text)))
            junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]))
            return endpoint, f"{kind} {how}", text[:at] + junk + text[at:], ()
        return endpoint, f"{kind} {how}", json.dumps(body).encode(how), ()
    if kind == "too deep":
        levels = draw(st.integers(65, 20_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        nested = opener * levels + "1" + closer * levels if opener != "[" else "[" * levels + "]" * levels
        where = draw(st.sampled_from(["top", "extra field", "labels" if endpoint == AM else "custom_details"]))
        if where == "top":
            return endpoint, kind, nested.encode(), ()
        text = dumps(set_at(body, ("extra",) if where == "extra field" else (
            ("commonLabels", "x") if endpoint == AM else ("payload", "custom_details")), "@@"))  # fmt: skip
        return endpoint, kind, text.replace(b'"@@"', nested.encode()), ()
    number = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1" * 1001,
                                   "-" + "9" * 5000, "1" * 4301]))  # fmt: skip
    return endpoint, f"{kind} {number[:8]}", dumps({**body, "extra": "@@"}).replace(b'"@@"', number.encode()), ()


async def test_thousands_of_malformed_bodies_are_each_refused_with_a_400_that_says_why_and_register_nothing(
    target: Target,
) -> None:
    async def check(case: tuple[str, str, bytes, tuple[str | int, ...]]) -> None:
        endpoint, kind, data, path = case
        before = await target.ledger.snapshot()
        answer = await target.send(endpoint, data)
        body = assert_clear_refusal(answer, {400})
        if path:  # the field that was wrong, or something inside it
            assert any(e["loc"][: len(path)] == list(path) for e in body["errors"]), (kind, path, body)
        await target.ledger.assert_unchanged(before, f"({kind})")

    started = time.monotonic()
    await run_property(malformed(), check, examples=1200)
    assert time.monotonic() - started < 60
    await still_serving(target.receiver)


# -- 2. well-formed bodies full of hostile strings: recorded verbatim (422) or refused (400/401) --


@st.composite
def hostile_group(draw: st.DrawFn, names: frozenset[str]) -> tuple[dict[str, Any], str]:
    """A webhook of valid shape whose strings are hostile; its service is never one in the catalog."""
    service = draw(hostile_text.filter(lambda s: s not in names))
    body = fresh_group()
    body["groupKey"] = (body["groupKey"] + draw(hostile_text))[:10_000]
    for labels in (body["commonLabels"], body["groupLabels"], *(a["labels"] for a in body["alerts"])):
        labels["service"] = service
    body["commonAnnotations"]["summary"] = draw(hostile_text)
    body["commonLabels"][draw(hostile_text.filter(lambda k: k != "service"))] = draw(hostile_text)
    body["alerts"][0]["fingerprint"] = (draw(hostile_text) or "f")[:200]
    body["alerts"][1]["annotations"]["description"] = draw(hostile_text)
    body["receiver"], body["externalURL"] = draw(hostile_text), draw(hostile_text)
    body[draw(hostile_text.filter(lambda k: k not in AM_FIELDS))] = draw(json_values)  # ignored, yet recorded
    return body, service


@st.composite
def hostile_event(draw: st.DrawFn, keys: frozenset[str], withdrawn_key: str) -> dict[str, Any]:
    """An event of valid shape whose strings are hostile; its routing key is unknown or the withdrawn one."""
    unknown = hostile_text.map(lambda k: (k or "k")[:200]).filter(lambda k: k not in keys)
    return {
        "routing_key": draw(st.just(withdrawn_key) | unknown),
        "event_action": draw(st.sampled_from(["trigger", "acknowledge", "resolve"])),
        "dedup_key": (uuid.uuid4().hex + draw(hostile_text))[:255],
        "payload": {"summary": (draw(hostile_text) or "s")[:1024], "source": (draw(hostile_text) or "s")[:255],
                    "severity": draw(st.sampled_from(["critical", "error", "warning", "info"])),
                    "component": draw(hostile_text), "class": draw(hostile_text), "group": draw(hostile_text),
                    "custom_details": draw(json_values)},
        "client": draw(hostile_text), "client_url": draw(hostile_text),
    }  # fmt: skip


async def test_hostile_strings_in_a_valid_webhook_are_recorded_verbatim_with_422_or_refused_with_400(
    target: Target,
) -> None:
    async def check(case: tuple[dict[str, Any], str]) -> None:
        body, service = case
        before = await target.ledger.snapshot()
        answer = await target.send(AM, dumps(body))
        if not storable(*strings_in(body)):
            assert_clear_refusal(answer, {400})
            await target.ledger.assert_unchanged(before, "(NUL or unpaired surrogate)")
            return
        assert assert_clear_refusal(answer, {422})["service"] == (service or None)
        row = await target.pool.fetchrow("SELECT service, payload FROM rejected_events WHERE dedup_key = $1",
                                         rejection_key(AlertmanagerWebhook.model_validate(body)))  # fmt: skip
        assert row["service"] == (service or None) and json.loads(row["payload"]) == body
        assert await target.ledger.snapshot() == (before[0], before[1] + 1)  # one record, no Temporal call

    await run_property(hostile_group(target.names), check, examples=400)
    await still_serving(target.receiver)


async def test_hostile_strings_in_a_valid_event_are_recorded_verbatim_with_422_or_refused_with_400_or_401(
    target: Target,
) -> None:
    async def check(event: dict[str, Any]) -> None:
        before = await target.ledger.snapshot()
        answer = await target.send(PD, dumps(event))
        if not storable(*strings_in(event)):
            assert_clear_refusal(answer, {400})
        elif event["routing_key"] != target.withdrawn_key:
            assert assert_clear_refusal(answer, {401})["message"] == "Invalid routing key"
        else:
            assert assert_clear_refusal(answer, {422})["service"] == target.withdrawn_name
            key = stable_id(event_route(event["routing_key"], event["dedup_key"]), event["event_action"])
            row = await target.pool.fetchrow("SELECT service, payload FROM rejected_events WHERE dedup_key = $1", key)
            assert row["service"] == target.withdrawn_name
            assert json.loads(row["payload"]) == {**event, "routing_key": "<redacted>"}
            assert target.withdrawn_key not in row["payload"]
            assert await target.ledger.snapshot() == (before[0], before[1] + 1)
            return
        await target.ledger.assert_unchanged(before)

    await run_property(hostile_event(target.keys, target.withdrawn_key), check, examples=400)
    await still_serving(target.receiver)


# -- 3. the cases named in the issue, one by one ----------------------------------------------


@pytest.mark.parametrize("endpoint", [AM, PD], ids=["alertmanager", "events api"])
async def test_a_body_nested_ten_thousand_levels_deep_is_refused_with_400_not_500(
    target: Target, endpoint: str
) -> None:
    for nested in ("[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000):
        before = await target.ledger.snapshot()
        body = assert_clear_refusal(await target.send(endpoint, nested.encode()), {400})
        assert "deeper than" in body["errors"][0]["msg"]
        await target.ledger.assert_unchanged(before)


async def test_a_valid_alert_sent_as_utf16_or_latin1_is_refused_with_400_rather_than_guessed_at(
    target: Target,
) -> None:
    """json.loads(bytes) would take UTF-16 and UTF-32; the receiver takes UTF-8, as JSON over HTTP must be."""
    for endpoint in (AM, PD):
        body = valid_body(endpoint)
        for data in (json.dumps(body).encode("utf-16"), json.dumps(body).encode("utf-32"),
                     b"\xef\xbb\xbf" + dumps(body),  # a UTF-8 byte order mark
                     json.dumps({**body, "client": "caf\u00e9"}, ensure_ascii=False).encode("latin-1")):  # fmt: skip
            before = await target.ledger.snapshot()
            assert_clear_refusal(await target.send(endpoint, data), {400})
            await target.ledger.assert_unchanged(before)


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e999", "1" * 5000],
                         ids=["NaN", "-Infinity", "1e999", "5000 digits"])  # fmt: skip
async def test_a_number_postgres_cannot_store_is_refused_with_400_not_503_for_ever(target: Target, number: str) -> None:
    """Before: the 422 path could not record it (jsonb refuses NaN) and answered 503, so senders retried for ever."""
    body = fresh_group(service="billing")  # not in the catalog: would be recorded with 422
    data = dumps({**body, "extra": "@@"}).replace(b'"@@"', number.encode())
    before = await target.ledger.snapshot()
    assert_clear_refusal(await target.send(AM, data), {400})
    await target.ledger.assert_unchanged(before)


async def test_nul_characters_and_unpaired_surrogates_are_refused_with_400_wherever_they_are(target: Target) -> None:
    """Postgres text and jsonb refuse both: before, a NUL in a service label got 503 (retried for ever), and a
    NUL in an accepted summary would have reached the worker, whose every attempt to record it would fail."""
    cases = [
        (AM, fresh_group(service="no\x00pe"), ["commonLabels", "service"]),
        (AM, set_at(fresh_group(), ("commonAnnotations", "summary"), "disk\x00full"), ["commonAnnotations", "summary"]),
        (AM, {**fresh_group(service="billing"), "extra": {"deep": ["\ud800"]}}, ["extra", "deep", 0]),
        (AM, {**fresh_group(service="billing"), "key\x00": 1}, []),
        (PD, set_at(new_event(), ("payload", "summary"), "a\x00b"), ["payload", "summary"]),
        (PD, set_at(new_event(), ("payload", "custom_details"), {"x": "\udfff"}), ["payload", "custom_details", "x"]),
    ]  # fmt: skip
    for endpoint, body, loc in cases:
        before = await target.ledger.snapshot()
        answer = assert_clear_refusal(await target.send(endpoint, dumps(body)), {400})
        assert answer["errors"][0]["loc"] == loc, answer
        await target.ledger.assert_unchanged(before)


async def test_a_compressed_body_is_limited_after_inflating_and_a_broken_one_is_refused_with_400(
    target: Target,
) -> None:
    bomb = gzip.compress(b'{"a":"' + b"x" * 50_000_000 + b'"}')  # 50 MB inflated, 50 KB sent
    assert len(bomb) < MAX_BODY
    for endpoint in (AM, PD):
        for data, encoding, status in ((bomb, "gzip", 413), (b"\x1f\x8b not gzip at all", "gzip", 400),
                                       (b"not deflate", "deflate", 400)):  # fmt: skip
            before = await target.ledger.snapshot()
            # a connection of its own: aiohttp closes it after a broken body
            async with target.receiver.http.post(f"{target.receiver.url}{endpoint}", data=data,
                                                 headers={**BEARER, "Content-Encoding": encoding,
                                                          "Content-Type": "application/json",
                                                          "Connection": "close"}) as response:  # fmt: skip
                answer = Answer(response.status, dict(response.headers), await response.read())
            assert_clear_refusal(answer, {status})
            await target.ledger.assert_unchanged(before, f"({encoding} -> {status})")
    await still_serving(target.receiver)


@pytest.mark.parametrize("endpoint", [AM, PD], ids=["alertmanager", "events api"])
async def test_a_body_over_512_kb_is_refused_with_413_even_when_it_is_valid_or_deeply_nested(
    target: Target, endpoint: str
) -> None:
    padded = dumps({**valid_body(endpoint), "padding": "x" * MAX_BODY})
    nested = ("[" * 300_000 + "]" * 300_000).encode()
    for data in (padded, nested):
        before = await target.ledger.snapshot()
        assert_clear_refusal(await target.send(endpoint, data), {413})
        await target.ledger.assert_unchanged(before)


async def raw_request(target: Target, request: bytes) -> tuple[int, bytes, bytes]:
    """Bytes aiohttp's client would refuse to send; returns (status, head, body)."""
    response = await raw_exchange(int(target.receiver.url.rsplit(":", 1)[1]), request)
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


def raw_post(path: str, headers: list[bytes], body: bytes = b"{}") -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Content-Type: application/json",
             f"Content-Length: {len(body)}".encode(), b"Connection: close", *headers]  # fmt: skip
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def test_hostile_headers_are_refused_with_4xx_and_never_reflected_or_fatal(target: Target) -> None:
    """Header injection and oddities: the receiver answers 4xx, echoes none of it in its headers, keeps serving.

    Refusals the app makes are JSON; the ones aiohttp makes before the app sees the request
    (a header over 8190 bytes, a control character, an obsolete line folding) are its own text/plain 400.
    """
    group = dumps(fresh_group())
    by_app = [  # the request reaches the app: its JSON 401
        [b"Authorization: Bearer \xff\xfe" + TOKEN.encode()],  # not UTF-8: was a 500 (UnicodeEncodeError)
        [b"Authorization: Bearer " + TOKEN.encode() + b"\xc3"],
        ["Authorization: Bearer \u00e9\u00e8".encode()],
        [b"Authorization: Bearer " + b"a" * 8000],
        [b"Authorization: Bearer wrong", b"Authorization: Bearer " + TOKEN.encode()],  # two: the first counts
        [b"X-Injected: yes", b"Authorization: Bearer x%0d%0aX-Injected:%20yes"],
        [f"X-Filler-{i}: {'y' * 100}".encode() for i in range(100)],
    ]
    by_aiohttp = [  # the HTTP parser refuses it before any handler runs
        [b"Authorization: Bearer " + TOKEN.encode() + b"a" * 9000],
        [b"Authorization: Bearer " + TOKEN.encode() + b"\rX-Injected: yes"],
        [b"Authorization: Bearer \x00" + TOKEN.encode()],
        [b"Authorization: Bearer", b" " + TOKEN.encode()],  # obsolete line folding
        [f"X-Filler-{i}: y".encode() for i in range(200)],  # more than 128 headers
    ]
    for path in (AM, PD):
        for headers in by_app + by_aiohttp:
            before = await target.ledger.snapshot()
            status, head, body = await raw_request(target, raw_post(path, headers, group if path == AM else b"{}"))
            assert 400 <= status < 500, (headers, head)
            assert b"x-injected" not in head.lower() and TOKEN.encode() not in head
            if headers in by_app:  # (aiohttp's own 400 may quote the offending bytes back to their sender)
                assert status == (401 if path == AM else 400) and json.loads(body)["message"], (headers, body)
                assert TOKEN.encode() not in body
            await target.ledger.assert_unchanged(before)
    await still_serving(target.receiver)


# -- 4. SQL is data ---------------------------------------------------------------------------

SQL_SUMMARY = "Robert'); DROP TABLE incidents; -- \"quoted\" $1 %s \\x00 \\' E'\\\\' $$ 😀 Ω"


async def summary_of(pool: asyncpg.Pool, workflow_id: str, timeout: float = 30.0) -> asyncpg.Record:
    """The incident row the worker writes after registration."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = await pool.fetchrow(
            "SELECT service, summary FROM incidents WHERE workflow_id IN (SELECT workflow_id FROM alert_routes WHERE route = $1)",
            workflow_id,
        )
        if row is not None:
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"no incident row for {workflow_id} after {timeout:.0f}s")


async def test_sql_in_an_accepted_summary_is_stored_verbatim_and_the_tables_survive(target: Target) -> None:
    group = fresh_group()
    group["commonAnnotations"]["summary"] = SQL_SUMMARY
    event = set_at(new_event(), ("payload", "summary"), SQL_SUMMARY)
    assert (await target.send(AM, dumps(group))).status == 202
    assert (await target.send(PD, dumps(event))).status == 202
    for workflow_id in (group_route(AlertmanagerWebhook.model_validate(group)),
                        event_route(CHECKOUT_KEY, event["dedup_key"])):  # fmt: skip
        row = await summary_of(target.pool, workflow_id)
        assert (row["service"], row["summary"]) == ("checkout", SQL_SUMMARY)
    for table in ("incidents", "rejected_events", "services"):
        assert await target.pool.fetchval("SELECT to_regclass($1)::text", table) == table


async def test_a_service_label_written_as_sql_is_refused_with_422_recorded_verbatim_and_incidents_untouched(
    target: Target,
) -> None:
    opened = fresh_group()
    assert (await target.send(AM, dumps(opened))).status == 202
    await summary_of(target.pool, group_route(AlertmanagerWebhook.model_validate(opened)))
    numbers = {r["number"] for r in await target.pool.fetch("SELECT number FROM incidents")}
    for service in ("x'); DELETE FROM incidents; --", "'; DROP TABLE incidents; --", 'checkout" OR "1"="1',
                    "checkout' OR '1'='1", "checkout'--"):  # fmt: skip
        body = fresh_group(service=service)
        answer = assert_clear_refusal(await target.send(AM, dumps(body)), {422})
        assert answer["service"] == service
        key = rejection_key(AlertmanagerWebhook.model_validate(body))
        row = await target.pool.fetchrow("SELECT service, reason, payload FROM rejected_events WHERE dedup_key = $1",
                                         key)  # fmt: skip
        assert row["service"] == service and repr(service) in row["reason"]
        assert json.loads(row["payload"]) == body
    after = {r["number"] for r in await target.pool.fetch("SELECT number FROM incidents")}
    assert numbers <= after


async def test_a_withdrawn_catalog_service_whose_name_is_sql_is_refused_with_422_and_recorded_verbatim(
    target: Target,
) -> None:
    event = {**new_event(), "routing_key": target.withdrawn_key}
    answer = assert_clear_refusal(await target.send(PD, dumps(event)), {422})
    assert answer["service"] == target.withdrawn_name and "withdrawn" in answer["message"]
    key = stable_id(event_route(target.withdrawn_key, event["dedup_key"]), "trigger")
    assert await target.pool.fetchval("SELECT service FROM rejected_events WHERE dedup_key = $1", key) == (
        target.withdrawn_name)  # fmt: skip
    assert await target.pool.fetchval("SELECT count(*) FROM services WHERE name = $1", target.withdrawn_name) == 1
