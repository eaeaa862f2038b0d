"""What every incidentctl command is handed: the environment main() read once, the settings drawn from
it, and the ways out of the process: the engineers' API (`api()`, INCIDENT_API_URL and the bearer token
of starter/incidentctl/credentials.py), and for the commands that still go direct, the incident
database and Temporal.

The settings and Temporal's connect configuration are derived from that one reading when a command
first needs them, each once: `--help`, a usage error or an engineer command must not pay for what
they never use (the SDK, asyncpg, a Temporal profile file).
"""

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from runtime.settings import Settings
from starter.incidentctl.errors import Unreachable, why_unreachable

if TYPE_CHECKING:
    from temporalio.client import Client

    from starter.incidentctl.api_client import ApiClient

CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Context:
    env: Mapping[str, str]  # the environment as main() read it: Temporal's own variables and profiles too

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    @cached_property
    def temporal_config(self) -> dict[str, Any]:
        from runtime.temporal_connection import connect_config

        return connect_config(self.env)

    def api(self) -> "ApiClient":
        """The engineers' API at INCIDENT_API_URL, with the caller's token (INCIDENT_API_TOKEN, else the
        stored credentials; none: the API answers 401 and says how to log in)."""
        from starter.incidentctl.api_client import ApiClient
        from starter.incidentctl.credentials import bearer_token

        url = self.settings.api_url
        return ApiClient(url, bearer_token(self.env, url))

    @asynccontextmanager
    async def database(self) -> AsyncIterator[Any]:
        """One short connection to the incident database; exit 3 when it cannot be reached, naming where
        it was looked for (never the password)."""
        from stores.database import DatabaseUnreachable, connected

        try:
            async with connected(self.settings.database_url) as conn:
                yield conn
        except DatabaseUnreachable as err:
            raise Unreachable(
                f"cannot reach the incident database at {err.where} ({why_unreachable(err.cause)})"
            ) from None

    async def temporal(self, models: bool = False) -> "Client":
        """`models`: the pydantic converter, for `open` (it sends domain models); every other command
        sends plain JSON and does without pydantic."""
        from temporalio.client import Client

        config = dict(self.temporal_config)
        if models:
            from temporalio.contrib.pydantic import pydantic_data_converter

            config["data_converter"] = pydantic_data_converter
        # The SDK core writes its retry warnings to stdout by default: they would corrupt `-o json` and
        # the one-line refusals while a server is down. Failures reach us as exceptions anyway.
        from temporalio.runtime import Runtime, TelemetryConfig

        config["runtime"] = Runtime(telemetry=TelemetryConfig(logging=None))
        try:
            return await asyncio.wait_for(Client.connect(**config), timeout=CONNECT_TIMEOUT_SECONDS)
        except (TimeoutError, RuntimeError, OSError) as err:
            address = config["target_host"]
            if _answered_but_not_temporal(err):  # e.g. TEMPORAL_ADDRESS set to the Web UI's port
                raise Unreachable(
                    f"nothing at {address} speaks Temporal's API (something answers there: the Web"
                    " UI? Temporal's frontend listens on 7233 by default)"
                ) from None
            raise Unreachable(f"cannot reach Temporal at {address} ({why_unreachable(err)})") from None


def _answered_but_not_temporal(err: BaseException) -> bool:
    """The connection was made, then the first call (get_system_info) ended in a status no Temporal
    frontend gives it: an HTTP server (the Web UI) or anything else not speaking gRPC is listening.
    Unauthenticated, PermissionDenied or Unavailable come from a real frontend and are said as such."""
    text = str(err)
    found = re.search(r"call error after connection.*?code: (\w+)", text, re.DOTALL)
    return found is not None and found.group(1) in ("Cancelled", "Internal", "Unknown", "Unimplemented")
