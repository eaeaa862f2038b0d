"""Old name of stores.known_errors, kept only while starter/incidentctl/release_commands.py and
tests/replay/record_histories.py import it from here."""

from stores.known_errors import KnownErrorRefused, add, audit_trail, fetch_live, listing, retire

__all__ = ["KnownErrorRefused", "audit_trail", "fetch_live", "listing", "retire", "add"]
