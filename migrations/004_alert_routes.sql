-- Which incident an alert group feeds now. Incidents are numbered at intake and the number is
-- their workflow id (INC-1042), so the Web UI's list names them; an alert group (Alertmanager's
-- groupKey, or an events-API routing key and dedup key) keeps a route to its current incident.
-- When that incident is closed, the next firing alert reserves a new number and moves the route,
-- and the new incident links to the one it follows. Written only by the channel's forwarder.
-- Groups with no row here feed the incident of their old, hash-named workflow id (opened before
-- this release), until it closes.
CREATE TABLE alert_routes (
    channel              text        NOT NULL,   -- as alert_inbox.channel
    route                text        NOT NULL,   -- alert_inbox.workflow_id: the group's stable id
    workflow_id          text        NOT NULL,   -- the incident it feeds, INC-n
    previous_workflow_id text,                   -- the closed incident that one follows
    started              boolean     NOT NULL DEFAULT false,   -- false: reserved, its start not yet confirmed
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, route)
);
