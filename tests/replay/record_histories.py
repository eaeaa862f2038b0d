"""Record one Temporal history per lifecycle path, for tests/replay/test_replay.py.

    .venv/bin/python -m tests.replay.record_histories                    # every path
    .venv/bin/python -m tests.replay.record_histories hold_then_breach   # some paths

Histories live in one folder per supported release of the workflow code, histories/<release>/
(workflows/releases.py), and this writes the current release's. Run it after adding a path, or
when a new release begins (its patches listed under RELEASES): the earlier release's folder stays
until that release is deprecated, so its branches keep being replayed. Never regenerate a
released folder to make a failing replay pass: that failure is incidents in production breaking.

It starts an embedded PostgreSQL (or uses INCIDENT_DATABASE_URL), loads catalog.toml,
and drives each path with the production worker on its own time-skipping Temporal test
server, then writes tests/replay/histories/<release>/<path>.json. The workflow id of each history
is `replay-<path>`; the replay test uses the same id. A path that hands over
(continue-as-new) also writes its first run as <path>_first_run.json.
"""

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
from temporalio.client import WorkflowUpdateFailedError

from domain.alerts import AlertEvent
from domain.commands import (
    Ack,
    AlertBatch,
    Cancel,
    Confirm,
    Diagnose,
    Escalate,
    Hold,
    KnownErrorOffer,
    Note,
    OpenIncident,
    PageAck,
    PublicUpdate,
    Reopen,
    Resolve,
    Resume,
    Workaround,
)  # fmt: skip
from domain.enums import HoldReason, Source
from domain.releases import KnownErrorDraft
from localstack.postgres import LocalPostgres
from localstack.temporal import free_port
from starter.incidents import open_incident
from stores import known_errors
from stores.catalog_file import load_catalog, read_catalog_file
from stores.incidents import reserve_number
from stores.schema import migrate
from tests.workflows.incident_driver import (
    Handle,
    continue_as_new_suggested_after,
    deliver,
    pass_time,
    send,
    state_becomes,
)
from tests.workflows.skipping_server import SkippingEnv, skipping_environment
from workflows.incident import IncidentWorkflow
from workflows.releases import CURRENT

HISTORIES = Path(__file__).resolve().parent / "histories"  # one folder per supported release
FIRST_RUN = "_first_run"  # suffix of the first run's history of a path that hands over
CATALOG = Path(__file__).resolve().parents[2] / "catalog.toml"
W = IncidentWorkflow


def workflow_id(path: str) -> str:
    return f"replay-{path}"


async def _open(skipping: SkippingEnv, path: str, request: OpenIncident) -> Handle:
    """Opened as incidentctl does: under a reserved number, which is its workflow id."""
    request = request.model_copy(update={"number": await reserve_number(skipping.pool)})
    try:
        await open_incident(skipping.client, skipping.task_queue, request, actor="alice")
    finally:  # a refused open still leaves its (refused) workflow to record
        handle = skipping.client.get_workflow_handle_for(W.run, request.number)
    return handle


async def happy_path(skipping: SkippingEnv, path: str) -> Handle:
    handle = await _open(skipping, path, OpenIncident(service="checkout", summary="5xx above 5%", impact=2, urgency=2))
    await send(handle, Ack(actor="alice"))
    await send(handle, Diagnose(actor="alice", finding="pod OOM"))
    await send(handle, Workaround(actor="alice", text="scaled to 6"))
    await send(handle, Resolve(actor="alice", resolution="memory limit raised"))
    await send(handle, Confirm(actor="bob"))
    return handle


async def known_error(skipping: SkippingEnv, path: str) -> Handle:
    return await _open(skipping, path, OpenIncident(service="checkout", summary="coupon code rejected at checkout"))


async def rejected_service(skipping: SkippingEnv, path: str) -> Handle:
    number = await reserve_number(skipping.pool)
    try:
        await open_incident(
            skipping.client,
            skipping.task_queue,
            OpenIncident(service="unknown-svc", summary="disk full", number=number),
            actor="alice",
        )
    except WorkflowUpdateFailedError:
        pass  # refused, as it must be
    return skipping.client.get_workflow_handle_for(W.run, number)


async def breach(skipping: SkippingEnv, path: str) -> Handle:
    """P2 unacknowledged for an hour (response escalations), then warning and breach."""
    handle = await _open(skipping, path, OpenIncident(service="payroll", summary="payslip login error", impact=1,
                                                      urgency=2))  # fmt: skip
    await pass_time(skipping, timedelta(hours=1))
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(hours=8))
    await send(handle, Workaround(actor="alice", text="session cache flushed"))
    await send(handle, Resolve(actor="alice", resolution="cache size fixed"))
    await send(handle, Confirm(actor="bob"))
    return handle


