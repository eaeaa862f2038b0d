-- The status page (issue 20): when a service first appeared in the catalog (a component's created_at;
-- loaded_at moves with every reload), and the timeline entries that can change what the page says.

-- Services listed before this migration: the earliest thing known of them.
ALTER TABLE services ADD COLUMN listed_since timestamptz NOT NULL DEFAULT now();
UPDATE services s
SET listed_since = least(s.loaded_at, s.listed_since, (SELECT min(i.logged_at) FROM incidents i WHERE i.service = s.name));

-- Each such entry is one public update (named by its seq for ever): its first entry, the updates people
-- wrote, and every change of state. The predicate is the page's query's (pages/status/board.py).
CREATE INDEX incident_events_public_steps ON incident_events (number)
    WHERE action = 'update' OR seq = 1 OR from_state IS DISTINCT FROM to_state;
DROP INDEX incident_events_public;
