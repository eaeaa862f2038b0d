"""Where code lives: every SQL statement in stores/, only activities in activities/, and no workflow module
importing what touches the database or the network. Read from the source (ast), so a new file is checked
the day it is added."""

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A string that starts a statement (an f-string's literal parts count), keywords in capitals as the
# house writes SQL, so prose ("select the service ...") is not taken for it; CREATE and ALTER only as DDL.
SQL = re.compile(
    r"^\s*\(?\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS|LOCK|TRUNCATE"
    r"|(CREATE|ALTER)\s+(TABLE|INDEX|DATABASE|SEQUENCE|VIEW))\b",
)

# SQL that stays with its program, by design: the readiness probe's ping (runtime/database.ping once
# runtime/ exists) and the local stack creating its database before any store can connect.
EXCEPTIONS = {
    ("receiver/probe_routes.py", "SELECT 1"),
    ("localstack/postgres.py", "SELECT 1 FROM pg_database WHERE datname = $1"),
    ("localstack/postgres.py", 'CREATE DATABASE ""'),
}


def product_files() -> list[Path]:
    """The modules the product installs: pyproject's packages and top-level modules."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in setuptools["packages"]["find"]["include"]}
    files = [path for package in sorted(packages) for path in sorted((ROOT / package).rglob("*.py"))]
    return files + [ROOT / f"{module}.py" for module in setuptools.get("py-modules", [])]


def sql_in(source: str) -> list[str]:
    """The SQL string literals of a module, whitespace collapsed; an f-string as its literal parts."""
    tree = ast.parse(source)
    parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            text = node.value
        else:
            continue
        if SQL.match(text):
            found.append(" ".join(text.split()))
    return found


def sql_literals(path: Path) -> list[str]:
    return sql_in(path.read_text())


def sql_outside_stores() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in product_files():
        name = path.relative_to(ROOT).as_posix()
        if name.startswith("stores/"):
            continue
        literals = [text for text in sql_literals(path) if (name, text) not in EXCEPTIONS]
        if literals:
            found[name] = literals
    return found


def test_every_sql_statement_of_the_product_is_in_a_store():
    outside = sql_outside_stores()
    assert outside == {}, "SQL belongs in stores/ (one module per family of tables): " + repr(outside)


def test_each_exception_still_holds_its_sql_the_list_only_shrinks():
    for name, text in EXCEPTIONS:
        assert text in sql_literals(ROOT / name), f"{name} no longer says {text!r}: delete the exception"


def test_the_scan_finds_sql_however_it_is_written_and_not_in_prose():
    found = sql_in(
        'A = "SELECT number FROM incidents"\n'
        'B = ("INSERT INTO pages (id)"\n     " VALUES ($1)")\n'
        'C = f"DELETE FROM {table} WHERE name <> ALL($1)"\n'
        'D = """\nWITH sent AS (\n    UPDATE outbox SET sent = now()\n) SELECT 1"""\n'
        'E = "UPDATE alert_inbox SET attempts = attempts + 1"\n'
        'F = "Create the incident"\n'
        'G = "select the service you mean, then update the catalog"\n'
    )
    assert found == ["SELECT number FROM incidents", "INSERT INTO pages (id) VALUES ($1)",
                     "DELETE FROM WHERE name <> ALL($1)", "WITH sent AS ( UPDATE outbox SET sent = now() ) SELECT 1",
                     "UPDATE alert_inbox SET attempts = attempts + 1"]  # fmt: skip


def _defines_an_activity(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if ast.unparse(decorator).startswith("activity.defn"):
                    return True
    return False


def test_activities_holds_activities_and_nothing_else():
    others = {path.name for path in (ROOT / "activities").glob("*.py")
              if path.name != "__init__.py" and not _defines_an_activity(path)}  # fmt: skip
    assert others == set(), "a module without an activity belongs in stores/, channels/ or domain/"


def test_no_workflow_module_imports_the_database_or_the_network_directly():
    """The sandbox re-imports workflow modules on every run: stores (asyncpg) and channels (aiohttp, smtplib)
    reach workflows only through activities, which the worker passes through."""
    for path in sorted((ROOT / "workflows").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"stores", "channels", "asyncpg", "aiohttp"}, f"{path}: {name}"
