"""Acknowledgement links and on-call calendars, on the receiver.

- `GET /v1/pages/<token>/ack` (the link every page carries) and `GET /v1/pages/<token>`: a page with
  one button; a GET or HEAD changes nothing, so a mail scanner or link checker that fetches the
  link acknowledges nothing. The button POSTs to `/v1/pages/<token>/ack`, which acknowledges. The
  token is signed, bound to one incident, one person and one page, and expires
  (domain/page_links.py). Each page acknowledges once: a wrong, expired or reused token gets
  403 and acknowledges nothing. The actor recorded is the paged person.
- `GET /v1/oncall/<schedule>.ics`: the schedule's shifts as iCalendar, from the shift under way a
  week ago to 120 days ahead, to subscribe to in a calendar; each shift keeps its UID from fetch to
  fetch (domain/oncall_calendar.py). Names and times only: never contact details.
"""

from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from aiohttp import web
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.oncall_calendar import CalendarShift, calendar_shifts
from domain.page_links import BadToken, PageToken, verify
from starter.receiver import ack_page
from starter.receiver.config import DATABASE_ERRORS, ReceiverConfig
from stores import pages
from stores.oncall import fetch_schedule
from workflows.contract import IncidentContract

log = structlog.get_logger("receiver")

CALENDAR_BEHIND, CALENDAR_AHEAD = timedelta(days=7), timedelta(days=120)
# the link is a credential: never cached, never sent on as a Referer, never indexed
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class PageRoutes:
    def __init__(self, client: Client, pool: asyncpg.Pool, config: ReceiverConfig) -> None:
        self._client = client
        self._pool = pool
        self._config = config

    def _token(self, request: web.Request) -> PageToken | web.Response:
        """The verified token, or the 403 to answer."""
        try:
            return verify(request.match_info["token"], self._config.page_secret, datetime.now(UTC))
        except BadToken as err:
            log.info("page link refused", reason=str(err))  # never the token: it is a credential
            return _answer(request, 403, "refused", "this acknowledgement link is not valid or has expired")

    async def confirm(self, request: web.Request) -> web.Response:
        """The link's page (GET and HEAD): reads only, so a prefetch acknowledges nothing."""
        token = self._token(request)
        if isinstance(token, web.Response):
            return token
        # relative, so the form works behind a proxy that serves the receiver under a path prefix
        action = "ack" if request.path.endswith("/ack") else f"{request.match_info['token']}/ack"
        headline, used = await self._about(token)
        if used:
            body = ack_page.answer("acknowledged", f"{token.number}: this link was used already; the paging stopped")
        else:
            body = ack_page.confirmation(token.number, token.person, token.page, action, headline)
        return web.Response(text=body, content_type="text/html", headers=PRIVATE)

    async def _about(self, token: PageToken) -> tuple[str, bool]:
        """The page's "P1 checkout: summary", and whether its link was used; ("", False) when the
        record cannot be read (the button still works, or says why not)."""
        try:
            return await pages.about(self._pool, token.number, token.page, token.person, token.token_id,
                                     self._config.database_timeout.total_seconds())  # fmt: skip
        except DATABASE_ERRORS:
            return "", False

    async def acknowledge(self, request: web.Request) -> web.Response:
        token = self._token(request)
        if isinstance(token, web.Response):
            return token
        try:
            taken = await pages.take_acknowledgement(self._pool, token.token_id, token.number, token.person,
                                                     self._config.database_timeout.total_seconds())  # fmt: skip
        except DATABASE_ERRORS:
            return _answer(request, 503, "unavailable", "cannot record the acknowledgement now; try the link again")
        if not taken:
            return _answer(request, 403, "refused", "this acknowledgement link was used already")
        handle = self._client.get_workflow_handle(token.number)
        try:
            view = await handle.execute_update(IncidentContract.acknowledge_page, {"actor": token.person, "page": token.page},
                                               rpc_timeout=self._config.temporal_rpc_timeout)  # fmt: skip
        except WorkflowUpdateFailedError as err:
            cause = err.cause.message if isinstance(err.cause, ApplicationError) else str(err)
            return _answer(request, 409, "not needed", cause)
        except (RPCError, RuntimeError) as err:  # Temporal away: the link must work again later
            await pages.give_back_acknowledgement(self._pool, token.token_id)
            log.warning("page acknowledgement not delivered", incident=token.number, error=str(err))
            return _answer(request, 503, "unavailable", "the incident cannot be reached now; try the link again")
        log.info("page acknowledged", incident=token.number, person=token.person, page=token.page)
        return _answer(request, 200, "acknowledged", f"{token.number} acknowledged by {token.person}: paging stopped",
                       incident=token.number, by=token.person, state=view.get("state"))  # fmt: skip

    async def calendar(self, request: web.Request) -> web.Response:
        name = request.match_info["schedule"]
        now = datetime.now(UTC)
        start, end = now - CALENDAR_BEHIND, now + CALENDAR_AHEAD
        async with self._pool.acquire() as conn:
            # every earlier override too: the shift under way a week ago is shown from its own start
            schedule = await fetch_schedule(conn, name, None, end)
        if schedule is None:
            raise web.HTTPNotFound(text=f"no on-call schedule {name!r}")
        return web.Response(body=ics(name, calendar_shifts(schedule, start, end), now).encode(),
                            content_type="text/calendar", charset="utf-8")  # fmt: skip


def _answer(request: web.Request, status: int, kind: str, message: str, **extra: object) -> web.Response:
    """JSON for programs, a line of HTML for a person who pressed the button."""
    if "text/html" in request.headers.get("Accept", ""):
        return web.Response(text=ack_page.answer(kind, message), content_type="text/html", status=status,
                            headers=PRIVATE)  # fmt: skip
    return web.json_response({"status": kind, "message": message, **extra}, status=status)


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
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//incident-pipeline//on call//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_escape(f'On call: {name}')}", "X-PUBLISHED-TTL:PT1H"]  # fmt: skip
    for shift, uid in ((c.shift, c.uid) for c in cut):
        who = shift.person or "NOBODY (a hole in the schedule)"
        lines += ["BEGIN:VEVENT", f"UID:{_escape(uid)}", f"DTSTAMP:{_stamp(now)}",
                  f"DTSTART:{_stamp(shift.start)}", f"DTEND:{_stamp(shift.end)}",
                  f"SUMMARY:{_escape(f'On call: {who} ({name})')}", f"DESCRIPTION:{_escape(f'from {shift.source}')}",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]  # fmt: skip
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
