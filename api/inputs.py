"""What routes take, checked as the OpenAPI document states it, where a bare type would let through a
value the store cannot hold (a 500 instead of the caller's 400)."""

import re
from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint (bigserial ids)
FIRST_YEAR, LAST_YEAR = 1000, 9000  # of an instant: far from both ends of what datetime can hold

RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="the id as listed")]


def _written_as_a_date(value: object) -> object:
    """pydantic alone would read a number, or a string of one ("0.5"), as seconds since 1970."""
    if isinstance(value, datetime) or isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
        return value
    raise PydanticCustomError("instant", "give an ISO 8601 instant with its offset, e.g. 2026-12-07T09:00:00Z")


def _within_reach(value: datetime) -> datetime:
    """Reads look days and months around an instant; at datetime's or PostgreSQL's edges that overflows."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError("instant", f"give an instant between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Instant = Annotated[datetime, BeforeValidator(_written_as_a_date), AfterValidator(_within_reach)]  # RFC 3339


class Aliased(BaseModel):
    """A model with fields named by alias (`from`, `to`, `as`: Python keywords), read by alias or name."""

    model_config = ConfigDict(populate_by_name=True)
