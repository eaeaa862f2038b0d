"""One way to reach Temporal for every program: Temporal's own environment configuration.

TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS* and config
profiles work as they do for the `temporal` CLI, so the same code talks to the dev
server, a self-hosted cluster or Temporal Cloud.
"""

from collections.abc import Mapping
from typing import Any

from temporalio.client import Client
from temporalio.envconfig import ClientConfig

DEFAULT_ADDRESS = "localhost:7233"


def connect_config(env: Mapping[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config(override_env_vars=dict(env)))
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.setdefault("namespace", "default")
    return config


async def connect(env: Mapping[str, str], **overrides: Any) -> Client:
    from runtime.payloads import incident_data_converter  # pydantic: only for those who send models

    config = {**connect_config(env), **overrides}
    return await Client.connect(**config, data_converter=incident_data_converter)
