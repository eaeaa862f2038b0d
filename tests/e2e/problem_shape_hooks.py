"""A schemathesis check (loaded with SCHEMATHESIS_HOOKS) that every error the API gives is the one
documented shape: RFC 9457 problem details as application/problem+json, its `status` the answer's."""

import json

import schemathesis

FIELDS = {"type": str, "title": str, "status": int, "detail": str}


@schemathesis.check
def errors_are_problem_details(ctx, response, case):  # type: ignore[no-untyped-def]
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if media_type != "application/problem+json":
        raise AssertionError(
            f"a {response.status_code} answered {media_type or 'no content type'}, not application/problem+json"
        )
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"a {response.status_code} answered a body that is not JSON") from None
    if not isinstance(body, dict):
        raise AssertionError(f"a {response.status_code} answered {type(body).__name__}, not a problem object")
    wrong = [name for name, kind in FIELDS.items() if not isinstance(body.get(name), kind)]
    if wrong:
        raise AssertionError(f"a {response.status_code} problem lacks or mistypes {', '.join(wrong)}: {body}")
    if body["status"] != response.status_code or not body["detail"].strip():
        raise AssertionError(
            f"a {response.status_code} problem says status {body['status']}, detail {body['detail']!r}"
        )
    if "\n" in body["detail"] or "errors.pydantic.dev" in body["detail"]:
        raise AssertionError(
            f"a {response.status_code} problem's detail is not a line a person reads: {body['detail']!r}"
        )
    return None