async def hold_then_breach(skipping: SkippingEnv, path: str) -> Handle:
    """On hold for 3 h, then past the moved deadline; closes itself after the confirmation window."""
    handle = await _open(skipping, path, OpenIncident(service="payroll", summary="payslip login error", impact=1,
                                                      urgency=2))  # fmt: skip
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(hours=1))
    await send(handle, Hold(actor="alice", reason=HoldReason.SUPPLIER, text="vendor ticket 77"))
    await pass_time(skipping, timedelta(hours=3))
    await send(handle, Resume(actor="alice"))
    await pass_time(skipping, timedelta(hours=8))
    await send(handle, Resolve(actor="alice", resolution="vendor patch"))
    await pass_time(skipping, timedelta(days=5, minutes=1))  # payroll's confirmation window
    return handle


async def reopen(skipping: SkippingEnv, path: str) -> Handle:
    handle = await _open(skipping, path, OpenIncident(service="email", summary="mail delivery queue stuck", impact=2,
                                                      urgency=1))  # fmt: skip
    await send(handle, Ack(actor="alice"))
    await send(handle, Resolve(actor="alice", resolution="queue flushed"))
    await pass_time(skipping, timedelta(days=1))
    await send(handle, Reopen(actor="carol", reason="queue stuck again"))
    await send(handle, Resolve(actor="alice", resolution="relay replaced"))
    await pass_time(skipping, timedelta(days=3, minutes=1))
    return handle


async def major_incident(skipping: SkippingEnv, path: str) -> Handle:
    handle = await _open(skipping, path, OpenIncident(service="checkout", summary="checkout down", impact=1, urgency=1))
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(minutes=65))
    await send(handle, Workaround(actor="alice", text="failover to region b"))
    await send(handle, Resolve(actor="alice", resolution="db fixed", problem="PRB-9"))
    await send(handle, Confirm(actor="bob"))
    return handle


async def public_updates_on_a_major_incident(skipping: SkippingEnv, path: str) -> Handle:
    """A P1 whose stakeholder reminder asks for a status-page update; one is posted (it moves the next
    reminder), then restored and closed."""
    handle = await _open(skipping, path, OpenIncident(service="checkout", summary="card payments failing",
                                                      impact=1, urgency=1))  # fmt: skip
    await send(handle, Ack(actor="alice"))
    await pass_time(skipping, timedelta(minutes=31))  # the reminder: 30 min after the major declaration
    await send(handle, PublicUpdate(actor="alice", text="We are restoring card payments"))
    await pass_time(skipping, timedelta(minutes=10))
    await send(handle, Workaround(actor="alice", text="failover to region b"))
    await send(handle, Resolve(actor="alice", resolution="db fixed", problem="PRB-9"))
    await send(handle, Confirm(actor="bob"))
    return handle


async def _alert_incident(skipping: SkippingEnv, path: str) -> Handle:
    """A critical checkout incident opened by Alertmanager, prioritized."""
    number = await reserve_number(skipping.pool)
    handle = await skipping.client.start_workflow(
        W.run, OpenIncident(service="checkout", summary="HighErrorRate", source=Source.ALERTMANAGER,
                            severity="critical", number=number),  # fmt: skip
        id=number, task_queue=skipping.task_queue,
    )  # fmt: skip
    await state_becomes(handle, "prioritized")
    return handle


async def alert_quiet_close(skipping: SkippingEnv, path: str) -> Handle:
    """Two alerts fire, resolve, one fires again within the quiet window, then all stay quiet."""
    handle = await _alert_incident(skipping, path)

    async def deliver(*alerts: tuple[str, str]) -> None:
        now = await skipping.env.get_current_time()
        events = [AlertEvent(key=key, status=status, at=now) for key, status in alerts]  # type: ignore[arg-type]
        await handle.execute_update(W.alerts, AlertBatch(actor="alertmanager", events=events))

    await deliver(("fp-a", "firing"), ("fp-b", "firing"), ("fp-a", "acknowledged"))
    await pass_time(skipping, timedelta(minutes=5))
    await deliver(("fp-a", "resolved"), ("fp-b", "resolved"))
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=10))
    await deliver(("fp-b", "firing"))
    await state_becomes(handle, "in_progress")
    await pass_time(skipping, timedelta(minutes=5))
    await deliver(("fp-b", "resolved"))
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=31))
    return handle


