-- The status page (issue 14): maintenance windows people announce, and the alerts that arrived inside
-- one (recorded and attached to it, not opened as incidents: as Alertmanager users expect of silences).
CREATE TABLE maintenance_windows (
    id           bigserial   PRIMARY KEY,
    service      text        NOT NULL REFERENCES services (name),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL CHECK (ends_at > starts_at),
    summary      text        NOT NULL,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    cancelled_by text,
    cancelled_at timestamptz
);
CREATE INDEX maintenance_windows_by_service ON maintenance_windows (service, ends_at) WHERE cancelled_at IS NULL;

CREATE TABLE maintenance_events (
    id          bigserial   PRIMARY KEY,
    window_id   bigint      NOT NULL REFERENCES maintenance_windows (id),
    source      text        NOT NULL,  -- alertmanager | events_api
    route       text        NOT NULL,  -- the alert group it belongs to
    events      int         NOT NULL,
    payload     jsonb       NOT NULL,  -- the delivery as decoded (no credential)
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_events_by_window ON maintenance_events (window_id);
CREATE INDEX incident_events_public ON incident_events (number) WHERE action = 'update';
