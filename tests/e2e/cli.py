"""Run incidentctl as a user would: a subprocess with the environment pointing at the test stack."""

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

# what only the worker and the API hold: a test run's own environment must not lend them to incidentctl
SERVERS_OF_THE_API = ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "INCIDENT_TASK_QUEUE", "INCIDENT_DATABASE_URL")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Through the engineers' API, as a laptop would: only INCIDENT_API_URL and a token (INCIDENT_API_TOKEN),
    no address or credentials of Temporal or PostgreSQL."""

    def __init__(self, api_url: str, token: str) -> None:
        self.env = {**{k: v for k, v in os.environ.items() if k not in SERVERS_OF_THE_API},
                    "INCIDENT_API_URL": api_url, "INCIDENT_API_TOKEN": token, "INCIDENT_USER": "tester"}  # fmt: skip

    async def __call__(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        # asynchronous on purpose: the test worker shares this event loop and must keep running
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starter.incidentctl", *args, env={**self.env, **(env or {})},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return CliResult(process.returncode, out.decode(), err.decode())

    async def ok_json(self, *args: str) -> Any:
        result = await self("-o", "json", *args)
        assert result.code == 0, f"incidentctl {' '.join(args)} exited {result.code}: {result.err}"
        return result.json()
