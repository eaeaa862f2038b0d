"""The worker passes workflows/ through the sandbox (worker.PASSTHROUGH_MODULES: the sandbox would
otherwise run the workflow's module again for every new incident), so the sandbox no longer refuses
what would make a replay differ there: these tests refuse it in the source instead."""

import ast
from pathlib import Path

from worker import PASSTHROUGH_MODULES

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
# Modules whose use in workflow code reads the clock, chance, the host or the network.
FORBIDDEN_MODULES = {"time", "random", "uuid", "os", "threading", "socket", "subprocess", "secrets", "asyncpg",
                     "aiohttp", "smtplib", "stores", "channels"}  # fmt: skip
# Calls that read the wall clock or chance whatever module they came from (workflow.now() is the way).
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                   ("time", "time"), ("time", "monotonic"), ("random", "random"), ("uuid", "uuid4")}  # fmt: skip
FORBIDDEN_BUILTINS = {"open", "input", "exec", "eval"}


def problems(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FORBIDDEN_MODULES:
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in FORBIDDEN_CALLS:
                found.append(f"{name}.{node.func.attr}() at line {node.lineno}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_BUILTINS:
            found.append(f"{node.func.id}() at line {node.lineno}")
    return found


def test_workflow_code_passed_through_the_sandbox_reads_no_clock_chance_host_or_network():
    assert "workflows" in PASSTHROUGH_MODULES
    found = [f"{path.name}: {p}" for path in sorted(WORKFLOWS.rglob("*.py")) for p in problems(path.read_text())]
    assert found == []


def test_the_check_finds_a_wall_clock_read_and_a_forbidden_import():
    sneaky = "import uuid\nfrom datetime import datetime\n\ndef due():\n    return datetime.now()\n"
    assert problems(sneaky) == ["import uuid", "datetime.now() at line 5"]