async def alerts_from_inbox(skipping: SkippingEnv, path: str) -> Handle:
    """Alerts forwarded from the receiver's inbox, one batch sent twice (a receiver stopped before its delete)."""
    handle = await _alert_incident(skipping, path)

    async def deliver(*rows: tuple[int, str, str]) -> None:
        now = await skipping.env.get_current_time()
        events = [AlertEvent(key=key, status=status, at=now, inbox_seq=seq) for seq, key, status in rows]  # type: ignore[arg-type]
        await handle.execute_update(W.alerts, AlertBatch(actor="alertmanager", events=events))

    await deliver((1, "fp-a", "firing"), (2, "fp-b", "firing"))
    await deliver((1, "fp-a", "firing"), (2, "fp-b", "firing"), (3, "fp-a", "firing"))  # 1 and 2 again
    await deliver((1, "fp-a", "firing"))  # nothing new at all
    await pass_time(skipping, timedelta(minutes=5))
    await deliver((4, "fp-a", "resolved"), (5, "fp-b", "resolved"))
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=31))
    return handle


async def alert_refire_before_ack(skipping: SkippingEnv, path: str) -> Handle:
    """An alert fires, resolves and fires again before anyone acknowledged; then an ack, a restore, quiet."""
    handle = await _alert_incident(skipping, path)

    async def deliver(status: str) -> None:
        now = await skipping.env.get_current_time()
        batch = AlertBatch(actor="alertmanager", events=[AlertEvent(key="fp-a", status=status, at=now)])  # type: ignore[arg-type]
        await handle.execute_update(W.alerts, batch)

    await deliver("firing")
    await deliver("resolved")
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=3))
    await deliver("firing")
    await state_becomes(handle, "prioritized")
    await pass_time(skipping, timedelta(minutes=20))  # the response escalation still comes
    await send(handle, Ack(actor="dana"))
    await deliver("resolved")
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=31))
    return handle


async def second_generation_hand_over(skipping: SkippingEnv, path: str) -> Handle:
    """The next incident on a closed one's workflow id (numbered by registration) grows long and hands over."""
    with continue_as_new_suggested_after():
        handle = await skipping.client.start_workflow(
            W.run, OpenIncident(service="payroll", summary="payslip login error", impact=1, urgency=2, generation=1),
            id=f"alert-am-{path}", task_queue=skipping.task_queue,
        )  # fmt: skip
        await state_becomes(handle, "prioritized")
        await send(handle, Ack(actor="alice"))
        for n in range(12):
            await send(handle, Note(actor="alice", text=f"checked node {n}"))
        await send(handle, Workaround(actor="alice", text="sessions flushed"))
        await send(handle, Resolve(actor="alice", resolution="cache sized"))
        await send(handle, Confirm(actor="bob"))
        await handle.result()
    return handle


async def paged_then_acknowledged(skipping: SkippingEnv, path: str) -> Handle:
    """A P2 pages its on-call, then the next step; the paged person acknowledges by link; closed."""
    handle = await _open(skipping, path, OpenIncident(service="checkout", summary="basket page slow for everyone",
                                                      impact=1, urgency=2))  # fmt: skip
    await state_becomes(handle, "prioritized")
    await pass_time(skipping, timedelta(minutes=6))
    await handle.execute_update(W.acknowledge_page, PageAck(actor="gus", page=2))
    await send(handle, Workaround(actor="gus", text="cache flushed"))
    await send(handle, Resolve(actor="gus", resolution="cache sized"))
    await send(handle, Confirm(actor="bob"))
    return handle


async def escalated_then_acknowledged_by_integration(skipping: SkippingEnv, path: str) -> Handle:
    """An alert incident is acknowledged, escalated to platform-sre (whose on-call is paged), and the
    events-API acknowledge stops that paging; the alert resolves and the incident closes when quiet."""
    handle = await _alert_incident(skipping, path)
    await deliver(skipping, handle, "firing", key="fp-a")
    await send(handle, Ack(actor="dana"))
    await send(handle, Escalate(actor="dana", to_group="platform-sre", reason="network path"))
    await pass_time(skipping, timedelta(minutes=1))
    await deliver(skipping, handle, "acknowledged", key="fp-a")
    await pass_time(skipping, timedelta(minutes=20))  # no further page step
    await deliver(skipping, handle, "resolved", key="fp-a")
    await state_becomes(handle, "restored")
    await pass_time(skipping, timedelta(minutes=31))
    return handle


async def hand_over(skipping: SkippingEnv, path: str) -> Handle:
    """A noisy incident continues as new (after 60 events here), then breaches and closes in the new run."""
    with continue_as_new_suggested_after():
        handle = await _open(skipping, path, OpenIncident(service="payroll", summary="payslip login error", impact=1,
                                                          urgency=2))  # fmt: skip
        await send(handle, Ack(actor="alice"))
        for n in range(12):
            await send(handle, Note(actor="alice", text=f"checked node {n}"))
        await pass_time(skipping, timedelta(hours=8, minutes=1))
        await send(handle, Workaround(actor="alice", text="sessions flushed"))
        await send(handle, Resolve(actor="alice", resolution="cache sized"))
        await send(handle, Confirm(actor="bob"))
        await handle.result()
    return handle


