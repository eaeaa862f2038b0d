"""The HTTP alert receiver: Alertmanager webhooks and PagerDuty-compatible events open and feed incidents.

    app = build_app(client, pool, ReceiverConfig(ingest_token=..., task_queue=...))

Layout: payloads (wire models) -> alertmanager / events_api (payload -> Delivery) ->
inbox (committed to Postgres, requests sharing a commit through the coalescer) ->
forwarder (per-incident batches) -> temporal_feed (signal-with-start); ingest_routes
and probe_routes are the HTTP side, app wires them, __main__ serves them.
"""

from starter.receiver.app import build_app
from starter.receiver.config import ReceiverConfig

__all__ = ["ReceiverConfig", "build_app"]
