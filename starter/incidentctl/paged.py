"""Lists from the API come in pages (`{"items": [...], "next_cursor": ...}`); a command prints them whole."""

from typing import Any


def every(api: Any, path: str, **query: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, its pages followed (`query`'s None values left out)."""
    query = {k: v for k, v in query.items() if v is not None}
    items: list[dict[str, Any]] = []
    while True:
        page = api.get(path, query=query)
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        query["cursor"] = page["next_cursor"]
