"""Output: one line for people, or the contract's JSON for scripts (`-o json`)."""

import json
import sys
from datetime import UTC, datetime
from typing import Any

from domain.durations import format_duration

COLUMNS = ("number", "state", "priority", "service", "group", "assignee", "restore_left", "summary")


def with_fresh_remaining(view: dict[str, Any]) -> dict[str, Any]:
    """A query answers with the workflow's clock of its last task; time left is counted here, now."""
    sla = view.get("sla") or {}
    if sla.get("restore_left") is not None and sla.get("restore_due") and not sla.get("restore_paused"):
        due = datetime.fromisoformat(sla["restore_due"])
        sla["restore_left"] = format_duration(due - datetime.now(UTC))
    return view


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True) + "\n")


def one_line(view: dict[str, Any]) -> str:
    sla = view.get("sla", {})
    parts = [view.get("number") or view["workflow_id"], view["state"]]
    if view.get("outcome"):
        parts.append(f"({view['outcome']})")
    if view.get("priority"):
        parts.append(view["priority"])
    parts.append(view["service"])
    if view.get("group"):
        parts.append(f"group={view['group']}")
    if view.get("assignee"):
        parts.append(f"assignee={view['assignee']}")
    if sla.get("restore_left"):
        parts.append(f"restore in {sla['restore_left']}" + (" (paused)" if sla.get("restore_paused") else ""))
    if sla.get("breached"):
        parts.append("SLA BREACHED")
    return " ".join(parts)


def table(rows: list[dict[str, Any]]) -> str:
    cells = [[str(_cell(row, c) or "-") for c in COLUMNS] for row in rows]
    widths = [max([len(c.upper())] + [len(r[i]) for r in cells]) for i, c in enumerate(COLUMNS)]
    widths[-1] = min(widths[-1], 60)
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(COLUMNS, widths))]
    lines += ["  ".join(v[:w].ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def _cell(row: dict[str, Any], column: str) -> Any:
    if column == "restore_left":
        sla = row.get("sla", {})
        return "BREACHED" if sla.get("breached") else sla.get("restore_left")
    return row.get(column)


def details(view: dict[str, Any]) -> str:
    lines = [
        one_line(view),
        f"  summary     {view['summary']}",
        f"  {_scale(view)}  category {view.get('category') or '-'}",
        f"  source      {view['source']}  logged {view['logged_at']}",
        *_targets(view),
    ]
    for key in ("runbook", "workaround", "problem", "known_error", "previous_number"):
        if view.get(key):
            lines.append(f"  {key:<11} {view[key]}")
    if view.get("responders"):
        lines.append(f"  responders  {', '.join(view['responders'])}")
    lines += _context_lines(view.get("alert_context"))
    if view.get("offered_known_errors"):
        lines.append(f"  offered     {', '.join(view['offered_known_errors'])} (known-error list shows the workaround)")
    for change in view.get("recent_changes") or []:  # what release management deployed just before
        source = f" ({change['source']})" if change.get("source") else ""
        link = f" {change['link']}" if change.get("link") else ""
        lines.append(f"  changed     {change['at']}  {change['summary']}{source}{link}")
    for entry in view.get("history", []):
        move = f"{entry['from']} -> {entry['to']}" if entry["from"] != entry["to"] else entry["to"]
        lines.append(f"  {entry['at']}  {entry['actor']:<14} {entry['action']:<20} {move:<28} {entry['detail']}")
    return "\n".join(lines)


def _scale(view: dict[str, Any]) -> str:
    if view.get("impact") is None or view.get("urgency") is None:
        return "impact x urgency not set (never prioritized)"
    return f"impact x urgency {view['impact']} x {view['urgency']}"


def _targets(view: dict[str, Any]) -> list[str]:
    """The agreed times, or why there are none: a known error closes before it is prioritized."""
    sla = view.get("sla") or {}
    if sla.get("response_due") is None and sla.get("restore_due") is None:
        why = f"closed as {view['outcome']} before it was prioritized" if view.get("outcome") else "not prioritized yet"
        return [f"  targets     none: {why}"]
    return [
        f"  response    due {sla.get('response_due') or '-'}  acknowledged {view.get('acknowledged_at') or '-'}",
        f"  restore     due {sla.get('restore_due') or '-'}  left {sla.get('restore_left') or '-'}"
        f"  restored {view.get('restored_at') or '-'}",
    ]


def _context_lines(context: dict[str, Any] | None) -> list[str]:
    """The alert's context, as the sender gave it (bounded by the receiver)."""
    if not context:
        return []
    lines = [
        f"  {label:<11} {context[key]}"
        for key, label in (
            ("runbook_url", "alert runbook"),
            ("description", "description"),
            ("group", "alert group"),
            ("client_url", context.get("client") or "source"),
        )
        if context.get(key)
    ]
    lines += [f"  link        {link['text'] or '-'}: {link['href']}" for link in context.get("links", [])]
    lines += [f"  image       {image['text'] or '-'}: {image['href']}" for image in context.get("images", [])]
    lines += [f"  detail      {name} = {text}" for name, text in context.get("details", {}).items()]
    return lines
