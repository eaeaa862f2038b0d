"""`python -m api`: the engineers' API on INCIDENT_API_HOST:PORT (127.0.0.1:8081), served by uvicorn.

Starts even while Temporal or Postgres are still coming up (the Temporal client is lazy, the pool opens
connections on demand): what needs the missing one answers 503 naming it. SIGTERM/SIGINT drain: stop
listening, finish every request in flight (an action waiting on its update included), exit 0.
"""

import asyncio
import logging
import os
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import asyncpg
import structlog
import uvicorn

from api.app import ApiDependencies, create_app
from runtime.database_sessions import SERVER_SETTINGS
from runtime.logs import configure_logging
from runtime.process_exit import exit_now
from runtime.settings import Settings
from runtime.temporal_connection import connect

log = structlog.get_logger("api")

DATABASE_POOL_SIZE = 10
DATABASE_TIMEOUT_SECONDS = 10.0  # a new connection to a host that drops packets fails within this
DRAIN_SECONDS = 30.0  # longer than the Temporal RPC timeout, so an update in flight can finish


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """serve()'s handlers would raise the signal again once drained (exit -15); ours exit 0."""
        yield


class _ToStructlog(logging.Handler):
    """uvicorn's own log lines (errors, lifespan) as structlog JSON, like every other line."""

    def emit(self, record: logging.LogRecord) -> None:
        fields = {"exc_info": record.exc_info} if record.exc_info else {}
        structlog.get_logger(record.name).log(record.levelno, record.getMessage(), **fields)


def _authenticator(settings: Settings, pool: asyncpg.Pool) -> object:
    from api.identity import Authenticator

    return Authenticator.from_settings(settings, pool)


async def serve(settings: Settings, env: Mapping[str, str]) -> int:
    client = await connect(env, lazy=True)
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=0,
        max_size=DATABASE_POOL_SIZE,
        timeout=DATABASE_TIMEOUT_SECONDS,
        server_settings=SERVER_SETTINGS,
    )
    app = create_app(ApiDependencies(settings, client, pool, _authenticator(settings, pool)))
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(DRAIN_SECONDS),
        lifespan="off",
    )
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    try:
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.02)
        if server.started:
            log.info(
                "api listening",
                host=settings.api_host,
                port=settings.api_port,
                url=f"http://{settings.api_host}:{settings.api_port}",
                task_queue=settings.task_queue,
                temporal=client.service_client.config.target_host,
            )
        await serving
    finally:
        await pool.close()
    log.info("api stopped")
    return 0


def main() -> None:
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level)
    handler = _ToStructlog()
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [handler], False
    try:
        code = asyncio.run(serve(settings, os.environ))
    except KeyboardInterrupt:
        code = 0
    except SystemExit as exit_:  # uvicorn's, when it cannot start (a port taken): it logged why
        log.error("api not started", code=exit_.code)
        code = 1
    except Exception as err:
        log.error("api failed", error=f"{type(err).__name__}: {err}")
        code = 1
    exit_now(code)


if __name__ == "__main__":
    main()
