"""docker-compose.yml's topology on the namespace hosts, started from the compose file's own commands,
settings and start order, so the file cannot drift from what these tests prove.

Docker cannot run here, so each service runs as follows (and the test fails on a service, image,
command or setting this mapping does not know):
- `postgresql` (postgres:16): the core host's PostgreSQL; POSTGRES_USER becomes a superuser role
  with POSTGRES_PASSWORD, and the init scripts mounted at /docker-entrypoint-initdb.d run through psql
  as that user with the service's environment (INCIDENT_DB_PASSWORD);
- `temporal` (temporalio/auto-setup): the core host's Temporal dev server. Its persistence settings
  (DB, DB_PORT, POSTGRES_*) have no counterpart: the dev server keeps its state in SQLite. The
  namespace must be the dev server's, DEFAULT_NAMESPACE_RETENTION is applied to it, and no custom
  search attributes are added (SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES must stay "true");
- `temporal-ui` (temporalio/ui): not run (the dev server is headless here); its TEMPORAL_ADDRESS must
  name the temporal service;
- the project's image (`build: .`): its `python ...` command with the venv's interpreter and the
  service's environment, /app (the Dockerfile's WORKDIR) read as the project's folder, service
  names as the core host's address and 0.0.0.0 as the host's own address: register-search-attributes
  on worker1 (it must exit 0), each worker replica on a worker host, the receiver on both receiver
  hosts (two replicas behind the senders, as a load balancer spreads them), the engineers' API on
  receiver1 (its own port, 8081) answering its health check.
"""

import asyncio
import re
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import yaml

from tests.chaos import entry_points
from tests.chaos.alerts import delivery
from tests.chaos.conftest import Core, child_environment
from tests.chaos.hosts import HostProcess
from tests.chaos.ledger import Sent, settle_and_check
from tests.chaos.sinks import Sinks

SECRETS = {"POSTGRES_PASSWORD": "compose-pg-secret", "INCIDENT_DB_PASSWORD": "composedbsecret",
           "INCIDENT_INGEST_TOKEN": "compose-ingest-token", "INCIDENT_PAGE_SECRET": "compose-page-secret"}  # fmt: skip
IMAGE_SETTINGS = {
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "INCIDENT_DB_PASSWORD"},
    "temporalio/auto-setup": {"DB", "DB_PORT", "POSTGRES_SEEDS", "POSTGRES_USER", "POSTGRES_PWD", "DEFAULT_NAMESPACE",
                              "DEFAULT_NAMESPACE_RETENTION", "SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES"},
    "temporalio/ui": {"TEMPORAL_ADDRESS", "TEMPORAL_DEFAULT_NAMESPACE"},
}  # fmt: skip
PLACES = {"register-search-attributes": ["worker1"], "worker": ["worker1", "worker2"],
          "receiver": ["receiver1", "receiver2"], "api": ["receiver1"]}  # fmt: skip
READY = {"worker": entry_points.WORKER_READY, "receiver": entry_points.RECEIVER_READY, "api": entry_points.API_READY}
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if name in SECRETS:
            return SECRETS[name]
        if kind == "?":
            raise AssertionError(f"compose requires {name} ({default}): add it to SECRETS")
        return default or ""

    return VARIABLE.sub(one, value)


def start_order(services: dict[str, Any]) -> list[str]:
    order: list[str] = []

    def visit(name: str) -> None:
        if name not in order:
            for dependency in services[name].get("depends_on", {}):
                visit(dependency)
            order.append(name)

    for name in services:
        visit(name)
    return order


def image_of(service: dict[str, Any]) -> str:
    return "project" if "build" in service else service["image"].split(":")[0]


