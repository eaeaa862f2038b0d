"""`incidentctl forecast` as typed, on the session's Postgres record: fitted from history, from a
scenario file with a what-if and a picture, and refusals that say what to change."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from stores.catalog_file import load_catalog, read_catalog_file
from tests.conftest import CATALOG
from tests.e2e.catalogs import load_service_like
from tests.e2e.cli import Cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "forecast.toml"


async def forecast_with(cli: Cli, service: str) -> Any:
    """A forecast from the record once `service` is in it: the workaround reaches the record a moment
    after the command returns, and until then the service is left out (and said to be)."""
    for _ in range(50):
        result = await cli("-o", "json", "forecast", "--from-history", "30d", "--days", "30", "--replications", "5")
        assert result.code == 0, result.err
        if any(row["service"] == service for row in result.json()["today"]["rows"]):
            return result
        assert f"left out {service}: " in result.err  # not there: said, never dropped silently
        await asyncio.sleep(0.2)
    raise AssertionError(f"{service} never in the forecast: {result.err}")


async def test_a_forecast_fitted_from_the_record(cli: Cli) -> None:
    opened = await cli.ok_json("open", "--service", "payroll", "--summary", "payslips slow", "--impact", "2",
                               "--urgency", "2")  # fmt: skip
    await cli.ok_json("ack", opened["number"])
    await cli.ok_json("workaround", opened["number"], "cache warmed")  # acknowledge and restore times to learn
    result = await forecast_with(cli, "payroll")
    report = result.json()
    assert report["inputs"]["source"].startswith("the record of the last 30d") and report["today"]["rows"]
    assert all(0 <= row["restore_compliance"] <= 1 for row in report["today"]["rows"])


async def test_a_service_withdrawn_from_the_catalog_is_left_out_of_a_forecast_from_history(
    cli: Cli, pool: asyncpg.Pool
) -> None:
    """Its incidents stay in the record, but it takes no more: it must neither be forecast nor, having
    no acknowledge time to learn from, stop the forecast of the others."""
    await load_service_like(pool, "retired-svc", "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e")
    number = f"RETIRED-{uuid.uuid4().hex[:6]}"
    await pool.execute(
        "INSERT INTO incidents (number, incident_key, workflow_id, service, summary, source, state, priority,"
        " logged_at) VALUES ($1, $1, $1, 'retired-svc', 'never acknowledged', 'incidentctl', 'prioritized', 'P3', $2)",
        number, datetime.now(UTC),
    )  # fmt: skip
    try:
        await load_catalog(pool, read_catalog_file(CATALOG))  # withdrawn: catalog.toml does not name it
        opened = await cli.ok_json("open", "--service", "payroll", "--summary", "payslips slow again", "--impact",
                                   "2", "--urgency", "2")  # fmt: skip
        await cli.ok_json("ack", opened["number"])
        await cli.ok_json("workaround", opened["number"], "cache warmed")
        result = await forecast_with(cli, "payroll")
        assert "retired-svc" not in result.out + result.err
    finally:  # a row no workflow owns must not stay in other tests' record
        await pool.execute("DELETE FROM incidents WHERE number = $1", number)


async def test_a_scenario_with_a_what_if_and_its_picture(cli: Cli, tmp_path: Path) -> None:
    picture = tmp_path / "forecast.html"
    result = await cli("forecast", "--scenario", str(EXAMPLE), "--replications", "10", "--target", "P2.restore=6h",
                       "--html", str(picture))  # fmt: skip
    assert result.code == 0, result.err
    assert "WHAT IF" in result.out and "checkout   P2" in result.out and "replication 10/10" in result.err
    assert picture.read_text().count("<rect ") >= 2


async def test_refusals_say_what_to_change(cli: Cli, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[services.chekout]\narrivals = { P3 = 4 }\n")
    unknown = await cli("forecast", "--scenario", str(wrong))
    assert unknown.code == 1 and "unknown service(s) chekout" in unknown.err
    wrong.write_text("[services.checkout]\narrivals = { P3 = -4 }\n")
    negative = await cli("forecast", "--scenario", str(wrong))
    assert negative.code == 1 and "arrival rates must be 0 or more" in negative.err
    staff = await cli("forecast", "--scenario", str(EXAMPLE), "--staff", "checkout-oncall=lots")
    assert staff.code == 1 and "use GROUP=+1" in staff.err
    both = await cli("forecast", "--scenario", str(EXAMPLE), "--from-history", "90d")
    assert both.code == 2  # one source or the other (argparse)
