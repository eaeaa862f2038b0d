"""What every incidentctl command is handed: the environment main() read once, the settings drawn from
it, and the one way out of the process: the engineers' API (`api()`: INCIDENT_API_URL, and the bearer
token of starter/incidentctl/credentials.py). Temporal and the incident database are the API's to reach.

The settings are derived from that one reading when a command first needs them: `--help` and a usage
error pay for nothing they never use.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from runtime.settings import Settings

if TYPE_CHECKING:
    from starter.incidentctl.api_client import ApiClient


@dataclass(frozen=True)
class Context:
    env: Mapping[str, str]  # the environment as main() read it

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    def api(self) -> "ApiClient":
        """The engineers' API at INCIDENT_API_URL, with the caller's token (INCIDENT_API_TOKEN, else the
        stored credentials; none: the API answers 401 and says how to log in)."""
        from starter.incidentctl.api_client import ApiClient
        from starter.incidentctl.credentials import bearer_token

        url = self.settings.api_url
        return ApiClient(url, bearer_token(self.env, url))
