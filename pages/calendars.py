"""On-call calendars, on the receiver.

`GET /v1/oncall/<schedule>.ics`: the schedule's shifts as iCalendar, from the shift under way a week ago
to 120 days ahead, to subscribe to in a calendar; each shift keeps its UID from fetch to fetch
(domain/oncall_calendar.py). Names and times only: never contact details.
"""

from datetime import UTC, datetime, timedelta

import asyncpg
from aiohttp import web

from domain.oncall_calendar import CalendarShift, calendar_shifts
from stores.oncall import fetch_schedule

CALENDAR_BEHIND, CALENDAR_AHEAD = timedelta(days=7), timedelta(days=120)


class CalendarRoutes:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def calendar(self, request: web.Request) -> web.Response:
        name = request.match_info["schedule"]
        now = datetime.now(UTC)
        start, end = now - CALENDAR_BEHIND, now + CALENDAR_AHEAD
        async with self._pool.acquire() as conn:
            # every earlier override too: the shift under way a week ago is shown from its own start
            schedule = await fetch_schedule(conn, name, None, end)
        if schedule is None:
            raise web.HTTPNotFound(text=f"no on-call schedule {name!r}")
        return web.Response(
            body=ics(name, calendar_shifts(schedule, start, end), now).encode(),
            content_type="text/calendar",
            charset="utf-8",
        )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545: lines of at most 75 octets, continued with a leading space."""
    raw, out = line.encode(), []
    while len(raw) > 75:
        cut = 75 if not out else 74
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(raw[:cut].decode())
        raw = raw[cut:]
    out.append(raw.decode())
    return [out[0], *(" " + part for part in out[1:])]


def ics(name: str, cut: list[CalendarShift], now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//incident-pipeline//on call//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(f'On call: {name}')}",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for shift, uid in ((c.shift, c.uid) for c in cut):
        who = shift.person or "NOBODY (a hole in the schedule)"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_escape(uid)}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(shift.start)}",
            f"DTEND:{_stamp(shift.end)}",
            f"SUMMARY:{_escape(f'On call: {who} ({name})')}",
            f"DESCRIPTION:{_escape(f'from {shift.source}')}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
