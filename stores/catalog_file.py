"""catalog.toml (and the oncall file it names): read and validated, then loaded into Postgres: the
agreements (stores/catalog.py), on call (stores/oncall.py) and the catalog's known errors
(stores/known_errors.py), in one transaction."""

import tomllib
from pathlib import Path

import asyncpg
from pydantic import ValidationError

from domain.catalog import Catalog, parse_catalog
from domain.oncall_config import OnCallError
from stores import catalog as services
from stores import oncall
from stores.known_errors import KnownErrorRefused, seed_from_catalog


class CatalogFileError(ValueError):
    """The catalog file cannot be used; the message names the file, the field and why."""


def _toml(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CatalogFileError(f"{path}: cannot be read: {err.strerror or err}") from None
    return _parsed(path, text)


def _parsed(path: Path, text: str) -> dict:  # type: ignore[type-arg]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CatalogFileError(f"{path}: not valid TOML: {err}") from None


def read_catalog_file(path: Path) -> Catalog:
    """Parse and validate catalog.toml and the oncall file it names (`oncall = "oncall.toml"`,
    relative to it). Raises CatalogFileError naming the file and the field."""
    raw = _toml(path)
    oncall_path = path.parent / raw.pop("oncall") if "oncall" in raw else None
    oncall = _toml(oncall_path) if oncall_path is not None else None
    return catalog_of(path, raw, oncall_path, oncall)


def catalog_from_texts(path: Path, text: str, oncall_text: str | None) -> Catalog:
    """The catalog from its files' texts, read elsewhere (incidentctl reads them and sends them to the
    API); `path` names the catalog file in refusals, and the oncall file it names is relative to it."""
    raw = _parsed(path, text)
    oncall_path = path.parent / raw.pop("oncall") if "oncall" in raw else None
    if oncall_path is not None and oncall_text is None:
        raise CatalogFileError(f"{oncall_path}: cannot be read: its text was not sent with the catalog")
    oncall = _parsed(oncall_path, oncall_text) if oncall_path is not None and oncall_text is not None else None
    return catalog_of(path, raw, oncall_path, oncall)


def catalog_of(path: Path, raw: dict, oncall_path: Path | None, oncall: dict | None) -> Catalog:  # type: ignore[type-arg]
    """The catalog from the two files' parsed contents; `path` and `oncall_path` name them in refusals."""
    try:
        return parse_catalog(raw, oncall)
    except OnCallError as err:
        raise CatalogFileError(f"{oncall_path}: {err}") from None
    except ValidationError as err:
        problems = [
            f"{'.'.join(str(part) for part in e['loc']) or 'catalog'}: {e['msg'].removeprefix('Value error, ')}"
            for e in err.errors(include_url=False)
        ]
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
            await services.upsert(
                conn,
                entry.name,
                entry.integration_key,
                entry.agreement().model_dump_json(),
                entry.notifications.model_dump_json(),
            )
        await services.withdraw_all_but(conn, list(catalog.services))
        await oncall.load(conn, catalog.oncall)
        try:
            await seed_from_catalog(conn, catalog.known_errors)
        except KnownErrorRefused as err:
            raise CatalogFileError(f"catalog.toml: {err}") from None
