"""The agreed catalog in Postgres: `services`, one row per service with its agreement and notification
targets, loaded from catalog.toml (stores/catalog_file.py).

A service dropped from the file keeps its row (incidents reference it) with `withdrawn` set in its
agreement: it takes no new incidents. `IN_FORCE` is that rule, the one place it is written.
"""

import json
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:  # imported where used: incidentctl reads names here without loading pydantic
    from domain.catalog import Notifications, ServiceAgreement

IN_FORCE = "NOT coalesce((agreement->>'withdrawn')::boolean, false)"


async def upsert(
    conn: asyncpg.Connection, name: str, integration_key: str, agreement_json: str, notifications_json: str
) -> None:
    await conn.execute(
        "INSERT INTO services (name, integration_key, agreement, notifications)"
        " VALUES ($1, $2, $3::jsonb, $4::jsonb)"
        " ON CONFLICT (name) DO UPDATE SET integration_key = EXCLUDED.integration_key,"
        " agreement = EXCLUDED.agreement, notifications = EXCLUDED.notifications, loaded_at = now()",
        name,
        integration_key,
        agreement_json,
        notifications_json,
    )


async def withdraw_all_but(conn: asyncpg.Connection, names: list[str]) -> None:
    await conn.execute(
        "UPDATE services SET agreement = jsonb_set(agreement, '{withdrawn}', 'true') WHERE name <> ALL($1::text[])",
        names,
    )


async def fetch_agreement(conn: asyncpg.Connection, service: str) -> "ServiceAgreement | None":
    """The service's agreement while it is in force; None for an unknown or withdrawn service."""
    from domain.catalog import ServiceAgreement

    raw = await conn.fetchval(f"SELECT agreement FROM services WHERE name = $1 AND {IN_FORCE}", service)
    if raw is None:
        return None
    return ServiceAgreement.model_validate(json.loads(raw))


def notifications_from(raw: str | None) -> "Notifications":
    """A service's notification settings from the `notifications` column (none: the defaults)."""
    from domain.catalog import Notifications

    return Notifications.model_validate_json(raw) if raw else Notifications()


async def agreed_services(conn: asyncpg.Connection) -> list[str]:
    """The names of the services in force, sorted (by Python, not by the database's collation)."""
    return sorted(r["name"] for r in await conn.fetch(f"SELECT name FROM services WHERE {IN_FORCE}"))


async def last_agreement(conn: asyncpg.Connection, service: str) -> "ServiceAgreement | None":
    """The service's agreement as last loaded, withdrawn or not (what its past incidents were under)."""
    from domain.catalog import ServiceAgreement

    raw = await conn.fetchval("SELECT agreement FROM services WHERE name = $1", service)
    return ServiceAgreement.model_validate_json(raw) if raw else None


async def agreements(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every service, withdrawn ones too, by name: name, agreement and notifications (JSON text)."""
    return await conn.fetch("SELECT name, agreement, notifications FROM services ORDER BY name")


async def agreements_in_force(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """name and agreement (JSON text) of each service in force."""
    return await conn.fetch(f"SELECT name, agreement FROM services WHERE {IN_FORCE}")


async def directory(db: asyncpg.Pool | asyncpg.Connection, timeout: float | None = None) -> list[asyncpg.Record]:
    """Every service, withdrawn or not: name, integration_key and `agreed` (in force)."""
    return await db.fetch(f"SELECT name, integration_key, {IN_FORCE} AS agreed FROM services", timeout=timeout)


async def listed_services(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The services in force with when each first appeared in the catalog (the status page's components)."""
    return await conn.fetch(f"SELECT name, listed_since FROM services WHERE {IN_FORCE} ORDER BY name")
