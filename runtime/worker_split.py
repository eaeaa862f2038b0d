"""`python worker.py --role split`: the worker as two processes, the urgent one favoured by the OS.

A P1's workflow tasks and every page run in a process of their own (`--role urgent`), the bulk of the
incidents in another (`--role incidents`) that lowers its own CPU priority: during an alert storm the
storm's work no longer shares an event loop with a P1's page, and on a busy core the kernel runs the
urgent process first (make bench B7). This process only starts, watches and stops the two:
- it reports "worker started" once both serve their queues (each writes its role to a pipe);
- SIGTERM/SIGINT: both drain, and it exits 0 when both exited 0;
- one of them exiting on its own stops the other and exits 1: the worker fails as a whole, so a
  supervisor (compose's restart, `make run`) sees it, rather than half the queues served in silence;
- each dies with this process (PR_SET_PDEATHSIG) should it be killed without a chance to stop them.
"""

import ctypes
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import structlog

log = structlog.get_logger("worker")

ROLES = ("urgent", "incidents")  # started in this order: the urgent one first
STOP_TIMEOUT_SECONDS = 25.0  # more than a worker's graceful shutdown, less than compose's stop_grace_period
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent goes, so no role outlives the split worker."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_role(script: Path, role: str, ready_fd: int, env: Mapping[str, str]) -> "subprocess.Popen[bytes]":
    argv = [sys.executable, str(script), "--role", role, "--ready-fd", str(ready_fd)]
    return subprocess.Popen(argv, env=dict(env), pass_fds=(ready_fd,), preexec_fn=die_with_parent)  # noqa: PLW1509 - no threads here


def role_environment(env: Mapping[str, str], role: str) -> dict[str, str]:
    """The bulk role serves the SDK's metrics where the worker was told to; two processes cannot bind one
    address, so the urgent role serves none."""
    return {**env, "INCIDENT_WORKER_METRICS": ""} if role == "urgent" else dict(env)


def stop_all(children: dict[str, "subprocess.Popen[bytes]"]) -> dict[str, int]:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    codes = {}
    for role, child in children.items():
        try:
            codes[role] = child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("worker role did not drain in time; killing it", role=role)
            child.kill()
            codes[role] = child.wait()
    return codes


def run_split(script: Path, env: Mapping[str, str]) -> int:
    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stopping.append(signum))
    read_end, write_end = os.pipe()
    children = {role: start_role(script, role, write_end, role_environment(env, role)) for role in ROLES}
    os.close(write_end)
    ready: set[str] = set()
    pending = b""
    while not stopping:
        exited = {role: child.returncode for role, child in children.items() if child.poll() is not None}
        if exited and not stopping:  # Ctrl-C reaches every process of the group: theirs is no failure
            log.error("worker role exited; stopping the others", exited=exited)
            stop_all(children)
            return 1
        readable, _, _ = select.select([read_end], [], [], 0.5) if len(ready) < len(ROLES) else ([], [], [])
        if readable:
            pending += os.read(read_end, 64)
            *names, pending = pending.split(b"\n")
            ready |= {name.decode() for name in names}
            if len(ready) == len(ROLES):
                log.info("worker started", role="split", pids={r: c.pid for r, c in children.items()})
        elif len(ready) == len(ROLES):
            time.sleep(0.5)
    log.info("worker draining", role="split")
    codes = stop_all(children)
    log.info("worker stopped", role="split", exit_codes=codes)
    return 0 if not any(codes.values()) else 1
