"""Old name of stores.incidents, kept only while starter/incidentctl/actions.py and
tests/replay/record_histories.py import it from here."""

from stores.incidents import reserve_number

__all__ = ["reserve_number"]
