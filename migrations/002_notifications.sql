-- Where each service's messages go (webhook URLs are credentials: kept here, not in workflow history).
ALTER TABLE services ADD COLUMN notifications jsonb NOT NULL DEFAULT '{}'::jsonb;

-- The plain message log: every notification as sent, for people who read logs rather than chat.
CREATE TABLE notification_log (
    outbox_id  bigint PRIMARY KEY REFERENCES notification_outbox (id),
    sent_at    timestamptz NOT NULL DEFAULT now(),
    target     text NOT NULL,   -- the webhook host, or 'log' when the service has no webhook
    message    text NOT NULL
);
