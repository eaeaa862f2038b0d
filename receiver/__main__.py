"""`python -m receiver`: the alert receiver on INCIDENT_RECEIVER_HOST:PORT (127.0.0.1:8080).

Starts even while Temporal or Postgres are still coming up (the Temporal client is
lazy, the pool opens connections on demand): /readyz says which is missing. Ingest
answers 503 (senders retry) only while Postgres, which holds the inbox, is away; while
Temporal is away deliveries are accepted and wait in the inbox. SIGTERM/SIGINT drain: stop
listening, finish every request in flight (their inbox inserts included) and the
forwarder's pass in flight, exit 0; rows not yet forwarded wait in the inbox for the next start.
"""

import asyncio
import os
import signal
import ssl
from collections.abc import Mapping

import asyncpg
import structlog
from aiohttp import web

from receiver.app import build_app
from receiver.config import ReceiverConfig
from receiver.database import open_intake_pool, open_routes_pool
from receiver.safe_errors import exception_fields, keep_request_bytes_out_of_aiohttp_logs
from runtime.database_sessions import SERVER_SETTINGS
from runtime.logs import configure_logging
from runtime.process_exit import exit_now
from runtime.settings import Settings
from runtime.temporal_connection import connect

log = structlog.get_logger("receiver")

# the forwarder (one connection holds its lock), release routes, pages; the answer path and the
# forwarder's route statements have their own (receiver.database)
DATABASE_POOL_SIZE = 8
DRAIN_SECONDS = 30.0  # longer than the Temporal RPC timeout, so an in-flight call can finish


class TlsMisconfigured(ValueError):
    """INCIDENT_TLS_CERT / INCIDENT_TLS_KEY cannot be used; the message says which and why."""


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """HTTPS when both the certificate (chain, PEM) and its key are given; plain http when neither."""
    if settings.tls_cert is None and settings.tls_key is None:
        return None
    if settings.tls_cert is None or settings.tls_key is None:
        missing = "INCIDENT_TLS_CERT" if settings.tls_cert is None else "INCIDENT_TLS_KEY"
        raise TlsMisconfigured(f"TLS needs both INCIDENT_TLS_CERT and INCIDENT_TLS_KEY; {missing} is not set")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as err:
        raise TlsMisconfigured(f"cannot use {settings.tls_cert} with {settings.tls_key}: {err}") from None
    return context


async def serve(settings: Settings, env: Mapping[str, str]) -> int:
    config = ReceiverConfig.from_settings(settings, env)
    tls = tls_context(settings)  # before anything starts: a bad certificate is a clear exit, not a half-up receiver
    if not config.ingest_token:
        log.warning("INCIDENT_INGEST_TOKEN is empty: every Alertmanager webhook will be refused with 401")
    client = await connect(env, lazy=True)
    # timeout: a new connection to a host that drops packets fails within the database timeout (asyncpg: 60 s)
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=0,
        max_size=DATABASE_POOL_SIZE,
        timeout=config.database_timeout.total_seconds(),
        server_settings=SERVER_SETTINGS,
    )
    intake_pool = await open_intake_pool(settings.database_url, config.database_timeout.total_seconds())
    routes_pool = await open_routes_pool(settings.database_url, config.database_timeout.total_seconds())
    runner = web.AppRunner(
        build_app(client, pool, config, intake_pool, routes_pool),
        shutdown_timeout=DRAIN_SECONDS,
        handle_signals=False,
        access_log=None,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.receiver_host, settings.receiver_port, ssl_context=tls).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "receiver listening",
            host=settings.receiver_host,
            port=settings.receiver_port,
            scheme="https" if tls else "http",
            task_queue=config.task_queue,
            temporal=client.service_client.config.target_host,
        )
        await stop.wait()
        log.info("receiver draining")
    finally:
        await runner.cleanup()
        await intake_pool.close()
        await routes_pool.close()
        await pool.close()
    log.info("receiver stopped")
    return 0


def main() -> None:
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level)
    keep_request_bytes_out_of_aiohttp_logs()
    try:
        code = asyncio.run(serve(settings, os.environ))
    except KeyboardInterrupt:
        code = 0
    except TlsMisconfigured as err:
        log.error("receiver not started", reason=str(err))
        code = 2
    except Exception as err:
        log.error("receiver failed", **exception_fields(err))
        code = 1
    exit_now(code)


if __name__ == "__main__":
    main()
