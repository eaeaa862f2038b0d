"""Incident numbers (INC-1042): one Postgres sequence, reserved at intake.

The number is the incident's workflow id, so the Web UI's list names every incident; the
starters (incidentctl open, the receiver's forwarder) reserve it before they start the
workflow, and registration records it. A reservation that is never used leaves a gap in the
numbering, as any sequence does; a number is never given twice.
"""

import asyncpg

NEXT_NUMBER = "SELECT 'INC-' || nextval('incident_number_seq')"


async def reserve_number(db: asyncpg.Pool | asyncpg.Connection) -> str:
    return str(await db.fetchval(NEXT_NUMBER))
