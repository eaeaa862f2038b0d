"""Times as people type and read them: in the viewer's zone (--tz, default this machine's), an offset
given with the time winning over it (2026-12-24T18:00, 2026-12-24T18:00+01:00)."""

import argparse
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from starter.incidentctl.errors import Refused

WHEN = "%a %Y-%m-%d %H:%M"


def zone(args: argparse.Namespace) -> tzinfo:
    if args.tz:
        try:
            return ZoneInfo(args.tz)
        except (KeyError, ValueError):
            raise Refused(f"--tz: unknown time zone {args.tz!r} (use an IANA name, e.g. Europe/Stockholm)") from None
    return datetime.now().astimezone().tzinfo or UTC


def instant(text: str | None, zone: tzinfo, flag: str) -> datetime:
    if text is None or text == "now":
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"{flag} must be a date and time, e.g. 2026-12-24T18:00 (got {text!r})") from None
    return value if value.tzinfo else value.replace(tzinfo=zone)


def shown(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime(WHEN)


def iso(text: str | None) -> str | None:
    """An instant the API sent, as Python writes it (+00:00 rather than Z): `-o json` stays as it was."""
    return datetime.fromisoformat(text).isoformat() if text else None
