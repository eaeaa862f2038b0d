"""Load the catalog (the agreements) into Postgres, and read it back."""

import json
import tomllib
from pathlib import Path

import asyncpg
from pydantic import ValidationError

from activities.known_error_store import KnownErrorRefused, seed_from_catalog
from domain.catalog import Catalog, Notifications, ServiceAgreement, parse_catalog
from domain.oncall_config import OnCallError


class CatalogFileError(ValueError):
    """The catalog file cannot be used; the message names the file, the field and why."""


def _toml(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as err:
        raise CatalogFileError(f"{path}: cannot be read: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise CatalogFileError(f"{path}: not valid TOML: {err}") from None


def read_catalog_file(path: Path) -> Catalog:
    """Parse and validate catalog.toml and the oncall file it names (`oncall = "oncall.toml"`,
    relative to it). Raises CatalogFileError naming the file and the field."""
    raw = _toml(path)
    oncall_path = path.parent / raw.pop("oncall") if "oncall" in raw else None
    oncall = _toml(oncall_path) if oncall_path is not None else None
    try:
        return parse_catalog(raw, oncall)
    except OnCallError as err:
        raise CatalogFileError(f"{oncall_path}: {err}") from None
    except ValidationError as err:
        problems = [f"{'.'.join(str(part) for part in e['loc']) or 'catalog'}: {e['msg'].removeprefix('Value error, ')}"
                    for e in err.errors(include_url=False)]  # fmt: skip
        raise CatalogFileError(f"{path}: " + "; ".join(problems)) from None
    except ValueError as err:  # parse_catalog's own checks (duplicates, unknown services, durations)
        raise CatalogFileError(f"{path}: {err}") from None


async def load_catalog(pool: asyncpg.Pool, catalog: Catalog) -> None:
    async with pool.acquire() as conn:
        await load_catalog_on(conn, catalog)


async def load_catalog_on(conn: asyncpg.Connection, catalog: Catalog) -> None:
    """Replace the agreements in one transaction; re-running with the same file changes nothing.

    Services are never deleted (incidents reference them); one dropped from the file
    simply stops accepting events because its agreement is marked withdrawn.
    """
    async with conn.transaction():
        for entry in catalog.services.values():
            await conn.execute(
                "INSERT INTO services (name, integration_key, agreement, notifications)"
                " VALUES ($1, $2, $3::jsonb, $4::jsonb)"
                " ON CONFLICT (name) DO UPDATE SET integration_key = EXCLUDED.integration_key,"
                " agreement = EXCLUDED.agreement, notifications = EXCLUDED.notifications, loaded_at = now()",
                entry.name, entry.integration_key, entry.agreement().model_dump_json(),
                entry.notifications.model_dump_json(),
            )  # fmt: skip
        names = list(catalog.services)
        await conn.execute(
            "UPDATE services SET agreement = jsonb_set(agreement, '{withdrawn}', 'true') WHERE name <> ALL($1::text[])",
            names,
        )
        await _load_oncall(conn, catalog)
        try:
            await seed_from_catalog(conn, catalog.known_errors)
        except KnownErrorRefused as err:
            raise CatalogFileError(f"catalog.toml: {err}") from None


async def fetch_agreement(conn: asyncpg.Connection, service: str) -> ServiceAgreement | None:
    row = await conn.fetchrow("SELECT agreement FROM services WHERE name = $1", service)
    if row is None:
        return None
    stored = json.loads(row["agreement"])
    if stored.pop("withdrawn", False):  # dropped from catalog.toml: no new incidents
        return None
    return ServiceAgreement.model_validate(stored)


async def fetch_notifications(conn: asyncpg.Connection, service: str) -> Notifications:
    raw = await conn.fetchval("SELECT notifications FROM services WHERE name = $1", service)
    return Notifications.model_validate_json(raw) if raw else Notifications()


async def _load_oncall(conn: asyncpg.Connection, catalog: Catalog) -> None:
    """People and schedules as the file says (run-time overrides are kept in their own table)."""
    config = catalog.oncall
    for table, column, items in (("oncall_people", "person", config.people),
                                 ("oncall_schedules", "schedule", config.schedules)):  # fmt: skip
        await conn.execute(f"DELETE FROM {table} WHERE name <> ALL($1::text[])", list(items))
        for name, item in items.items():
            await conn.execute(
                f"INSERT INTO {table} (name, {column}) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO UPDATE"
                f" SET {column} = EXCLUDED.{column}, loaded_at = now() WHERE {table}.{column} <> EXCLUDED.{column}",
                name, item.model_dump_json(),
            )  # fmt: skip
