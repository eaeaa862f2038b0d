"""Old name of stores.oncall, kept only while starter/incidentctl/oncall_commands.py imports it from here."""

from stores.oncall import fetch_person, fetch_schedule, schedule_names

__all__ = ["fetch_person", "fetch_schedule", "schedule_names"]
