"""What routes take, checked as the OpenAPI document states it, where a bare type would let through a
value the store cannot hold (a 500 instead of the caller's 400)."""

import re
from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint (bigserial ids)

RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="the id as listed")]


def _written_as_a_date(value: object) -> object:
    """pydantic alone would read a number, or a string of one ("0.5"), as seconds since 1970."""
    if isinstance(value, datetime) or isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
        return value
    raise PydanticCustomError("instant", "give an ISO 8601 instant with its offset, e.g. 2026-12-07T09:00:00Z")


Instant = Annotated[datetime, BeforeValidator(_written_as_a_date)]  # RFC 3339 date-time, as documented
