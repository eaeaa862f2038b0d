"""The forecast's model of an incident against the real IncidentWorkflow (issue 15): incidents sampled
from a simulation run are replayed one at a time, with the same event script (logged, acknowledged,
restored), through the production worker on the time-skipping server; the response escalations, the
pages, the breach and the deadlines the forecast counted are the workflow's, for every one.

Times are put on the half minute (every agreed time and paging wait is whole minutes), so no step of
the script lands within a scheduling hair of a deadline. `FORECAST_CHECKS` sets how many (default 100).
"""

import os
from datetime import timedelta

import asyncpg

from activities.catalog_store import read_catalog_file
from domain.commands import Ack, Confirm, Resolve, Workaround
from domain.enums import Priority
from domain.forecast.classes import SCALE
from domain.forecast.engine import OnCallLookup, simulate
from domain.forecast.scenario import Scenario
from starter.forecast.run import classes_for
from tests.conftest import CATALOG
from tests.workflows.incident_driver import at, entries, eventually, open_on, pass_time, send, show

CHECKS = int(os.environ.get("FORECAST_CHECKS", "100"))


def half_minute(seconds: float) -> float:
    return (seconds // 60) * 60 + 30


def sampled_incidents(count: int) -> list[tuple[object, float, float]]:
    """(class, response, restore) of the first `count` incidents of a simulated run of checkout."""
    scenario = Scenario.model_validate({"days": 60, "seed": 15, "services": {"checkout": {
        "arrivals": {"P1": 15, "P2": 25, "P3": 40, "P4": 20},
        "acknowledge": {"kind": "lognormal", "median": "12m", "sigma": 1.2},
        "restore": {"kind": "lognormal", "median": "90m", "sigma": 1.0}}}})  # fmt: skip
    classes = classes_for(scenario, read_catalog_file(CATALOG))
    run = simulate(classes, scenario.services, {}, scenario.days, seed=15, oncall=OnCallLookup(), keep_records=True)
    by_key = {(c.service, str(c.priority)): c for c in classes}
    out = []
    for record in run.records[:count]:
        response = half_minute(record["response"])
        restore = max(response + 60, half_minute(record["restore"]))
        out.append((by_key[(record["service"], record["priority"])], response, restore))
    return out


async def wait(skipping: object, seconds: float) -> None:
    """In steps of at most 20 minutes: one skip across hours of paging and escalations can outlast
    the test server's RPC deadline."""
    while seconds > 0:
        step = min(seconds, 1200.0)
        await pass_time(skipping, timedelta(seconds=step))
        seconds -= step


async def caught_up(handle: object, cls: object, ack: float, now: float) -> dict:  # type: ignore[type-arg]
    """Before the next step of the script: the workflow has handled every timer the clock passed (a
    slow worker may get the timer and the next update in one activation, and the update would then
    win). Waits for at least what the forecast expects by now; more, or fewer after the wait, still
    fail the comparison below."""
    pages = len(cls.pages_sent(ack, now))  # type: ignore[attr-defined]
    escalations = cls.escalations_before(min(ack, now))  # type: ignore[attr-defined]
    return await eventually(lambda: show(handle), lambda v: len(entries(v, "page")) >= pages
                            and len(entries(v, "response_escalation")) >= escalations)  # fmt: skip


async def test_the_forecast_counts_what_the_workflow_does(skipping, pool: asyncpg.Pool) -> None:
    disagreements = []
    checked: dict[str, int] = {}
    for n, (cls, response, restore) in enumerate(sampled_incidents(CHECKS)):
        impact, urgency = SCALE[Priority(cls.priority)]
        view, handle = await open_on(skipping, "checkout", f"forecast check {n}", impact=impact, urgency=urgency)
        logged = at(view["logged_at"])
        await wait(skipping, response)
        await caught_up(handle, cls, response, response)
        await send(handle, Ack(actor="alice"))
        await wait(skipping, restore - response)
        before_restore = await caught_up(handle, cls, response, restore)
        await send(handle, Workaround(actor="alice", text="restored"))
        expected = {
            "response_escalations": cls.escalations_before(response),
            "pages": len(cls.pages_sent(response, restore)),
            "breached": restore > cls.restore_target,
            "response_due": logged + timedelta(seconds=cls.response_target),
            "restore_due": logged + timedelta(seconds=cls.restore_target),
        }
        pages = expected["pages"]
        story = await eventually(lambda h=handle: show(h), lambda v, n=pages: len(entries(v, "page")) >= n)
        seen = {
            "response_escalations": len(entries(story, "response_escalation")),
            "pages": len(entries(story, "page")),
            "breached": story["sla"]["breached"],
            "response_due": at(story["sla"]["response_due"]),
            # read before the workaround: once restored the clock is paused, and the due time a view
            # shows grows by however long after the restore it is asked (milliseconds on a busy machine)
            "restore_due": at(before_restore["sla"]["restore_due"]),
        }
        if seen != expected:
            disagreements.append((n, str(cls.priority), response, restore, expected, seen))
        checked[str(cls.priority)] = checked.get(str(cls.priority), 0) + 1
        # closed the usual way, so nothing with timers runs beside the next one (a terminated incident's
        # last tasks held the test server's clock here)
        await send(handle, Resolve(actor="alice", resolution="checked", problem="PRB-1"))
        await send(handle, Confirm(actor="bob"))
        await handle.result()
    assert not disagreements, "\n".join(str(d) for d in disagreements[:3])
    assert sum(checked.values()) == CHECKS and len(checked) >= 3, checked  # P1-P4 all exercised
