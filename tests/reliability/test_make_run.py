"""`make run`, the README's first command, as a newcomer meets it: the whole stack starts on a fresh
data directory, says where each part is, answers there, and stops cleanly on Ctrl-C (it runs
`python -m localstack`; the B5 bench times it through make itself)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from localstack.temporal import free_port, temporal_binary
from runtime.settings import PROJECT_ROOT

PARTS = ("PostgreSQL ", "Temporal ", "Alert receiver", "On-call feeds", "Status page", "Releases", "Logs", "Ready.")


def answers(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status


def test_make_run_starts_every_part_says_where_it_is_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("INCIDENT_TEMPORAL_PORT", "INCIDENT_UI_PORT", "INCIDENT_POSTGRES_PORT",
                                            "INCIDENT_RECEIVER_PORT", "INCIDENT_API_PORT")}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "INCIDENT_"))}
    # XDG_CONFIG_HOME: the local admin token it provisions lands here, not in the runner's home
    env.update({k: str(v) for k, v in ports.items()}, INCIDENT_DATA_DIR=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))  # fmt: skip
    # its own session, so SIGINT reaches the stack as Ctrl-C in a terminal does
    stack = subprocess.Popen([sys.executable, "-m", "localstack"], cwd=PROJECT_ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    lines: list[str] = []
    try:
        assert stack.stdout is not None
        deadline = time.monotonic() + 120
        for raw in stack.stdout:  # the stack prints a line per part, then "Ready."
            lines.append(raw.decode(errors="replace").rstrip())
            if lines[-1].startswith("Ready.") or time.monotonic() > deadline:
                break
        said = "\n".join(lines)
        assert all(any(line.startswith(part) for line in lines) for part in PARTS), said
        receiver = f"http://127.0.0.1:{ports['INCIDENT_RECEIVER_PORT']}"
        assert (
            f"Status page     {receiver}/status" in said
            and f"Web UI http://localhost:{ports['INCIDENT_UI_PORT']}" in said
        )
        assert answers(f"{receiver}/healthz") == answers(f"{receiver}/status") == 200
        laptop = {**env, "INCIDENT_API_URL": f"http://127.0.0.1:{ports['INCIDENT_API_PORT']}"}
        # the README's first command, typed the moment "Ready." shows: the agreements are in force by then
        opened = subprocess.run([sys.executable, "-m", "starter.incidentctl", "open", "--service", "checkout",
                                 "--summary", "first after Ready", "--impact", "3", "--urgency", "3"], env=laptop,
                                cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert opened.returncode == 0 and opened.stdout.startswith("INC-"), opened
        kept = tmp_path / "config" / "incidentctl" / "credentials.json"  # incidentctl needs no login
        assert kept.stat().st_mode & 0o777 == 0o600
        assert [entry["kind"] for entry in json.loads(kept.read_text()).values()] == ["api_token"]
        me = subprocess.run([sys.executable, "-m", "starter.incidentctl", "whoami"], env=laptop, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
        assert me.returncode == 0 and "admin" in json.loads(me.stdout)["roles"], me
        assert answers(f"http://127.0.0.1:{ports['INCIDENT_UI_PORT']}/") == 200
        # closed incidents stay as long as compose keeps them (2160h), asked as an operator asks
        described = subprocess.run([str(temporal_binary()), "operator", "namespace", "describe", "--namespace",
                                    "default", "--address", f"127.0.0.1:{ports['INCIDENT_TEMPORAL_PORT']}"],
                                   capture_output=True, text=True, timeout=30, check=True).stdout  # fmt: skip
        assert re.search(r"WorkflowExecutionRetentionTtl\s+2160h0m0s\n", described), described
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGINT)
        try:
            rest, _ = stack.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            raise
    assert stack.returncode == 0, rest.decode(errors="replace")
    assert "Stopped. State kept in" in rest.decode(errors="replace")