async def cancel(skipping: SkippingEnv, path: str) -> Handle:
    handle = await _open(skipping, path, OpenIncident(service="email", summary="one mailbox over quota", impact=3,
                                                      urgency=3))  # fmt: skip
    await send(handle, Cancel(actor="alice", reason="opened twice"))
    return handle


async def known_error_offered_after_a_deploy(skipping: SkippingEnv, path: str) -> Handle:
    """A deploy just before; the incident shows it. A known error published while it is open is offered
    to it (not closed); then the usual way to closed. Recorded last: its change and known error go after."""
    pool = skipping.pool
    now = await pool.fetchval("SELECT now()")
    await pool.execute("INSERT INTO change_events (event_key, service, summary, source, happened_at)"
                       " VALUES ($1, 'checkout', 'deploy checkout 4.13', 'github-actions', $2)", path,
                       now - timedelta(hours=1))  # fmt: skip
    try:
        handle = await _open(skipping, path, OpenIncident(service="checkout", summary="voucher service returns 502",
                                                          impact=2, urgency=2))  # fmt: skip
        async with pool.acquire() as conn:
            added = await known_errors.add(conn, KnownErrorDraft(
                service="checkout", match=["voucher", "502"], workaround="pay without the voucher", release="4.13",
                key=path), actor="deploy-bot", origin="pipeline")  # fmt: skip
        await handle.signal(W.known_error_published, KnownErrorOffer(known_error=added.known_error))
        await send(handle, Ack(actor="alice"))
        await send(handle, Workaround(actor="alice", text="voucher disabled"))
        await send(handle, Resolve(actor="alice", resolution="fixed in 4.14"))
        await send(handle, Confirm(actor="bob"))
        return handle
    finally:
        await pool.execute("DELETE FROM change_events WHERE event_key = $1", path)
        async with pool.acquire() as conn:
            ids = await conn.fetch("SELECT id FROM known_errors WHERE release_key = $1", path)
            for row in ids:
                await known_errors.retire(conn, row["id"], "recorder", "recorded")


PATHS: dict[str, Callable[[SkippingEnv, str], Awaitable[Handle]]] = {
    "happy_path": happy_path,
    "known_error": known_error,
    "rejected_service": rejected_service,
    "breach": breach,
    "hold_then_breach": hold_then_breach,
    "reopen": reopen,
    "major_incident": major_incident,
    "alert_quiet_close": alert_quiet_close,
    "alerts_from_inbox": alerts_from_inbox,
    "alert_refire_before_ack": alert_refire_before_ack,
    "paged_then_acknowledged": paged_then_acknowledged,
    "escalated_then_acknowledged_by_integration": escalated_then_acknowledged_by_integration,
    "hand_over": hand_over,
    "second_generation_hand_over": second_generation_hand_over,
    "cancel": cancel,
    "public_updates_on_a_major_incident": public_updates_on_a_major_incident,
    "known_error_offered_after_a_deploy": known_error_offered_after_a_deploy,
}


async def record(pool: asyncpg.Pool, path: str, folder: Path) -> Path:
    """Drive one path to its end on a fresh test server and save its history."""
    async with skipping_environment(pool) as skipping:
        handle = await PATHS[path](skipping, path)
        await asyncio.wait_for(handle.result(), timeout=30)  # every recorded path runs to completion
        history = await handle.fetch_history()
        described = await handle.describe()
        first_run = described.raw_description.workflow_execution_info.first_run_id
        if first_run != described.run_id:
            earlier = skipping.client.get_workflow_handle(handle.id, run_id=first_run)
            (folder / f"{path}{FIRST_RUN}.json").write_text((await earlier.fetch_history()).to_json() + "\n")
    target = folder / f"{path}.json"
    target.write_text(history.to_json() + "\n")
    return target


async def record_all(database_url: str, paths: list[str]) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=10)
    try:
        await migrate(pool)
        await load_catalog(pool, read_catalog_file(CATALOG))
        folder = HISTORIES / CURRENT
        folder.mkdir(parents=True, exist_ok=True)
        for path in paths:
            target = await record(pool, path, folder)
            print(f"recorded {target}")
    finally:
        await pool.close()


def main(paths: list[str]) -> None:
    unknown = sorted(set(paths) - set(PATHS))
    if unknown:
        raise SystemExit(f"unknown paths {unknown}; choose from {sorted(PATHS)}")
    url = os.environ.get("INCIDENT_DATABASE_URL")
    if url:
        asyncio.run(record_all(url, paths or list(PATHS)))
        return
    with tempfile.TemporaryDirectory(prefix="replay-pg-") as scratch:
        server = LocalPostgres(Path(scratch) / "data", free_port())
        try:
            asyncio.run(record_all(server.start(), paths or list(PATHS)))  # start() runs its own event loop
        finally:
            server.stop("immediate")


if __name__ == "__main__":
    main(sys.argv[1:])
