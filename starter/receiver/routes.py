"""Old name of stores.alert_routes, kept only while starter/receiver/temporal_feed.py imports it from here."""

from stores.alert_routes import AlertRoutes, Route

__all__ = ["AlertRoutes", "Route"]
