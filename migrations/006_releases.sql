-- Release management feeds incident management (issue 13): change events from deploy tools, and a
-- known-error database that lives here, seeded from catalog.toml and changed at run time.

-- Known errors now come from three places; the catalog's are replaced by a reload, the others never.
-- Retired ones stay (retired_at): incidents they closed keep pointing at them.
ALTER TABLE known_errors
    ADD COLUMN origin         text        NOT NULL DEFAULT 'catalog',  -- catalog | incidentctl | pipeline
    ADD COLUMN release        text,
    ADD COLUMN release_key    text,       -- the pipeline's own id of it within its release
    ADD COLUMN added_by       text        NOT NULL DEFAULT 'catalog.toml',
    ADD COLUMN added_at       timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN retired_by     text,
    ADD COLUMN retired_at     timestamptz,
    ADD COLUMN retired_reason text;
-- a pipeline that publishes the same release twice changes nothing
CREATE UNIQUE INDEX known_errors_per_release ON known_errors (release, release_key) WHERE release_key IS NOT NULL;
CREATE INDEX known_errors_live ON known_errors (service) WHERE retired_at IS NULL;
-- numbers of run-time known errors, KE-1000 on: the catalog's own ids are below by convention
CREATE SEQUENCE known_error_numbers START 1000;

-- Every change to the known-error database, who made it, when and why. Its ids only grow, so the
-- newest id of a service is also the version the known-error check caches against.
CREATE TABLE known_error_audit (
    id             bigserial   PRIMARY KEY,
    known_error_id text        NOT NULL,
    service        text        NOT NULL,
    action         text        NOT NULL,  -- added | changed | retired
    actor          text        NOT NULL,
    reason         text        NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX known_error_audit_by_service ON known_error_audit (service, id);
CREATE INDEX known_error_audit_by_id ON known_error_audit (known_error_id, id);

-- Change events (PagerDuty Change Events API v2, POST /v2/change/enqueue): what changed, per service.
CREATE TABLE change_events (
    id             bigserial   PRIMARY KEY,
    event_key      text        NOT NULL UNIQUE,  -- a sender's retry of the same change is stored once
    service        text        NOT NULL,
    summary        text        NOT NULL,
    source         text        NOT NULL DEFAULT '',
    happened_at    timestamptz NOT NULL,
    custom_details jsonb       NOT NULL DEFAULT '{}',
    links          jsonb       NOT NULL DEFAULT '[]',
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_events_by_service ON change_events (service, happened_at);
