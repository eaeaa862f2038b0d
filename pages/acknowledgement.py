"""The acknowledgement page a page's link opens, on the receiver.

`GET /v1/pages/<token>/ack` (the link every page carries) and `GET /v1/pages/<token>`: a page with one
button; a GET or HEAD changes nothing, so a mail scanner or link checker that fetches the link
acknowledges nothing. The button POSTs to `/v1/pages/<token>/ack`, which acknowledges. The token is
signed, bound to one incident, one person and one page, and expires (domain/page_links.py). Each page
acknowledges once: a wrong, expired or reused token gets 403 and acknowledges nothing. The actor
recorded is the paged person, in the incident's history and in the audit log ("via": "page link").

The HTML is built for a phone first (pages are read on one at night): the viewport follows the
device, the button spans the width and is large enough to press with a thumb. Every value is escaped.
"""

from datetime import UTC, datetime
from html import escape

import asyncpg
import structlog
from aiohttp import web
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.audit_trail import record
from domain.page_links import BadToken, PageToken, verify
from receiver.config import DATABASE_ERRORS, ReceiverConfig
from receiver.database import bounded
from stores import pages as page_records
from workflows.contract import IncidentContract

log = structlog.get_logger("receiver")

AUDITED = ("state", "priority", "group", "assignee")  # before and after, as the API's actions record them
# the link is a credential: never cached, never sent on as a Referer, never indexed
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class AcknowledgementRoutes:
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
            body = answer("acknowledged", f"{token.number}: this link was used already; the paging stopped")
        else:
            body = confirmation(token.number, token.person, token.page, action, headline)
        return web.Response(text=body, content_type="text/html", headers=PRIVATE)

    async def _about(self, token: PageToken) -> tuple[str, bool]:
        """The page's "P1 checkout: summary", and whether its link was used; ("", False) when the
        record cannot be read (the button still works, or says why not)."""
        try:
            return await page_records.about(
                self._pool,
                token.number,
                token.page,
                token.person,
                token.token_id,
                self._config.database_timeout.total_seconds(),
            )
        except DATABASE_ERRORS:
            return "", False

    async def acknowledge(self, request: web.Request) -> web.Response:
        token = self._token(request)
        if isinstance(token, web.Response):
            return token
        try:
            taken = await page_records.take_acknowledgement(
                self._pool, token.token_id, token.number, token.person, self._config.database_timeout.total_seconds()
            )
        except DATABASE_ERRORS:
            return _answer(request, 503, "unavailable", "cannot record the acknowledgement now; try the link again")
        if not taken:
            return _answer(request, 403, "refused", "this acknowledgement link was used already")
        handle = self._client.get_workflow_handle(token.number)
        before = await self._audited_view(handle)
        try:
            view = await handle.execute_update(
                IncidentContract.acknowledge_page,
                {"actor": token.person, "page": token.page},
                rpc_timeout=self._config.temporal_rpc_timeout,
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause.message if isinstance(err.cause, ApplicationError) else str(err)
            return _answer(request, 409, "not needed", cause)
        except (RPCError, RuntimeError) as err:  # Temporal away: the link must work again later
            await page_records.give_back_acknowledgement(self._pool, token.token_id)
            log.warning("page acknowledgement not delivered", incident=token.number, error=str(err))
            return _answer(request, 503, "unavailable", "the incident cannot be reached now; try the link again")
        log.info("page acknowledged", incident=token.number, person=token.person, page=token.page)
        await self._audit(token, before, view)
        return _answer(
            request,
            200,
            "acknowledged",
            f"{token.number} acknowledged by {token.person}: paging stopped",
            incident=token.number,
            by=token.person,
            state=view.get("state"),
        )

    async def _audited_view(self, handle: WorkflowHandle) -> dict | None:
        """The incident's state before the acknowledgement, for the audit log; None when it cannot be read
        (the update then answers why)."""
        try:
            view = await handle.query(IncidentContract.view, {}, rpc_timeout=self._config.temporal_rpc_timeout)
        except (RPCError, RuntimeError, WorkflowQueryFailedError):
            return None
        return {key: view.get(key) for key in AUDITED}

    async def _audit(self, token: PageToken, before: dict | None, view: dict) -> None:
        """The paged person is the actor. The incident has taken the acknowledgement already, so a record
        that cannot be reached now does not undo it: the log says so, and the incident's history keeps it."""
        after = {**{key: view.get(key) for key in AUDITED}, "via": "page link", "page": token.page}
        try:
            async with bounded(self._pool, self._config.database_timeout.total_seconds()) as conn:
                await record(
                    conn,
                    actor=token.person,
                    by=None,
                    action="incident.ack",
                    target=token.number,
                    before=before,
                    after=after,
                )
        except DATABASE_ERRORS as err:
            log.error("audit entry not written", incident=token.number, person=token.person, error=type(err).__name__)


def _answer(request: web.Request, status: int, kind: str, message: str, **extra: object) -> web.Response:
    """JSON for programs, a line of HTML for a person who pressed the button."""
    if "text/html" in request.headers.get("Accept", ""):
        return web.Response(text=answer(kind, message), content_type="text/html", status=status, headers=PRIVATE)
    return web.json_response({"status": kind, "message": message, **extra}, status=status)


STYLE = (
    "*{box-sizing:border-box}"
    "body{margin:0;font:18px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;background:#fff}"
    "main{max-width:32rem;margin:0 auto;padding:1.25rem}"
    "h1{font-size:1.4rem;margin:.25rem 0 .75rem;overflow-wrap:anywhere}"
    "p{margin:.5rem 0;overflow-wrap:anywhere}.muted{color:#4a5360;font-size:.95rem}"
    "button{display:block;width:100%;min-height:3.5rem;margin:1.25rem 0 .5rem;padding:.75rem 1rem;border:0;"
    "border-radius:.5rem;background:#b42318;color:#fff;font:inherit;font-weight:600;cursor:pointer}"
    "button:focus-visible{outline:3px solid #1f4e99;outline-offset:2px}"
)


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<meta name=robots content='noindex, nofollow'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def confirmation(number: str, person: str, page: int, action: str, headline: str = "") -> str:
    """The page the link opens: what was paged, and one button that POSTs to `action`.

    `headline` is the page's "P1 checkout: 5xx above 5%" when it is known, else empty."""
    about = f"<p>{escape(headline)}</p>" if headline else ""
    return _document(
        f"Acknowledge {number}",
        f"<h1>{escape(number)}</h1>{about}"
        f"<p class=muted>Paged: {escape(person)} (page {page}).</p>"
        f"<form method=post action='{escape(action, quote=True)}'>"
        "<button type=submit>Acknowledge: I am on it</button></form>"
        "<p class=muted>Pressing the button takes the incident and stops the paging.</p>",
    )


def answer(kind: str, message: str) -> str:
    """What the button (or a refused link) answers a person."""
    return _document(kind, f"<h1>{escape(kind.capitalize())}</h1><p>{escape(message)}</p>")
