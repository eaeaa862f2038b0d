"""Run incidentctl as a user would: a subprocess with the environment pointing at the test stack."""

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Through the engineers' API (INCIDENT_API_URL, INCIDENT_API_TOKEN) as a laptop would. The commands
    that still go straight to Temporal or the record (on call, catalog, known errors, maintenance,
    forecast, releases, until they move behind the API) find them through TEMPORAL_ADDRESS,
    INCIDENT_TASK_QUEUE and INCIDENT_DATABASE_URL."""

    def __init__(self, temporal_address: str, task_queue: str, database_url: str, api_url: str, token: str) -> None:
        self.env = {**os.environ, "TEMPORAL_ADDRESS": temporal_address, "INCIDENT_TASK_QUEUE": task_queue,
                    "INCIDENT_DATABASE_URL": database_url, "INCIDENT_API_URL": api_url,
                    "INCIDENT_API_TOKEN": token, "INCIDENT_USER": "tester"}  # fmt: skip

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
