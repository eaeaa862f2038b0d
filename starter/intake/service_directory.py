"""Which services are in the agreed catalog, and which integration key (routing key) names which.

Read from Postgres `services` (loaded by the worker from catalog.toml) and cached:
an alert storm must not become a query storm. The cache is re-read when it is older
than `catalog_refresh`, and on a miss at most every `catalog_miss_refresh`, so a
service just added to the catalog is found quickly while junk keys cannot hammer
the database. When Postgres is down the last good copy keeps serving.
"""

import asyncio
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import structlog

from receiver.config import DATABASE_ERRORS, ReceiverConfig
from receiver.database import bounded
from stores import catalog

log = structlog.get_logger("receiver")


@dataclass(frozen=True)
class CatalogService:
    name: str
    integration_key: str
    agreed: bool  # False: withdrawn from catalog.toml, so no new incidents


class CatalogUnavailable(Exception):
    """The catalog could not be read and no earlier copy exists: the receiver cannot decide (503)."""


class ServiceDirectory:
    def __init__(self, pool: asyncpg.Pool, config: ReceiverConfig) -> None:
        self._pool = pool
        self._config = config
        self._services: list[CatalogService] | None = None
        self._named: dict[str, CatalogService] = {}  # the same copy by name: a lookup per request, not a scan
        self._loaded_at = 0.0
        self._tried_at = 0.0
        self._lock = asyncio.Lock()

    async def by_name(self, name: str) -> CatalogService | None:
        return await self._find(lambda _services: self._named.get(name))

    async def by_integration_key(self, key: str) -> CatalogService | None:
        return await self._find(lambda services: self._find_key(services, key))

    async def _find(self, match: Callable[[list[CatalogService]], CatalogService | None]) -> CatalogService | None:
        """In the catalog as read; a miss re-reads it (at most every catalog_miss_refresh) and looks again."""
        found = match(await self._current())
        if found is None and await self._reload_after_miss():
            found = match(await self._current())
        return found

    @staticmethod
    def _find_key(services: list[CatalogService], key: str) -> CatalogService | None:
        """The key is a credential: compare with every service in constant time, no early exit."""
        found, wanted = None, key.encode()
        for service in services:
            if hmac.compare_digest(service.integration_key.encode(), wanted):
                found = service
        return found

    async def _current(self) -> list[CatalogService]:
        now = time.monotonic()
        stale = now - self._loaded_at > self._config.catalog_refresh.total_seconds()
        # a copy that could not be refreshed serves on: while Postgres is away, not every request waits for it
        retry = now - self._tried_at >= self._config.catalog_miss_refresh.total_seconds()
        if self._services is None or (stale and retry):
            await self._reload()
        if self._services is None:
            raise CatalogUnavailable("the service catalog could not be read from Postgres")
        return self._services

    async def _reload_after_miss(self) -> bool:
        if time.monotonic() - self._tried_at < self._config.catalog_miss_refresh.total_seconds():
            return False
        await self._reload()
        return True

    async def _reload(self) -> None:
        tried_before = self._tried_at
        async with self._lock:  # one query however many requests noticed the stale cache
            if self._tried_at != tried_before:
                return  # another request reloaded it while this one waited for the lock
            self._tried_at = time.monotonic()
            try:
                async with bounded(self._pool, self._config.database_timeout.total_seconds()) as conn:
                    rows = await catalog.directory(conn)
            except DATABASE_ERRORS as err:
                log.warning(
                    "service catalog not readable; keeping the last copy",
                    error=str(err),
                    have_copy=self._services is not None,
                )
                return
            services = [CatalogService(r["name"], r["integration_key"], r["agreed"]) for r in rows]
            self._named = {service.name: service for service in services}  # name: the table's primary key
            self._services = services
            self._loaded_at = self._tried_at
