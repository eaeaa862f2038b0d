"""Human durations for the catalog ("15m", "4h", "7d") and for CLI options ("30d")."""

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """'1h30m' -> 90 minutes. Raises ValueError naming the bad text."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = _PART.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise ValueError(f"not a duration: {text!r} (use e.g. 15m, 4h, 7d, 1h30m)")
    try:
        return sum((timedelta(**{_UNITS[u]: float(n)}) for n, u in parts), timedelta())
    except OverflowError:
        raise ValueError(f"not a duration: {text!r} is too long (use e.g. 15m, 4h, 7d, 1h30m)") from None


def format_duration(delta: timedelta) -> str:
    """Compact, for people: '3h05m', '2d4h', '-12m' (overdue)."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days}d{hours}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    return f"{sign}{minutes}m"
