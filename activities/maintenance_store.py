"""Old name of stores.maintenance, kept only while starter/incidentctl/maintenance_commands.py imports it from
here."""

from stores.maintenance import MaintenanceRefused, add, cancel, windows

__all__ = ["MaintenanceRefused", "add", "cancel", "windows"]
