"""Old name of stores.schema, kept only while tests/chaos/entry_points.py imports it from here."""

from stores.schema import migrate

__all__ = ["migrate"]
