"""A target of nothing, typed as a person types it (issue 20): `incidentctl forecast --target
P2.response=0s` and a catalog.toml with `response = "0s"` are refused with what to change, before
anything runs. Each is incidentctl as a subprocess; neither refusal needs the Temporal server or the
database, so none is started (their addresses point at a closed loopback port)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "forecast.toml"
NOWHERE = {"TEMPORAL_ADDRESS": "127.0.0.1:9", "INCIDENT_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}


def incidentctl(*args: str, catalog: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "INCIDENT_USER": "tester", **NOWHERE}
    if catalog is not None:
        env["INCIDENT_CATALOG"] = str(catalog)
    return subprocess.run([sys.executable, "-m", "starter.incidentctl", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(
    "typed",
    [["--target", "P2.response=0s"], ["--target=P2.response=0s"], ["--target", "P2.restore=0m"],
     ["--target", "P2.response= 0s"], ["--target", "P1.response=0h0m"]],
)  # fmt: skip
def test_a_target_of_nothing_on_the_command_line_is_refused_and_nothing_is_simulated(typed: list[str]) -> None:
    result = incidentctl("forecast", "--scenario", str(EXAMPLE), "--replications", "2", "--days", "3", *typed)
    key = typed[-1].removeprefix("--target=").partition("=")[0]
    assert result.returncode == 1, result.stderr
    assert f"a target must be longer than 0s, e.g. {key}=30m" in result.stderr
    assert "replication" not in result.stderr and result.stdout == ""


def test_an_empty_target_is_refused_saying_what_a_duration_looks_like() -> None:
    result = incidentctl("forecast", "--scenario", str(EXAMPLE), "--target", "P2.response=")
    assert result.returncode == 1 and "--target P2.response=: not a duration: ''" in result.stderr
    assert result.stdout == ""


def test_a_one_second_target_is_forecast() -> None:
    result = incidentctl("-o", "json", "forecast", "--scenario", str(EXAMPLE), "--replications", "2", "--days", "7",
                         "--target", "P2.response=1s")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"what_if"' in result.stdout and "replication 2/2" in result.stderr


@pytest.fixture
def zero_target_catalog(tmp_path: Path) -> Path:
    """The repository's catalog with checkout's P2 agreed to be acknowledged in no time."""
    shutil.copy(ROOT / "oncall.toml", tmp_path / "oncall.toml")
    text = (ROOT / "catalog.toml").read_text()
    assert 'targets.P1 = { restore = "2h" }' in text
    broken = tmp_path / "catalog.toml"
    broken.write_text(text.replace('targets.P1 = { restore = "2h" }',
                                   'targets.P1 = { restore = "2h" }\ntargets.P2 = { response = "0s" }'))  # fmt: skip
    return broken


def test_a_catalog_with_a_target_of_nothing_is_refused_by_the_forecast_naming_file_and_field(
    zero_target_catalog: Path,
) -> None:
    result = incidentctl("forecast", "--scenario", str(EXAMPLE), catalog=zero_target_catalog)
    assert result.returncode == 1
    assert f"{zero_target_catalog}: services.checkout.targets.P2.response: must be longer than 0s (got 0s)" in (
        result.stderr
    )
    assert result.stdout == ""


def test_reloading_a_catalog_with_a_target_of_nothing_is_refused_and_nothing_changes(
    zero_target_catalog: Path,
) -> None:
    result = incidentctl("catalog", "reload", "--file", str(zero_target_catalog))
    assert result.returncode == 1
    assert "services.checkout.targets.P2.response: must be longer than 0s" in result.stderr
    assert "nothing changed, the loaded catalog stays in force" in result.stderr
