-- The incident record. The workflow is the source of truth for state and timers;
-- these tables are its projection, written by idempotent activities.

CREATE SEQUENCE incident_number_seq START WITH 1001;

CREATE TABLE services (
    name            text PRIMARY KEY,
    integration_key text NOT NULL UNIQUE,
    agreement       jsonb NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE known_errors (
    id         text PRIMARY KEY,
    service    text NOT NULL,
    title      text NOT NULL,
    match      jsonb NOT NULL,
    workaround text NOT NULL,
    problem    text
);

CREATE TABLE incidents (
    number          text PRIMARY KEY,
    incident_key    text NOT NULL UNIQUE,   -- workflow id + first run id: one per incident
    workflow_id     text NOT NULL,
    service         text NOT NULL REFERENCES services (name),
    summary         text NOT NULL,
    source          text NOT NULL,
    state           text NOT NULL,
    outcome         text,
    priority        text,
    impact          int,
    urgency         int,
    category        text,
    assignment_group text,
    assignee        text,
    major           boolean NOT NULL DEFAULT false,
    breached        boolean NOT NULL DEFAULT false,
    logged_at       timestamptz NOT NULL,
    acknowledged_at timestamptz,
    restored_at     timestamptz,
    resolved_at     timestamptz,
    closed_at       timestamptz,
    response_due    timestamptz,
    restore_due     timestamptz,
    paused_seconds  double precision NOT NULL DEFAULT 0,
    previous_number text,
    known_error_id  text,
    problem         text,
    occurrences     int NOT NULL DEFAULT 0,
    last_seq        int NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_workflow_id ON incidents (workflow_id, logged_at DESC);
CREATE INDEX incidents_logged_at ON incidents (logged_at);

-- The audit trail: one row per timeline entry of the workflow, in the same order.
CREATE TABLE incident_events (
    incident_key text NOT NULL,
    seq          int NOT NULL,
    number       text NOT NULL,
    at           timestamptz NOT NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    from_state   text,
    to_state     text NOT NULL,
    detail       text NOT NULL DEFAULT '',
    PRIMARY KEY (incident_key, seq)
);

-- Messages to people, written in the same transaction as the event that causes them.
CREATE TABLE notification_outbox (
    id           bigserial PRIMARY KEY,
    incident_key text NOT NULL,
    seq          int NOT NULL,
    audience     text NOT NULL,
    number       text NOT NULL,
    service      text NOT NULL,
    action       text NOT NULL,
    message      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    attempts     int NOT NULL DEFAULT 0,
    last_error   text,
    UNIQUE (incident_key, seq, audience)
);
CREATE INDEX notification_outbox_unsent ON notification_outbox (id) WHERE sent_at IS NULL;

-- Events refused because no agreement covers them: kept, never dropped silently.
CREATE TABLE rejected_events (
    id          bigserial PRIMARY KEY,
    dedup_key   text NOT NULL UNIQUE,
    source      text NOT NULL,
    service     text,
    reason      text NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
    received_at timestamptz NOT NULL DEFAULT now()
);
