"""A paginated answer's shape, `{"items": [...], "next_cursor": str | null}`, for lists the service layer
returns whole and in a stable order (a group's overrides, the known errors, the maintenance windows)."""

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from api.pagination import MAX_LIMIT, next_cursor, offset_of

Item = TypeVar("Item")
# A paged route's query: `limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None`
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many items")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = None  # hand it back as `cursor` for the next page; null on the last


def paged(items: list, limit: int, cursor: str | None) -> dict:  # type: ignore[type-arg]
    start = offset_of(cursor)
    page = items[start : start + limit]
    return {"items": page, "next_cursor": next_cursor(start, len(page), len(items))}
