"""Test agreements layered over catalog.toml, so agreed times can pass in seconds on the real server."""

import asyncpg

from domain.catalog import Catalog, Targets
from domain.enums import Priority
from stores.catalog_file import load_catalog, read_catalog_file
from tests.conftest import CATALOG

FAST_SERVICE = "fast-lane"


def fast_catalog(seconds: float = 2.0) -> Catalog:
    """catalog.toml plus `fast-lane`: every target `seconds` (response) and 2x that (restore)."""
    from datetime import timedelta

    catalog = read_catalog_file(CATALOG)
    fast = catalog.services["email"].model_copy(deep=True)
    fast.name, fast.integration_key = FAST_SERVICE, "fa57fa57fa57fa57fa57fa57fa57fa57"
    fast.targets = {p: Targets(response=timedelta(seconds=seconds), restore=timedelta(seconds=2 * seconds))
                    for p in Priority}  # fmt: skip
    fast.major_update_interval = timedelta(seconds=seconds)
    catalog.services[FAST_SERVICE] = fast
    return catalog


async def load_fast_catalog(pool: asyncpg.Pool, seconds: float = 2.0) -> None:
    await load_catalog(pool, fast_catalog(seconds))


async def load_service_with_webhook(pool: asyncpg.Pool, name: str, integration_key: str, webhook: str) -> None:
    """catalog.toml plus a copy of `email` named `name` whose notifications go to `webhook`."""
    catalog = read_catalog_file(CATALOG)
    service = catalog.services["email"].model_copy(deep=True)
    service.name, service.integration_key = name, integration_key
    service.notifications.webhook = webhook
    catalog.services[name] = service
    await load_catalog(pool, catalog)


async def load_service_like(pool: asyncpg.Pool, name: str, integration_key: str, like: str = "checkout") -> None:
    """catalog.toml plus a copy of `like` named `name`: a service of its own, whose state no other test's
    incidents change (the status page tests read a service's state)."""
    catalog = read_catalog_file(CATALOG)
    service = catalog.services[like].model_copy(deep=True)
    service.name, service.integration_key = name, integration_key
    catalog.services[name] = service
    await load_catalog(pool, catalog)
