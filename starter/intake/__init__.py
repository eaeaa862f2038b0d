"""The receiver's alert intake: what turns an Alertmanager webhook or a PagerDuty-compatible event into
incidents opened and fed.

payloads (wire models) -> alertmanager / events_api (payload -> Delivery, with alert_context and
deliveries) -> inbox (committed to Postgres, requests sharing a commit through the coalescer) ->
forwarder (per-incident batches, inbox_rows) -> temporal_feed (signal-with-start); ingest_routes is the
HTTP side, service_directory and maintenance what it checks each delivery against. The receiver
(receiver/app.py) wires it.
"""
