"""Every error the API gives, in one shape: RFC 9457 problem details (`application/problem+json`).

`{"type": "about:blank", "title": "Conflict", "status": 409, "detail": "one line a person reads"}`, and
`right` on a 403 (the right that was missing). incidentctl prints `detail` as its one line, so a
detail is a sentence for people, never a trace. FastAPI's own errors (a body that fails its model, an
unknown route, a wrong method) are said in this shape too.
"""

import re
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from operations import outcomes

log = structlog.get_logger("api")

MEDIA_TYPE = "application/problem+json"


class ProblemDetails(BaseModel):
    """The body of every error answer (documented in the OpenAPI document)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    right: str | None = None  # on 403: the right the caller lacks


class Problem(Exception):
    def __init__(self, status: int, detail: str, right: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.right, self.headers = status, detail, right, headers

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": _one_line(self.detail),
        }
        if self.right is not None:
            body["right"] = self.right
        return body


def _one_line(text: str) -> str:
    """What the caller sent may come back in a detail: its line breaks and control characters escaped, so
    the detail stays the one line incidentctl prints."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def bad_request(detail: str) -> Problem:
    return Problem(400, detail)


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(right: str, detail: str) -> Problem:
    return Problem(403, detail, right=right)


def not_found(detail: str) -> Problem:
    return Problem(404, detail)


def conflict(detail: str) -> Problem:
    return Problem(409, detail)


def unavailable(detail: str) -> Problem:
    return Problem(503, detail, headers={"Retry-After": "5"})


# What every route may answer besides its success (the OpenAPI document lists these)
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ProblemDetails,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        "description": HTTPStatus(status).phrase,
    }
    for status in (400, 401, 403, 404, 409, 422, 503)  # 422 listed, or FastAPI documents its validation body
}


def answer(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers)


def validation_detail(errors: Any) -> str:
    """The first thing wrong, naming the field as the request put it: `body.impact: ...`, `query.limit: ...`."""
    first = list(errors)[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return answer(exc)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return answer(bad_request(validation_detail(exc.errors())))


async def _http(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own: 404 for an unknown route, 405 for a wrong method, and the like."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else ""
    if exc.status_code == 404 and not detail:
        detail = f"no such resource: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.url.path} does not take {request.method}"
        return answer(Problem(405, detail, headers=_allowed_methods(request, exc)))
    return answer(Problem(exc.status_code, detail or HTTPStatus(exc.status_code).phrase, headers=exc.headers))


def _allowed_methods(request: Request, exc: HTTPException) -> dict[str, str] | None:
    """Every documented method of the path: Starlette's Allow names only the first route that matched."""
    documented = request.app.openapi()["paths"]
    methods = {
        method.upper()
        for template, operations in documented.items()
        if re.fullmatch("[^/]+".join(map(re.escape, re.split(r"\{[^/}]+\}", template))), request.url.path)
        for method in operations
    }
    return {"Allow": ", ".join(sorted(methods))} if methods else exc.headers


# What the operations behind the routes say, as HTTP
STATUS_OF: dict[type[outcomes.NotDone], int] = {
    outcomes.InvalidInput: 400,
    outcomes.NoSuchIncident: 404,
    outcomes.NotFound: 404,
    outcomes.RefusedNow: 409,
    outcomes.UnknownName: 422,
    outcomes.Unavailable: 503,
}


async def _not_done(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 409)
    return answer(unavailable(str(exc)) if status == 503 else Problem(status, str(exc)))


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug: the caller learns nothing of the internals, the log has the trace (without local variables)."""
    log.error("request failed", method=request.method, path=request.url.path, exc_info=exc)
    return answer(Problem(500, "the API failed to answer this request; its log says why"))


def install_database_outage(app: FastAPI, database_url: str) -> None:
    """Whatever meets the database gone (verifying a token, the audit trail, a read) answers 503 naming it."""
    import asyncpg

    from runtime.unreachable import why_unreachable
    from stores.database import where

    async def _away(request: Request, exc: Exception) -> JSONResponse:
        return answer(
            unavailable(f"cannot reach the incident database at {where(database_url)} ({why_unreachable(exc)})")
        )

    for kind in (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError):
        app.add_exception_handler(kind, _away)
    # text PostgreSQL cannot hold (a NUL character) is the caller's to change, wherever it meets the database
    for kind in (asyncpg.CharacterNotInRepertoireError, asyncpg.UntranslatableCharacterError):
        app.add_exception_handler(kind, _unstorable_text)


async def _unstorable_text(request: Request, exc: Exception) -> JSONResponse:
    return answer(bad_request("a NUL character (\\u0000) cannot be stored or looked up: leave it out"))


def _errors_as_problems_only(app: FastAPI) -> None:
    """FastAPI files a response's model under application/json as well; an error is never that."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        answers = [r for ops in document["paths"].values() for op in ops.values() for r in op["responses"].items()]
        for code, response in answers:
            if code[:1] in "45" and MEDIA_TYPE in response.get("content", {}):
                response["content"].pop("application/json", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _errors_as_problems_only(app)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(outcomes.NotDone, _not_done)
    app.add_exception_handler(Exception, _internal)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
