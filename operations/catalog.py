"""The agreed catalog behind the API (/v1/catalog): the agreements as loaded, and a reload of
catalog.toml (with the oncall file it names), validated whole and loaded in one transaction, so a file
with a mistake changes nothing. The reload is appended to the audit log with the agreements before and
after (never the services' notification settings: their webhook URLs are credentials)."""

import json
from pathlib import Path
from typing import Any

import asyncpg

from api.audit_trail import record
from domain.names import unknown_name
from operations.incidents import Backends
from operations.outcomes import InvalidInput, UnknownName
from stores.catalog import agreements as stored_agreements
from stores.catalog_file import CatalogFileError, catalog_from_texts, load_catalog_on
from stores.known_errors import every_one


async def _agreements(conn: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    rows = await stored_agreements(conn)
    return {r["name"]: {**json.loads(r["agreement"]), "notifications": json.loads(r["notifications"])} for r in rows}


def _without_credentials(agreements: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {k: v for k, v in a.items() if k != "notifications"} for name, a in agreements.items()}


def _change(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if after.get("withdrawn"):
        return "unchanged (withdrawn)" if before and before.get("withdrawn") else "withdrawn: no new incidents"
    if before is None:
        return "added"
    return "unchanged" if before == after else "changed"


async def shown(backends: Backends, service: str | None) -> dict[str, Any]:
    """The agreements (one service's with `service`) and the known errors of those services."""
    async with backends.record() as conn:
        agreements = _without_credentials(await _agreements(conn))
        known = await every_one(conn)
    if service is not None:
        if service not in agreements:
            raise UnknownName(unknown_name("a service of the catalog", service, list(agreements)))
        agreements = {service: agreements[service]}
    errors = [dict(r) | {"match": json.loads(r["match"])} for r in known if r["service"] in agreements]
    return {"services": agreements, "known_errors": errors}


async def reload(
    backends: Backends,
    file: str,
    text: str,
    oncall_text: str | None,
    actor: str,
    by: str | None,
) -> dict[str, Any]:
    """Load the catalog the file's content states; what changed per service. Re-loading changes nothing."""
    try:
        catalog = catalog_from_texts(Path(file), text, oncall_text)
    except CatalogFileError as err:
        raise InvalidInput(f"{err}; nothing changed, the loaded catalog stays in force") from None
    async with backends.record() as conn, conn.transaction():
        before = await _agreements(conn)
        try:
            await load_catalog_on(conn, catalog)
        except CatalogFileError as err:
            raise InvalidInput(f"{err}; nothing changed, the loaded catalog stays in force") from None
        after = await _agreements(conn)
        changes = {name: _change(before.get(name), after[name]) for name in after}
        if after != before:  # the same file again changes nothing, and records nothing
            await record(
                conn,
                actor=actor,
                by=by,
                action="catalog.reload",
                target=file,
                before=_without_credentials(before),
                after=_without_credentials(after),
            )
    return {
        "file": file,
        "services": changes,
        "known_errors": len(catalog.known_errors),
        "services_in_file": len(catalog.services),
    }
