"""The on-call calendar feed: iCalendar that a calendar subscribes to, equal to `oncall who` at every
instant sampled, at least 90 days ahead, each shift under the same UID at every fetch."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import icalendar

from domain.oncall import on_call
from stores.oncall import fetch_schedule
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, receiver  # noqa: F401


async def feed(receiver: Receiver, schedule: str) -> icalendar.Calendar:
    headers = {"Accept": "text/calendar", "User-Agent": "calendar-subscription-test"}  # as a calendar app asks
    async with receiver.http.get(f"{receiver.url}/v1/oncall/{schedule}.ics", headers=headers) as answer:
        assert answer.status == 200 and answer.content_type == "text/calendar"
        return icalendar.Calendar.from_ical(await answer.read())


async def test_the_feed_agrees_with_the_schedule_at_every_sampled_instant_for_90_days(
    receiver: Receiver, pool: asyncpg.Pool
):
    calendar = await feed(receiver, "checkout-oncall")
    events = [(e["DTSTART"].dt, e["DTEND"].dt, str(e["SUMMARY"])) for e in calendar.walk("VEVENT")]
    assert str(calendar["X-WR-CALNAME"]) == "On call: checkout-oncall"
    now = datetime.now(UTC)
    assert max(end for _, end, _ in events) >= now + timedelta(days=90)
    async with pool.acquire() as conn:
        schedule = await fetch_schedule(conn, "checkout-oncall")
    moment, checked = now, 0
    while moment < now + timedelta(days=90):
        [summary] = [s for start, end, s in events if start <= moment < end]  # exactly one event covers it
        assert summary == f"On call: {on_call(schedule, moment).person} (checkout-oncall)", moment
        moment += timedelta(hours=5, minutes=17)  # off the hour, so hand-off edges are sampled too
        checked += 1
    assert checked > 400
    for (_, end, _), (start, _, _) in zip(sorted(events), sorted(events)[1:]):
        assert end == start  # no gap, no overlap


async def test_oncall_who_and_shifts_say_the_same_as_the_feed(receiver: Receiver, cli: Cli):
    calendar = await feed(receiver, "platform-sre")
    now = datetime.now(UTC)
    [current] = [e for e in calendar.walk("VEVENT") if e["DTSTART"].dt <= now < e["DTEND"].dt]
    who = await cli.ok_json("oncall", "who", "--group", "platform-sre")
    assert str(current["SUMMARY"]) == f"On call: {who[0]['person']} (platform-sre)"
    shifts = await cli.ok_json("oncall", "shifts", "platform-sre", "--days", "3")
    assert shifts[0]["person"] == who[0]["person"] and len(shifts) >= 6  # 12 h shifts
    unknown = await cli("oncall", "shifts", "platfrom-sre")
    assert unknown.code == 1 and "(did you mean platform-sre?)" in unknown.err
    async with receiver.http.get(f"{receiver.url}/v1/oncall/nobody.ics") as missing:
        assert missing.status == 404


async def test_a_calendar_fetching_the_feed_again_finds_each_shift_under_the_same_uid(receiver: Receiver):
    first = await feed(receiver, "checkout-oncall")
    [stamp] = {e["DTSTAMP"].dt for e in first.walk("VEVENT")}
    while datetime.now(UTC).replace(microsecond=0) <= stamp:  # the next fetch's window starts a second later
        await asyncio.sleep(0.05)
    again = await feed(receiver, "checkout-oncall")
    settled = stamp + timedelta(days=119)  # a shift that came into view a second later at the far end is new
    before = {str(e["UID"]): e["DTSTART"].dt for e in first.walk("VEVENT") if e["DTSTART"].dt < settled}
    after = {str(e["UID"]): e["DTSTART"].dt for e in again.walk("VEVENT") if e["DTSTART"].dt < settled}
    assert {e["DTSTAMP"].dt for e in again.walk("VEVENT")} != {stamp}
    assert len({str(e["UID"]) for e in first.walk("VEVENT")}) == len(first.walk("VEVENT"))  # each its own UID
    assert before.keys() == after.keys()  # the same shifts, each under its UID
    for uid, start in before.items():  # from the same start; the hole before a schedule began has none of its own
        assert after[uid] == start or "/until-" in uid, uid
    assert min(before.values()) <= stamp - timedelta(days=7)  # the first shift whole, from its own start
