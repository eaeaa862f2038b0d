"""Composition root of the worker: settings, logging, Postgres pool, Temporal client, Worker.

Run: `.venv/bin/python worker.py` (every task queue in one process), or `--role split` as `make run`,
docker-compose.yml and make bench run it: the urgent (P1) incidents and their pages in one process, the
rest and the other incidents' pages in another at a lower CPU priority (runtime/worker_split.py).
`--role urgent` and `--role incidents` run one of the two alone. SIGINT/SIGTERM drain: the worker stops polling, lets running tasks finish, then exits 0.
"""

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.known_error_links import KnownErrorLinkActivities
from activities.notifications import NotificationActivities
from activities.paging import PagingActivities, PagingSettings
from activities.records import RecordActivities
from activities.registration import RegistrationActivities
from channels.email import SmtpServer
from runtime.database_sessions import SERVER_SETTINGS, keep_session
from runtime.logs import configure_logging
from runtime.process_exit import exit_now
from runtime.settings import Settings
from runtime.temporal_connection import connect
from runtime.worker_split import run_split
from runtime.workflow_sandbox import CodecFreeSandbox
from starter.incident_lookup import unsupported_incidents
from stores.catalog_file import load_catalog, read_catalog_file
from stores.schema import migrate
from workflows.incident import IncidentWorkflow
from workflows.known_error_links import KnownErrorLinks
from workflows.releases import refusal
from workflows.task_queues import incident_queue, paging_queue

log = structlog.get_logger("worker")

# Our pure modules are deterministic and safe to share with the sandbox: passing them
# through saves re-importing them (and pydantic) for every workflow run. `workflows` too: the
# sandbox would otherwise run workflows/incident.py again for every new incident, building its
# twenty update handlers' signatures each time (a third of the worker's CPU when an alert storm
# opens a hundred incidents at once); tests/unit/test_workflow_determinism.py keeps its modules
# free of what the sandbox would have refused.
PASSTHROUGH_MODULES = (
    "domain", "activities", "workflows", "pydantic", "pydantic_core", "annotated_types", "structlog",
)  # fmt: skip
DATABASE_POOL_SIZE = 10  # activities hold a connection for one short transaction each
SHUTDOWN_GRACE_SECONDS = 10.0

# Few slots, so that when the worker is behind, the backlog waits in Temporal's task queues, which
# hand out a P1's tasks before a P3's (starter.incidents/receiver set each incident's task priority),
# rather than in this process, where every task in hand shares the CPU first come, first served:
# make bench B7 measures a P1's first page during an alert storm with these and with the SDK's
# defaults (100/100). Pollers and the workflow cache stay at the SDK's defaults (the cache,
# 1000 workflows of about 0.27 MB each, bounds RSS).
WORKFLOW_TASK_SLOTS = 8
ACTIVITY_SLOTS = 16
# A P1 runs on a task queue of its own and every other incident's page goes to another
# (workflows/task_queues.py), each with slots of its own: during a storm a P1's steps and its page never
# wait for a slot behind the storm's incidents, nor a P2's page behind their records (make bench B7). Few
# P1s run at once: a small cache.
URGENT_WORKFLOW_TASK_SLOTS, URGENT_ACTIVITY_SLOTS, URGENT_CACHED_WORKFLOWS = 4, 8, 100
PAGING_SLOTS = 8
# What each role serves: `all` every queue (one process); `urgent` the P1s' queue (their steps and, from
# release 1.2, their pages); `incidents` the bulk queue (every other incident, and the pages of incidents
# of release 1.0) and the paging queue (every other incident's pages, with slots of their own). The
# favoured process thus does P1 work alone: a storm's pages do not take its CPU (make bench B7, BENCH_CPUS=1).
ROLES = ("all", "urgent", "incidents", "split")
QUEUES_OF_ROLE = {"all": ("incidents", "urgent", "paging"), "urgent": ("urgent",), "incidents": ("incidents", "paging")}
# The bulk role's niceness: CFS then gives the urgent role about nine times its CPU share while both
# want the CPU, so on a busy core a P1's tasks run before the storm's (make bench B7, BENCH_CPUS=1).
# Raising one's own niceness needs no privilege.
BULK_NICENESS = 10


def paging_settings(settings: Settings) -> PagingSettings:
    return PagingSettings(
        smtp=SmtpServer.from_url(settings.smtp_url), public_url=settings.public_url, secret=settings.page_secret
    )


def workflow_runner(converter: DataConverter) -> WorkflowRunner:
    """The sandbox with our passthrough modules (the replay tests use the same)."""
    sandbox = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
    return CodecFreeSandbox(sandbox) if CodecFreeSandbox.fits(converter) else sandbox


class IncidentWorkers:
    """Some of the incident worker, the urgent incidents' worker and the paging worker (as the role asks),
    in one process, each task queue with its own slots. `async with` runs them all; leaving it drains them all."""

    def __init__(self, *workers: Worker, after: Callable[[], Awaitable[None]] | None = None) -> None:
        self.workers, self._after = workers, after  # `after`: once every worker has drained
        self._running = contextlib.AsyncExitStack()

    async def __aenter__(self) -> "IncidentWorkers":
        await self._running.__aenter__()
        try:
            for worker in self.workers:
                await self._running.enter_async_context(worker)
        except BaseException:
            await self._running.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._running.__aexit__(*exc)  # type: ignore[arg-type]
        finally:
            if self._after is not None:
                await self._after()


