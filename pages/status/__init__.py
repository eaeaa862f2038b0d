"""The public status page: /status on the receiver, its Statuspage-compatible JSON and Atom feed."""
