-- On call (oncall.toml, loaded with the catalog): who can be paged and the schedules of the groups.
-- Contact details live here, never in workflow history: the paging activity reads them when it pages.
CREATE TABLE oncall_people (
    name      text PRIMARY KEY,
    person    jsonb NOT NULL,             -- domain.oncall.Person
    loaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE oncall_schedules (
    name      text PRIMARY KEY,           -- the support group it covers
    schedule  jsonb NOT NULL,             -- domain.oncall.Schedule, with the overrides of the file
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- Overrides made at run time (incidentctl oncall override): a person covers a schedule for a while.
-- Removed ones are kept (removed_at), so the audit trail says who changed the rota, when and why.
CREATE TABLE oncall_overrides (
    id          bigserial PRIMARY KEY,
    schedule    text        NOT NULL,
    person      text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    reason      text        NOT NULL DEFAULT '',
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    removed_by  text,
    removed_at  timestamptz
);
CREATE INDEX oncall_overrides_active ON oncall_overrides (schedule, ends_at) WHERE removed_at IS NULL;

-- Every page: who was paged for which incident, at which step, on which channel, and what became of
-- it. Keyed by (incident, page, person, channel): a retried or replayed page writes nothing twice.
CREATE TABLE pages (
    id           bigserial PRIMARY KEY,
    incident_key text        NOT NULL,
    page_seq     int         NOT NULL,    -- the incident's page number: 1, 2, ... (one per step paged)
    number       text        NOT NULL,
    priority     text        NOT NULL,    -- what the message says: as the incident was when it paged
    service      text        NOT NULL,
    summary      text        NOT NULL,
    runbook      text        NOT NULL DEFAULT '',
    person       text        NOT NULL,
    channel      text        NOT NULL,    -- email | slack | webhook | none (no way to reach them) | no-smtp
    step         text        NOT NULL,    -- e.g. "schedule:checkout-oncall, step 1 of 3, round 1 of 3"
    reason       text        NOT NULL,
    status       text        NOT NULL DEFAULT 'pending',   -- pending | sent | failed (retried)
    attempts     int         NOT NULL DEFAULT 0,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    UNIQUE (incident_key, page_seq, person, channel)
);
CREATE INDEX pages_pending ON pages (incident_key) WHERE status <> 'sent';

-- Acknowledgement links used: a link acknowledges once; the same link again is refused (403).
CREATE TABLE page_acks (
    token_id  text PRIMARY KEY,           -- the signed token's id (not the token: it is a credential)
    number    text NOT NULL,
    person    text NOT NULL,
    acked_at  timestamptz NOT NULL DEFAULT now()
);
