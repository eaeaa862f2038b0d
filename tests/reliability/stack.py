"""Servers the reliability tests may kill: a dev server, an embedded Postgres and worker subprocesses.

Everything listens on 127.0.0.1 and lives in a pytest tmp directory. Blocking steps
(pg_ctl, waiting for a port) run in a thread: the test's own clients share the event loop.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

import asyncpg
from temporalio.client import Client

from localstack.postgres import LocalPostgres
from localstack.temporal import connect_when_ready, free_port, start_dev_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKER = PROJECT_ROOT / "worker.py"
# What the interpreter reports for a process that died of a signal during finalization:
# negative from asyncio (-11 SIGSEGV, -6 SIGABRT), 128+n from a shell (134, 139).
CRASH_CODES = frozenset({-11, -6, 134, 139})

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float, what: str, every: float = 0.2) -> T:
    """Poll until `check` returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = await check()
            if result:
                return result
        except Exception as err:  # servers come and go in these tests: keep asking until the deadline
            last_error = err
        await asyncio.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f}s (last error: {last_error!r})")


class TemporalServer:
    """The dev server on one SQLite file: SIGKILL it, start it again on the same file and port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.db_file = directory / "temporal.db"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.process = await asyncio.to_thread(
            start_dev_server, self.db_file, self.port, None, self.directory / "server.log"
        )

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush beyond what SQLite already committed."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait, 30)

    def stop(self) -> None:
        """For fixture teardown: whatever state the test left it in, no process stays behind."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)

    async def client(self) -> Client:
        return await connect_when_ready(self.address)


class PostgresServer:
    """An embedded Postgres of its own, stoppable mid-test; each test module gets a database on it."""

    def __init__(self, directory: Path) -> None:
        self.server = LocalPostgres(directory / "data", free_port())

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.server.port}/{database}"

    async def start(self) -> None:
        await asyncio.to_thread(self.server.start)

    async def stop(self) -> None:
        await asyncio.to_thread(self.server.stop, "fast")  # what an operator's restart does

    def close(self) -> None:
        self.server.stop("immediate")

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)


class ChildProcess:
    """A program of ours as a subprocess (output in a log file), killable and stoppable by signal."""

    def __init__(self, argv: list[str], env: Mapping[str, str], log_file: Path, ready_line: str | None) -> None:
        self.argv, self.env, self.log_file, self.ready_line = argv, dict(env), log_file, ready_line
        self.process: asyncio.subprocess.Process | None = None
        self._offset = 0

    def command(self) -> list[str]:
        """What is executed: the program itself here; a subclass may run it through a wrapper."""
        return self.argv

    async def start(self, timeout: float = 30) -> "ChildProcess":
        """Start it and, when a ready line is given, wait until its output says it."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command(), env=self.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        if self.ready_line is None:
            return self
        ready_line = self.ready_line

        async def ready() -> bool:
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"{self.argv[-1]} exited {self.process.returncode}:\n{self.output()[-2000:]}")
            return ready_line in self.output()

        try:
            await eventually(ready, timeout, f"{self.argv[-1]} says {ready_line!r}", every=0.05)
        except BaseException:
            await self.kill()
            raise
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def output(self) -> str:
        """What this run (since the last start) wrote."""
        with self.log_file.open("rb") as log:
            log.seek(self._offset)
            return log.read().decode(errors="replace")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig`, wait for the exit; returns the exit code (negative: killed by a signal)."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            await self.kill()
            raise AssertionError(f"{self.argv[-1]} did not exit within {timeout:.0f}s of {sig.name}") from None


def worker_env(temporal: str, database_url: str, task_queue: str, catalog: Path) -> dict[str, str]:
    return {**os.environ, "TEMPORAL_ADDRESS": temporal, "INCIDENT_DATABASE_URL": database_url,
            "INCIDENT_TASK_QUEUE": task_queue, "INCIDENT_CATALOG": str(catalog), "INCIDENT_LOG_LEVEL": "info",
            "PYTHONUNBUFFERED": "1"}  # fmt: skip


def worker_process(env: Mapping[str, str], log_file: Path) -> ChildProcess:
    return ChildProcess([sys.executable, str(WORKER)], env, log_file, ready_line='"worker started"')
