-- The alert receiver's durable intake. A delivery is committed here before the receiver answers
-- 2xx; the receiver's forwarder hands the rows to their incident workflows in arrival order and
-- deletes each row once Temporal has taken it. An alert storm is therefore paced by Postgres
-- commits, not by Temporal, and a Temporal outage loses nothing (senders stop retrying after a
-- while; the rows wait here). Receivers feeding different Temporals (staging and production on one
-- database) keep apart by channel.
CREATE TABLE alert_inbox (
    seq          bigserial PRIMARY KEY,
    channel      text        NOT NULL,   -- the Temporal the rows go to: address/namespace/task queue
    workflow_id  text        NOT NULL,
    delivery     jsonb       NOT NULL,   -- starter.intake.deliveries.Delivery
    received_at  timestamptz NOT NULL DEFAULT now(),
    attempts     integer     NOT NULL DEFAULT 0,   -- hand-overs Temporal did not take
    last_error   text
);
CREATE INDEX alert_inbox_by_channel ON alert_inbox (channel, seq);
