"""The API's configuration lists come in pages a client follows to the end, each row once; incidentctl
follows them and prints the whole list as it always did."""

import json
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.cli import Cli

MAX_PAGES = 100  # more than any list here has: a cursor that never ends fails, it does not hang


def pages(api_url: str, token: str, path: str, **query: Any) -> list[list[dict[str, Any]]]:
    found: list[list[dict[str, Any]]] = []
    cursor = None
    while len(found) < MAX_PAGES:
        given = {**query, **({"cursor": cursor} if cursor else {})}
        request = urllib.request.Request(
            f"{api_url}{path}?{urllib.parse.urlencode(given)}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            page = json.loads(answer.read())
        found.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError(f"{path}: still a next_cursor after {MAX_PAGES} pages")


async def test_known_errors_and_the_forecast_history_come_in_pages_that_add_up_to_the_whole(
    cli: Cli, api_url: str, api_token: str
) -> None:
    listed = await cli.ok_json("known-error", "list", "--all")
    assert len(listed) >= 2
    paged = pages(api_url, api_token, "/v1/known-errors", retired="true", limit=1)
    assert [len(page) for page in paged] == [1] * len(listed)
    assert [page[0] for page in paged] == listed

    await cli.ok_json("open", "--service", "payroll", "--summary", "payslips late", "--impact", "3", "--urgency", "3")
    await cli.ok_json("open", "--service", "payroll", "--summary", "payslips wrong", "--impact", "3", "--urgency", "3")
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    whole = pages(api_url, api_token, "/v1/forecast/history", since=since, services="payroll,email", limit=1000)
    rows = [row for page in whole for row in page]
    assert len(rows) >= 2
    one_by_one = pages(api_url, api_token, "/v1/forecast/history", since=since, services="payroll,email", limit=1)
    assert [row for page in one_by_one for row in page] == rows, "a page repeated or skipped a row"
