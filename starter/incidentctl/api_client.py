"""incidentctl's way to the engineers' API: JSON over HTTP with the standard library (urllib), so a command
starts as fast as it did (no SDK, no pydantic, no event loop needed).

The API answers errors as RFC 9457 problems; each becomes the exit it has always been: 400, 401, 403,
404, 409 and 422 refuse (exit 1, the problem's detail as the line), 503 is unreachable (exit 3, the
detail says what the API cannot reach), and an API that does not answer is unreachable too:
`cannot reach the incident API at <url> (connection refused)`.
"""

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from starter.incidentctl.errors import Refused, Unreachable, why_unreachable

# An action waits for the workflow's update (its worker may be busy): longer than the API's own waits.
TIMEOUT_SECONDS = 70
UNAVAILABLE = (502, 503, 504)


class ApiClient:
    def __init__(self, api_url: str, token: str | None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.api_url, self.token, self.timeout = api_url.rstrip("/"), token, timeout

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, query=query)

    def post(self, path: str, json: Any = None) -> Any:
        return self._call("POST", path, body=json)

    def delete(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return self._call("DELETE", path, query=query)

    def _call(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        url = self.api_url + path
        given = {key: _text(value) for key, value in (query or {}).items() if value is not None and value is not False}
        if given:
            url += "?" + urllib.parse.urlencode(given)
        headers = {"Accept": "application/json, application/problem+json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                raw, kind = answer.read(), answer.headers.get_content_type()
        except urllib.error.HTTPError as err:
            raise self._problem(err) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:  # a cut answer too
            reason = err.reason if isinstance(err, urllib.error.URLError) else err
            why = why_unreachable(reason) if isinstance(reason, BaseException) else str(reason)
            raise Unreachable(f"cannot reach the incident API at {self.api_url} ({why})") from None
        try:
            if kind != "application/json":
                raise ValueError(kind)
            return json.loads(raw) if raw else None
        except ValueError:
            raise self._not_the_api() from None

    def _problem(self, err: urllib.error.HTTPError) -> Exception:
        try:
            problem = json.loads(err.read() or b"{}")
        except (ValueError, OSError):
            problem = None
        detail = problem.get("detail") if isinstance(problem, dict) else None
        if not isinstance(detail, str):  # not a problem of this API: a proxy's page, another server
            if err.code in UNAVAILABLE:
                return Unreachable(f"cannot reach the incident API at {self.api_url} ({err.code} {err.reason})")
            return self._not_the_api()
        return Unreachable(detail) if err.code in UNAVAILABLE else Refused(detail)

    def _not_the_api(self) -> Unreachable:
        """Something answers at INCIDENT_API_URL, but not this API's JSON (the Web UI's address, say)."""
        return Unreachable(
            f"nothing at {self.api_url} speaks the incident API (something answers there: is INCIDENT_API_URL"
            " the API's address? It listens on 8081 by default)"
        )


def _text(value: Any) -> str:
    return "true" if value is True else str(value)