@pytest.fixture
async def compose_stack(core: Core, tmp_path: Path) -> AsyncIterator[tuple[dict, dict[str, list[HostProcess]], str]]:
    compose = yaml.safe_load(entry_points.COMPOSE_FILE.read_text())
    workdir = re.search(r"^WORKDIR\s+(\S+)", (entry_points.PROJECT_ROOT / "Dockerfile").read_text(), re.M)
    assert workdir is not None
    network, core_address = core.network, core.network.address("core")
    running: dict[str, list[HostProcess]] = {}
    database_url = ""
    try:
        for name in start_order(compose["services"]):
            service = compose["services"][name]
            env = {k: interpolate(str(v)) for k, v in (service.get("environment") or {}).items()}
            kind = image_of(service)
            if kind != "project":
                unknown = set(env) - IMAGE_SETTINGS.get(kind, set())
                assert kind in IMAGE_SETTINGS and not unknown, f"{name} ({kind}): no stand-in for {sorted(unknown)}"
            if kind == "postgres":
                user, password = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]
                await run_sql(
                    core, "postgres", "postgres", f"CREATE ROLE \"{user}\" SUPERUSER LOGIN PASSWORD '{password}'"
                )
                for volume in service.get("volumes", []):
                    source, _, target = volume.partition(":")
                    if target.startswith("/docker-entrypoint-initdb.d"):
                        for script in sorted((entry_points.COMPOSE_FILE.parent / source).glob("*.sql")):
                            await run_file(core, user, script, env)
            elif kind == "temporalio/auto-setup":
                assert env["SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES"] == "true"
                assert env["DEFAULT_NAMESPACE"] == "default", "the dev server has the namespace `default` only"
                hours = int(env["DEFAULT_NAMESPACE_RETENTION"].removesuffix("h"))
                await entry_points.keep_closed_histories(core.temporal.address, env["DEFAULT_NAMESPACE"], hours)
            elif kind == "temporalio/ui":
                assert env["TEMPORAL_ADDRESS"].startswith("temporal:")
            else:
                command = service["command"]
                assert command[0] == "python", f"{name}: runs {command[0]!r}, not the project's python"
                assert name in PLACES, f"{name}: a service of the project's image with no host here"
                replicas = service.get("deploy", {}).get("replicas", 1)
                hosts = PLACES[name] if name != "worker" else [PLACES[name][i % 2] for i in range(replicas)]
                for host in hosts:
                    here = {k: host_value(v, workdir.group(1), network.address(host), core_address,
                                          list(compose["services"])) for k, v in env.items()}  # fmt: skip
                    database_url = here.get("INCIDENT_DATABASE_URL", database_url)
                    ready = READY.get(name)
                    process = HostProcess(network, host, [entry_points.PYTHON, *command[1:]], child_environment(**here),
                                          tmp_path / f"{name}-{host}.log", ready)  # fmt: skip
                    running.setdefault(name, []).append(await process.start())
                    if service.get("restart") == "no":  # a job: the next services wait for it to succeed
                        assert process.process is not None
                        assert await asyncio.wait_for(process.process.wait(), 330) == 0, process.output()[-2000:]
        yield compose, running, database_url
    finally:
        for processes in running.values():
            for process in processes:
                await process.kill()


def host_value(value: str, workdir: str, host_address: str, core_address: str, services: list[str]) -> str:
    value = value.replace("0.0.0.0", host_address).replace(f"{workdir}/", f"{entry_points.PROJECT_ROOT}/")
    for service in services:
        value = re.sub(rf"(?<=[@/]){re.escape(service)}(?=:\d)|^{re.escape(service)}(?=:\d)", core_address, value)
    return value


async def run_sql(core: Core, user: str, database: str, sql: str) -> None:
    conn = await asyncpg.connect(core.postgres.url(database).replace("postgres@", f"{user}@", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_file(core: Core, user: str, script: Path, env: dict[str, str]) -> None:
    argv = [entry_points.psql(), "-h", core.network.address("core"), "-p", str(core.postgres.PORT), "-U", user,
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", str(script)]  # fmt: skip
    done = await asyncio.to_thread(subprocess.run, argv, env=child_environment(**env), capture_output=True, text=True,
                                   timeout=60)  # fmt: skip
    assert done.returncode == 0, f"{script.name}: {done.stderr}"


async def test_the_compose_topology_runs_from_its_own_commands_and_settings_and_takes_alerts(compose_stack, core):
    compose, running, database_url = compose_stack
    assert database_url.startswith("postgresql://incident:")  # the pipeline's own role, from the init script
    assert sorted(running) == sorted(PLACES)
    assert len(running["worker"]) == compose["services"]["worker"]["deploy"]["replicas"]
    run, sent = uuid.uuid4().hex[:6], Sent()
    token = SECRETS["INCIDENT_INGEST_TOKEN"]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        for api in running["api"]:  # what its compose healthcheck asks
            port = compose["services"]["api"]["environment"]["INCIDENT_API_PORT"]
            async with http.get(f"http://{core.network.address(api.host)}:{port}/healthz") as health:
                assert health.status == 200
        for group, receiver in enumerate(running["receiver"]):
            base = f"http://{core.network.address(receiver.host)}:8080"
            async with http.get(f"{base}/healthz") as health:  # what the compose healthcheck asks
                assert health.status == 200
            for k in range(3):
                sent.attempts += 1
                async with http.post(f"{base}/v1/alerts/alertmanager", json=delivery(run, group, k),
                                     headers={"Authorization": f"Bearer {token}"}) as answer:  # fmt: skip
                    assert answer.status == 202
                    sent.accepted[str((await answer.json())["route"])] += 1
    pool = await asyncpg.create_pool(core.postgres.url("incidents"), min_size=1, max_size=4)
    client = await entry_points.connect_when_ready(core.temporal.address)
    try:
        ledger = await settle_and_check(client, pool, Sinks(core.network.address("client")), sent)
    finally:
        await pool.close()
    print("ledger, the compose topology:", ledger.counts())
    assert ledger.problems == []
    assert ledger.accepted == 6 and ledger.incidents == 2
