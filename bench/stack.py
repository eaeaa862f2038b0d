"""The bench's own stack: a dev server on a temporary SQLite file (WAL), embedded Postgres on a
free port in a temporary directory, and workers as subprocesses (as `make run` runs them), so
worker RSS is the worker's alone and the bench's clients do not share its event loop.
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from temporalio.client import Client

from bench.report import say
from localstack.postgres import LocalPostgres
from localstack.temporal import connect_when_ready, free_port, start_dev_server
from runtime.settings import PROJECT_ROOT


def child_environment() -> dict[str, str]:
    """This environment without Temporal or incident settings, and with bytecode caching: a worker
    re-imports workflows/incident.py into its sandbox for every new workflow, and without a .pyc
    that is a compile each time (about a tenth of the worker's CPU in B1)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("TEMPORAL_", "INCIDENT_")) and k != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux); 0.0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


async def quiet(at_most: float = 60.0, busy_share: float = 0.15) -> float:
    """Wait until the machine's cores this process may use are less than `busy_share` busy over half a
    second (the incidents a storm opened have done their first steps), at most `at_most` seconds;
    returns how long it waited. A side measured first must not leave its work to the side measured next."""
    cores, started = len(os.sched_getaffinity(0)), time.monotonic()
    while time.monotonic() - started < at_most:
        before = busy_cpu_seconds()
        await asyncio.sleep(0.5)
        if (busy_cpu_seconds() - before) / 0.5 < busy_share * cores:
            break
    return time.monotonic() - started


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Stack:
    root: Path
    temporal_address: str
    database_url: str
    temporal: subprocess.Popen[bytes]
    postgres: LocalPostgres
    client: Client
    pool: asyncpg.Pool
    children: list[Child] = field(default_factory=list)
    apis: dict[str, tuple[str, str]] = field(default_factory=dict)  # task queue -> (API URL, token)

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each part of the stack (Postgres: postmaster and its backends)."""
        postmaster = int((self.postgres.data_dir / "postmaster.pid").read_text().split()[0])
        return {"temporal": cpu_seconds(self.temporal.pid),
                "postgres": sum(cpu_seconds(p) for p in [postmaster, *children_of(postmaster)]),
                **{child.name: cpu_seconds(child.pid) for child in self.children},
                "bench": cpu_seconds(os.getpid())}  # fmt: skip

    def env(self, task_queue: str, **extra: str) -> dict[str, str]:
        env = child_environment()
        return {**env, "TEMPORAL_ADDRESS": self.temporal_address, "TEMPORAL_NAMESPACE": "default",
                "INCIDENT_DATABASE_URL": self.database_url, "INCIDENT_TASK_QUEUE": task_queue,
                "PYTHONPATH": str(PROJECT_ROOT), **extra}  # fmt: skip

    async def start_child(self, name: str, argv: list[str], env: dict[str, str], ready: str,
                          timeout: float = 90) -> Child:  # fmt: skip
        """A Python subprocess; returns once its log shows `ready` after this start (a child of the same
        name started earlier appends to the same log, and its `ready` line must not count)."""
        log = self.root / f"{name}.log"
        with log.open("ab") as handle:
            start = handle.tell()
            process = subprocess.Popen([sys.executable, *argv], cwd=PROJECT_ROOT, env=env, stdout=handle,
                                       stderr=subprocess.STDOUT)  # fmt: skip
        child = Child(name, process, log)
        self.children.append(child)
        deadline = time.monotonic() + timeout
        while ready not in log.read_bytes()[start:].decode(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                raise RuntimeError(f"{name} did not start (exit {process.poll()}):\n{tail}")
            await asyncio.sleep(0.1)
        return child

    async def api_env(self, task_queue: str, **extra: str) -> dict[str, str]:
        """The environment of an engineer's incidentctl: the engineers' API serving `task_queue` (started
        the first time it is asked for) and a token for "bench", who may act on any incident."""
        if task_queue not in self.apis:
            from stores.api_tokens import create

            port = free_port()
            env = self.env(task_queue, INCIDENT_API_HOST="127.0.0.1", INCIDENT_API_PORT=str(port))
            await self.start_child(f"api-{task_queue}", ["-m", "api"], env, ready="api listening")
            _, token = await create(self.pool, name="bench", subject="bench", roles=["incident_manager", "admin"],
                                    created_by="bench", expires_at=None)  # fmt: skip
            self.apis[task_queue] = (f"http://127.0.0.1:{port}", token)
        url, token = self.apis[task_queue]
        return self.env(task_queue, INCIDENT_API_URL=url, INCIDENT_API_TOKEN=token, **extra)

    async def start_worker(self, task_queue: str, name: str = "worker") -> Child:
        return await self.start_child(name, ["worker.py"], self.env(task_queue), ready="worker started")

    async def start_bare_worker(self, task_queue: str) -> Child:
        return await self.start_child("bare-worker", ["-m", "bench.bare_workflow"], self.env(task_queue),
                                      ready="bare worker started")  # fmt: skip

    async def close(self) -> None:
        for child in reversed(self.children):
            child.stop()
        await self.pool.close()
        if self.temporal.poll() is None:
            self.temporal.terminate()
            try:
                self.temporal.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.temporal.kill()
        try:
            self.postgres.stop("immediate")
        except (subprocess.SubprocessError, OSError) as err:
            say(f"postgres did not stop cleanly: {err}")
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)


async def start_stack() -> Stack:
    root = Path(tempfile.mkdtemp(prefix="incident-bench-"))
    temporal_port = free_port()
    postgres = LocalPostgres(root / "pg", free_port())
    # both servers start at once: about half the wait on two cores
    database_url, temporal = await asyncio.gather(
        asyncio.to_thread(postgres.start),
        asyncio.to_thread(start_dev_server, root / "temporal.db", temporal_port, None, root / "temporal.log"),
    )
    address = f"127.0.0.1:{temporal_port}"
    client = await connect_when_ready(address)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=10)
    return Stack(root, address, database_url, temporal, postgres, client, pool)
