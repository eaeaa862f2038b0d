"""The on-call calendar feed: iCalendar that a calendar subscribes to, equal to `oncall who` at every
instant sampled, at least 90 days ahead."""

from datetime import UTC, datetime, timedelta

import asyncpg
import icalendar

from activities.oncall_store import fetch_schedule
from domain.oncall import on_call
from tests.e2e.cli import Cli
from tests.e2e.receiver_support import Receiver, receiver  # noqa: F401


async def feed(receiver: Receiver, schedule: str) -> icalendar.Calendar:
    async with receiver.http.get(f"{receiver.url}/v1/oncall/{schedule}.ics") as answer:
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
