"""B13 intake under a storm shaped unlike B2's: every Alertmanager group at once (no waves), fewer
senders (32), against the same floor (one signal-with-start per alert, as many concurrent senders).

B2's waves of 10 groups give each group many deliveries in flight together; here 2,000 deliveries
spread over 100 groups all firing at once, so a group rarely has company and every accepted
request pays its own way. Run `rounds` times (new groups each time); the figure is the worst ratio.
"""

from typing import Any

from bench.b2_alert_storm import StormRig, storm
from bench.report import say
from bench.stack import Stack


async def run(stack: Stack, task_queue: str, deliveries: int, groups: int, senders: int,
              rounds: int = 2) -> dict[str, Any]:  # fmt: skip
    results: list[dict[str, Any]] = []
    async with StormRig(stack, task_queue, senders, name="B13") as rig:
        for n in range(rounds):
            shape = f"every group at once, round {n + 1}/{rounds}"
            results.append(await rig.compare(storm(groups, deliveries, wave_size=groups, seed=13 + n), groups, shape))
    ratios = [r["ratio"] for r in results]
    say(f"B13 receiver / floor: {', '.join(f'{r:.2f}x' for r in ratios)}")
    return {"deliveries": deliveries, "groups": groups, "senders": senders, "rounds": results,
            "ratio": min(ratios), "nothing_lost": all(r["nothing_lost"] for r in results)}  # fmt: skip