def build_worker(
    client: Client, pool: asyncpg.Pool, task_queue: str, paging: PagingSettings | None = None, role: str = "all"
) -> IncidentWorkers:
    registration, records, notifications = (
        RegistrationActivities(pool),
        RecordActivities(pool),
        NotificationActivities(pool),
    )
    pages = PagingActivities(pool, paging or PagingSettings(smtp=None, public_url="http://127.0.0.1:8080"))
    steps = [registration.register_and_look_up, records.record_timeline, notifications.deliver_notifications]
    paging_steps = [pages.page, pages.deliver_pages]
    shared = {
        "workflow_runner": workflow_runner(client.data_converter),
        "graceful_shutdown_timeout": timedelta(seconds=SHUTDOWN_GRACE_SECONDS),
    }

    def incidents() -> Worker:
        return Worker(
            client,
            task_queue=task_queue,
            workflows=[IncidentWorkflow, KnownErrorLinks],
            # pages too: an incident of release 1.0 pages on its own task queue
            activities=[*steps, KnownErrorLinkActivities(pool).open_incidents_matching, *paging_steps],
            max_concurrent_workflow_tasks=WORKFLOW_TASK_SLOTS,
            max_concurrent_activities=ACTIVITY_SLOTS,
            **shared,
        )

    def urgent() -> Worker:
        return Worker(
            client,
            task_queue=incident_queue(task_queue, priority_key=1),
            workflows=[IncidentWorkflow],
            # a P1's pages too: from release 1.2 they run on its own queue (workflows/steps/paging.py)
            activities=[*steps, *paging_steps],
            max_concurrent_workflow_tasks=URGENT_WORKFLOW_TASK_SLOTS,
            max_concurrent_activities=URGENT_ACTIVITY_SLOTS,
            max_cached_workflows=URGENT_CACHED_WORKFLOWS,
            **shared,
        )

    def paging_worker() -> Worker:
        return Worker(
            client,
            task_queue=paging_queue(task_queue),
            activities=paging_steps,
            max_concurrent_activities=PAGING_SLOTS,
            **shared,
        )

    build = {"incidents": incidents, "urgent": urgent, "paging": paging_worker}
    # the known-error watch holds a pooled session: given back before the pool closes
    return IncidentWorkers(*(build[queue]() for queue in QUEUES_OF_ROLE[role]), after=registration.watch.close)


async def open_pool(database_url: str, attempts: int = 30) -> asyncpg.Pool:
    """Postgres may still be starting (compose, make run): wait for it rather than crash."""
    for attempt in range(1, attempts + 1):
        try:
            return await asyncpg.create_pool(
                database_url,
                min_size=1,
                max_size=DATABASE_POOL_SIZE,
                reset=keep_session,  # activities never change session state
                server_settings=SERVER_SETTINGS,  # a worker host cut off does not hold its sessions for hours
            )
        except (OSError, asyncpg.PostgresError) as err:
            if attempt == attempts:
                raise
            log.warning("database not reachable yet", attempt=attempt, error=str(err))
            await asyncio.sleep(1)
    raise AssertionError("unreachable")


async def prepare_database(pool: asyncpg.Pool, settings: Settings) -> None:
    await migrate(pool)
    await load_catalog(pool, read_catalog_file(settings.catalog_path))


def metrics_runtime(address: str) -> dict[str, Any]:
    """INCIDENT_WORKER_METRICS=host:port: the SDK's own Prometheus metrics (task latencies, slots, polls,
    sticky cache) at http://host:port/metrics, beside the receiver's /metrics."""
    if not address:
        return {}
    return {"runtime": Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))}


UNSUPPORTED_SHOWN = 20  # named in the refusal; more only make the line longer


async def run(env: Mapping[str, str], role: str = "all", ready_fd: int | None = None) -> int:
    settings = Settings.from_env(env)
    configure_logging(settings.log_level)
    client = await connect(env, **metrics_runtime(settings.worker_metrics))
    # before the database is migrated and before any poll: the previous version may still need both
    running, total = await unsupported_incidents(client, UNSUPPORTED_SHOWN)
    if running:
        log.error("worker refused to start", reason=refusal(running, total))
        return 1
    pool = await open_pool(settings.database_url)
    await prepare_database(pool, settings)
    worker = build_worker(client, pool, settings.task_queue, paging_settings(settings), role)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    queues = {
        "incidents": settings.task_queue,
        "urgent": incident_queue(settings.task_queue, priority_key=1),
        "paging": paging_queue(settings.task_queue),
    }
    async with worker:
        log.info(
            # under `--role split` the split worker says "worker started" once both roles serve
            "worker role started" if ready_fd is not None else "worker started",
            role=role,
            task_queues=[queues[q] for q in QUEUES_OF_ROLE[role]],
            temporal=env.get("TEMPORAL_ADDRESS", "localhost:7233"),
            metrics=f"http://{settings.worker_metrics}/metrics" if settings.worker_metrics else None,
        )
        if ready_fd is not None:
            os.write(ready_fd, f"{role}\n".encode())
            os.close(ready_fd)
        await stop.wait()
        log.info("worker draining")
    await pool.close()
    log.info("worker stopped")
    return 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The incident worker.")
    parser.add_argument("--role", choices=ROLES, default="all", help="the task queues this process serves")
    parser.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)  # the split worker's pipe
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.role == "split":
        configure_logging(Settings.from_env(os.environ).log_level)
        exit_now(run_split(Path(__file__).resolve(), os.environ))
    if args.role == "incidents":
        os.nice(BULK_NICENESS)  # before any thread starts: Linux threads inherit it, and only from their creator
    try:
        code = asyncio.run(run(os.environ, args.role, args.ready_fd))
    except KeyboardInterrupt:
        code = 0
    except Exception:
        log.exception("worker failed")
        code = 1
    exit_now(code)


if __name__ == "__main__":
    main()
