"""`make run`: the whole stack on one machine, in the foreground.

Temporal dev server (state in .data/temporal.db, Web UI :8233), PostgreSQL embedded
in .data/pg (unless INCIDENT_DATABASE_URL is set), migrations (before anything reads the
schema), the worker (which loads the catalog at start), the alert receiver and the engineers' API (which
incidentctl talks to, as the local admin `make run` signs in). Ctrl-C stops everything
cleanly; the next `make run` finds every open incident and timer where it was.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from localstack.postgres import LocalPostgres
from localstack.temporal import RETENTION, keep_closed_histories, start_dev_server, wait_for_port
from runtime.process_exit import exit_now
from runtime.settings import PROJECT_ROOT, Settings
from stores.catalog_file import CatalogFileError, load_catalog, read_catalog_file
from stores.schema import migrate

DATA = PROJECT_ROOT / ".data"
TEMPORAL_PORT, UI_PORT, POSTGRES_PORT = 7233, 8233, 55432
WORKER_METRICS_PORT = 9464  # the SDK's Prometheus metrics; skipped when a second stack runs beside
DEV_INGEST_TOKEN = "dev-ingest-token"  # local only; set INCIDENT_INGEST_TOKEN for anything shared
DEV_PAGE_SECRET = "dev-page-secret"  # local only, likewise: set INCIDENT_PAGE_SECRET
DEV_RELEASE_TOKEN = "dev-release-token"  # local only: a release pipeline's token for POST /v1/known-errors


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _child(module_or_script: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, *module_or_script], env=env, cwd=PROJECT_ROOT, stdout=handle, stderr=subprocess.STDOUT
    )


def _stop(process: subprocess.Popen[bytes], name: str, timeout: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"  {name} did not stop in {timeout:.0f}s; killing it", flush=True)
            process.kill()
            process.wait()


async def _prepare_record(database_url: str, catalog_path: Path) -> None:
    """The schema, and the agreements in force: the API refuses `open` for a service the record does not
    know yet, so "Ready." must not come before the catalog is loaded (the worker loads it again at start,
    which then changes nothing)."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        await migrate(pool)
        await load_catalog(pool, read_catalog_file(catalog_path))
    finally:
        await pool.close()


def _sign_in_locally(env: dict[str, str]) -> None:
    from localstack.local_identity import provision_local_admin

    api_url = Settings.from_env(env).api_url
    signed_in = asyncio.run(provision_local_admin(env["INCIDENT_DATABASE_URL"], env, api_url))
    if signed_in is not None:
        print(f"incidentctl     acts as {signed_in[0]} (local admin token in {signed_in[1]})", flush=True)


