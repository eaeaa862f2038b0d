"""Acknowledgement links and on-call calendars, on the receiver.

- `GET /v1/pages/<token>`: a page with one button (a link checker or mail scanner that fetches the
  link acknowledges nothing); `POST /v1/pages/<token>/ack`: acknowledges. The token is signed,
  bound to one incident, one person and one page, and expires (activities/page_links.py). Each
  page acknowledges once: a wrong, expired or reused token gets 403 and acknowledges nothing.
  The actor recorded is the paged person.
- `GET /v1/oncall/<schedule>.ics`: the schedule's shifts as iCalendar, from a week ago to 120 days
  ahead, to subscribe to in a calendar. Names and times only: never contact details.
"""

import html
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from aiohttp import web
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.oncall_store import fetch_schedule
from activities.page_links import BadToken, PageToken, verify
from domain.oncall import shifts
from starter.receiver.config import DATABASE_ERRORS, ReceiverConfig

log = structlog.get_logger("receiver")

CALENDAR_BEHIND, CALENDAR_AHEAD = timedelta(days=7), timedelta(days=120)


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
        token = self._token(request)
        if isinstance(token, web.Response):
            return token
        action = html.escape(f"/v1/pages/{request.match_info['token']}/ack")
        body = (f"<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
                f"<title>Acknowledge {html.escape(token.number)}</title><main><h1>{html.escape(token.number)}</h1>"
                f"<p>Paged: {html.escape(token.person)} (page {token.page}).</p>"
                f"<form method=post action='{action}'><button type=submit>Acknowledge: I am on it</button></form>"
                f"</main></html>")  # fmt: skip
        return web.Response(text=body, content_type="text/html")

    async def acknowledge(self, request: web.Request) -> web.Response:
        token = self._token(request)
        if isinstance(token, web.Response):
            return token
        try:
            taken = await self._pool.fetchval(
                "INSERT INTO page_acks (token_id, number, person) VALUES ($1, $2, $3)"
                " ON CONFLICT (token_id) DO NOTHING RETURNING token_id", token.token_id, token.number, token.person,
                timeout=self._config.database_timeout.total_seconds(),
            )  # fmt: skip
        except DATABASE_ERRORS:
            return _answer(request, 503, "unavailable", "cannot record the acknowledgement now; try the link again")
        if taken is None:
            return _answer(request, 403, "refused", "this acknowledgement link was used already")
        handle = self._client.get_workflow_handle(token.number)
        try:
            view = await handle.execute_update("acknowledge_page", {"actor": token.person, "page": token.page},
                                               result_type=dict, rpc_timeout=self._config.temporal_rpc_timeout)  # fmt: skip
        except WorkflowUpdateFailedError as err:
            cause = err.cause.message if isinstance(err.cause, ApplicationError) else str(err)
            return _answer(request, 409, "not needed", cause)
        except (RPCError, RuntimeError) as err:  # Temporal away: the link must work again later
            await self._pool.execute("DELETE FROM page_acks WHERE token_id = $1", token.token_id)
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
            schedule = await fetch_schedule(conn, name, start, end)
        if schedule is None:
            raise web.HTTPNotFound(text=f"no on-call schedule {name!r}")
        return web.Response(body=ics(name, shifts(schedule, start, end), now).encode(), content_type="text/calendar",
                            charset="utf-8")  # fmt: skip


def _answer(request: web.Request, status: int, kind: str, message: str, **extra: object) -> web.Response:
    """JSON for programs, a line of HTML for a person who pressed the button."""
    if "text/html" in request.headers.get("Accept", ""):
        text = f"<!doctype html><html lang=en><meta charset=utf-8><title>{kind}</title><p>{html.escape(message)}</p>"
        return web.Response(text=text, content_type="text/html", status=status)
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


def ics(name: str, cut: list, now: datetime) -> str:  # type: ignore[type-arg]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//incident-pipeline//on call//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_escape(f'On call: {name}')}", "X-PUBLISHED-TTL:PT1H"]  # fmt: skip
    for shift in cut:
        who = shift.person or "NOBODY (a hole in the schedule)"
        lines += ["BEGIN:VEVENT", f"UID:{name}-{_stamp(shift.start)}@incident-pipeline", f"DTSTAMP:{_stamp(now)}",
                  f"DTSTART:{_stamp(shift.start)}", f"DTEND:{_stamp(shift.end)}",
                  f"SUMMARY:{_escape(f'On call: {who} ({name})')}", f"DESCRIPTION:{_escape(f'from {shift.source}')}",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]  # fmt: skip
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
