"""A paginated answer's shape, `{"items": [...], "next_cursor": str | null}`, for lists the service layer
returns whole and in a stable order (a group's overrides, the known errors, the maintenance windows)."""

from typing import Generic, TypeVar

from pydantic import BaseModel

from api.pagination import next_cursor, offset_of

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = None  # hand it back as `cursor` for the next page; null on the last


def paged(items: list, limit: int, cursor: str | None) -> dict:  # type: ignore[type-arg]
    start = offset_of(cursor)
    page = items[start : start + limit]
    return {"items": page, "next_cursor": next_cursor(start, len(page), len(items))}