def main() -> int:
    env = dict(os.environ)
    # a second stack beside the usual one (make bench, B5): its own data directory and ports
    data = Path(env.get("INCIDENT_DATA_DIR") or DATA)
    temporal_port, ui_port, postgres_port = (
        int(env.get(name) or default)
        for name, default in (
            ("INCIDENT_TEMPORAL_PORT", TEMPORAL_PORT),
            ("INCIDENT_UI_PORT", UI_PORT),
            ("INCIDENT_POSTGRES_PORT", POSTGRES_PORT),
        )
    )
    data.mkdir(parents=True, exist_ok=True)
    env.setdefault("TEMPORAL_ADDRESS", f"127.0.0.1:{temporal_port}")
    env.setdefault("INCIDENT_INGEST_TOKEN", DEV_INGEST_TOKEN)
    env.setdefault("INCIDENT_PAGE_SECRET", DEV_PAGE_SECRET)  # signs the acknowledgement links of pages
    env.setdefault("INCIDENT_RELEASE_TOKEN", DEV_RELEASE_TOKEN)
    env.setdefault("INCIDENT_PUBLIC_URL", f"http://127.0.0.1:{env.get('INCIDENT_RECEIVER_PORT', '8080')}")
    api_port = int(env.get("INCIDENT_API_PORT") or 8081)
    env.setdefault("INCIDENT_API_URL", f"http://127.0.0.1:{api_port}")  # where incidentctl is signed in
    postgres = None
    if "INCIDENT_DATABASE_URL" not in env:
        postgres = LocalPostgres(data / "pg", postgres_port)
        env["INCIDENT_DATABASE_URL"] = postgres.start()
    print(f"PostgreSQL      {env['INCIDENT_DATABASE_URL']}", flush=True)
    # The receiver serves the status page from the schema as soon as it starts: migrate and load the
    # catalog before any program starts, so "Ready." means ready (the worker's own at start are then no-ops).
    try:
        asyncio.run(_prepare_record(env["INCIDENT_DATABASE_URL"], Settings.from_env(env).catalog_path))
    except CatalogFileError as err:
        print(f"make run: {err}", file=sys.stderr, flush=True)
        if postgres is not None:
            postgres.stop("fast")
        return 1
    _sign_in_locally(env)
    temporal = start_dev_server(data / "temporal.db", temporal_port, ui_port, data / "temporal.log")
    asyncio.run(keep_closed_histories(env["TEMPORAL_ADDRESS"], env.get("TEMPORAL_NAMESPACE") or "default"))
    print(
        f"Temporal        {env['TEMPORAL_ADDRESS']}   Web UI http://localhost:{ui_port}"
        f"   closed incidents kept {RETENTION.days} days",
        flush=True,
    )
    if "INCIDENT_WORKER_METRICS" not in env and _free(WORKER_METRICS_PORT):
        env["INCIDENT_WORKER_METRICS"] = f"127.0.0.1:{WORKER_METRICS_PORT}"
    # the urgent incidents and the pages in a process of their own, favoured by the OS (worker.py)
    children = [("worker", _child(["worker.py", "--role", "split"], env, data / "worker.log"))]
    receiver_port = int(env.get("INCIDENT_RECEIVER_PORT", "8080"))
    if (PROJECT_ROOT / "receiver" / "__main__.py").exists():
        children.append(("receiver", _child(["-m", "receiver"], env, data / "receiver.log")))
        children.append(("api", _child(["-m", "api"], env, data / "api.log")))
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        started = dict(children)
        if "receiver" in started:
            wait_for_port("127.0.0.1", receiver_port, timeout=60, process=started["receiver"])
            print(
                f"Alert receiver  http://127.0.0.1:{receiver_port}  (bearer token: $INCIDENT_INGEST_TOKEN)", flush=True
            )
            print(f"On-call feeds   http://127.0.0.1:{receiver_port}/v1/oncall/<group>.ics", flush=True)
            print(
                f"Status page     http://127.0.0.1:{receiver_port}/status  (Statuspage JSON under /status/api/v2/)",
                flush=True,
            )
            print(
                f"Releases        http://127.0.0.1:{receiver_port}/v2/change/enqueue (routing key),"
                " /v1/known-errors (bearer token: $INCIDENT_RELEASE_TOKEN)",
                flush=True,
            )
        if "api" in started:
            wait_for_port("127.0.0.1", api_port, timeout=60, process=started["api"])
            print(
                f"Engineers' API  {env['INCIDENT_API_URL']}  (incidentctl's INCIDENT_API_URL; OpenAPI at /v1/openapi.json)",
                flush=True,
            )
        if env.get("INCIDENT_WORKER_METRICS"):
            print(f"Worker metrics  http://{env['INCIDENT_WORKER_METRICS']}/metrics  (Prometheus)", flush=True)
        print(
            f"Logs            {data}/*.log\nReady. Try: .venv/bin/incidentctl open --service checkout "
            '--summary "5xx above 5%" --impact 1 --urgency 1\nCtrl-C stops everything.',
            flush=True,
        )
        while not stopping:
            for name, process in children:
                if process.poll() is not None:
                    tail = (data / f"{name}.log").read_text(errors="replace").splitlines()[-5:]
                    print(f"{name} exited with {process.returncode}; last lines of {data}/{name}.log:", flush=True)
                    print("\n".join("  " + line for line in tail), flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("Stopping...", flush=True)
        for name, process in reversed(children):
            _stop(process, name)
        _stop(temporal, "temporal")
        if postgres is not None:
            postgres.stop()
        print(f"Stopped. State kept in {data}/ for the next `make run`.", flush=True)
    return 0


if __name__ == "__main__":
    exit_now(main())
