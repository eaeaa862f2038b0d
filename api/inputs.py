"""What routes take, checked as the OpenAPI document states it, where a bare type would let through a
value the store cannot hold (a 500 instead of the caller's 400)."""

from typing import Annotated

from fastapi import Path

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint (bigserial ids)

RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="the id as listed")]
