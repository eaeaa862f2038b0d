"""B5 newcomer: from `make run` (with .venv present) to the first incident visible in the Web UI's
HTTP API, as the README walks a newcomer through it: start, wait for "Ready.", `incidentctl open`,
look in the Web UI. A fresh data directory and free ports (INCIDENT_DATA_DIR and the port
variables of localstack/__main__.py), so a developer's own `make run` can keep running beside it.
"""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.report import say
from bench.stack import child_environment
from localstack.temporal import free_port
from runtime.settings import PROJECT_ROOT

TIMEOUT = 90.0


def _make_is_current() -> bool:
    """`make run` would reinstall first when pyproject.toml is newer than .venv/.installed."""
    if shutil.which("make") is None:
        return False
    return subprocess.run(["make", "-q", ".venv/.installed"], cwd=PROJECT_ROOT, capture_output=True).returncode == 0


def _visible(ui_port: int, number: str) -> bool:
    query = urllib.parse.quote(f'IncidentNumber="{number}"')
    url = f"http://127.0.0.1:{ui_port}/api/v1/namespaces/default/workflows?query={query}"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(json.loads(answer.read()).get("executions"))
    except (OSError, ValueError):
        return False


async def run() -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="incident-bench-b5-"))
    ports = {"INCIDENT_TEMPORAL_PORT": free_port(), "INCIDENT_UI_PORT": free_port(),
             "INCIDENT_POSTGRES_PORT": free_port(), "INCIDENT_RECEIVER_PORT": free_port(),
             "INCIDENT_API_PORT": free_port()}  # fmt: skip
    env = {k: v for k, v in child_environment().items() if not k.startswith("MAKE")}
    # the local admin make run signs in goes to this run's own config directory, not the user's
    env.update({k: str(v) for k, v in ports.items()}, INCIDENT_DATA_DIR=str(data), INCIDENT_USER="newcomer",
               XDG_CONFIG_HOME=str(data / "config"))  # fmt: skip
    via_make = _make_is_current()
    argv = ["make", "--no-print-directory", "run"] if via_make else [sys.executable, "-m", "localstack"]
    say(f"B5 {' '.join(argv)} with a fresh data directory (first run: initdb, new SQLite file)")
    milestones: dict[str, float] = {}
    started = time.perf_counter()
    # its own session, so Ctrl-C (SIGINT to the group) reaches make and the stack as in a terminal
    stack = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)  # fmt: skip
    lines: list[str] = []

    def read_until_ready() -> None:
        assert stack.stdout is not None
        for raw in stack.stdout:
            line = raw.decode(errors="replace").rstrip()
            lines.append(line)
            for key, marker in (("postgres", "PostgreSQL"), ("temporal", "Temporal "), ("receiver", "Alert receiver"),
                                ("ready", "Ready.")):  # fmt: skip
                if line.startswith(marker) and key not in milestones:
                    milestones[key] = time.perf_counter() - started
            if "ready" in milestones:
                return

    try:
        await asyncio.wait_for(asyncio.to_thread(read_until_ready), TIMEOUT)
        if "ready" not in milestones:
            raise RuntimeError("make run never said Ready:\n" + "\n".join(lines[-15:]))
        say(f"B5 Ready. after {milestones['ready']:.1f}s; incidentctl open")
        ctl_env = {**env, "INCIDENT_API_URL": f"http://127.0.0.1:{ports['INCIDENT_API_PORT']}"}  # as make run prints it
        opened = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "incidentctl"), "-o", "json", "open", "--service", "checkout",
            "--summary", "5xx above 5%", "--impact", "1", "--urgency", "1", env=ctl_env, cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(opened.communicate(), TIMEOUT)
        if opened.returncode != 0:
            raise RuntimeError(f"incidentctl open exited {opened.returncode}: {err.decode()}")
        number = json.loads(out)["number"]
        milestones["opened"] = time.perf_counter() - started
        while not await asyncio.to_thread(_visible, ports["INCIDENT_UI_PORT"], number):
            if time.perf_counter() - started > TIMEOUT:
                raise RuntimeError(f"{number} never showed in the Web UI's API")
            await asyncio.sleep(0.1)
        milestones["visible"] = time.perf_counter() - started
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGINT)
            try:
                await asyncio.to_thread(stack.wait, 60)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
        shutil.rmtree(data, ignore_errors=True)
    say(
        f"B5 {number} visible in the Web UI's API {milestones['visible']:.1f}s after `{' '.join(argv)}` "
        + ", ".join(f"{k} {v:.1f}s" for k, v in milestones.items())
    )
    return {"via": " ".join(argv[:1] + argv[-1:]) if via_make else "python -m localstack",
            "seconds": round(milestones["visible"], 2), "milestones_s": {k: round(v, 2) for k, v in milestones.items()},
            "incident": number}  # fmt: skip
