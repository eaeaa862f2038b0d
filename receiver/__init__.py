"""The receiver, the HTTP program: one aiohttp application on INCIDENT_RECEIVER_HOST:PORT, like worker.py
the composition root of its part. `python -m receiver` serves it; `receiver.app.build_app` wires it for tests.

What it serves, and where each part lives:
- alert intake (Alertmanager webhooks, PagerDuty-compatible events), which opens and feeds incidents:
  starter/intake/ (payloads -> alertmanager / events_api -> inbox -> forwarder -> temporal_feed);
- release management (change events, known errors published by a release pipeline): receiver/releases/;
- the public pages (acknowledgement links, on-call calendars, the status page): pages/;
- its own probes, metrics and OpenAPI document: probe_routes, metrics, openapi.

The package re-exports nothing, so importing one module of it never imports the whole application.
"""
