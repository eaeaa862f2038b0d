-- The record at the size of a real team (issue 23: 300,000 incidents, 2.5 million timeline rows):
-- what its readers ask is answered from indexes and from figures the record's own writes keep up to
-- date, never from a pass over every row.

-- Incidents not closed yet: a handful at any time, whatever the size of the record (the status page
-- and `list` read all of them).
CREATE INDEX incidents_not_closed ON incidents ((coalesce(priority, 'P9')), logged_at, number)
    WHERE state <> 'closed';
-- `list --all`, highest priority first, then oldest (no priority last): keyset pages walk it.
CREATE INDEX incidents_listed ON incidents ((coalesce(priority, 'P9')), logged_at, number);
-- Closed incidents by when they were resolved: the status page lists those of the last days.
CREATE INDEX incidents_closed_by_resolution ON incidents ((coalesce(resolved_at, closed_at)))
    WHERE state = 'closed';

-- How many closed incidents there are, per service, priority ('' for none) and breach: `list --all` says
-- its exact total from these and the few incidents not closed. Kept by triggers on every write of
-- `incidents` (below), in the writing transaction.
CREATE TABLE closed_incident_counts (
    service  text    NOT NULL,
    priority text    NOT NULL,
    breached boolean NOT NULL,
    n        bigint  NOT NULL,
    PRIMARY KEY (service, priority, breached)
);

-- What the status page's bars say of a service's day, from the incidents whose outage has ended
-- (restored or closed): the worst status of the day (domain.status.ComponentStatus's rank: 2 degraded
-- performance, 3 partial outage, 4 major outage) and when the service was in partial or major outage
-- that day (the union of those incidents' spans, cut to the day). An incident not restored yet is added
-- by the page as it reads (its span runs to now). A day nothing ended in has no row.
CREATE TABLE status_days (
    service text           NOT NULL,
    day     date           NOT NULL,  -- UTC
    worst   smallint       NOT NULL,
    outage  tstzmultirange NOT NULL,
    PRIMARY KEY (service, day)
);

-- The incidents that colour a bar: on the page (P1-P3, not a known error, cancelled or duplicate) with
-- an end. The predicate is domain.status.on_the_page's and affects_service's.
CREATE VIEW status_contributions AS
SELECT service, logged_at, coalesce(restored_at, closed_at) AS ended,
       greatest(CASE priority WHEN 'P1' THEN 4 WHEN 'P2' THEN 3 ELSE 2 END,
                CASE WHEN impact = 1 THEN 3 ELSE 0 END) AS worst
FROM incidents
WHERE priority IN ('P1', 'P2', 'P3') AND (outcome IS NULL OR outcome NOT IN ('known_error', 'cancelled', 'duplicate'))
  AND coalesce(restored_at, closed_at) IS NOT NULL;
-- The contributions of a service that touch some days: those that ended since the first of them.
CREATE INDEX incidents_contributions ON incidents (service, (coalesce(restored_at, closed_at)))
    WHERE priority IN ('P1', 'P2', 'P3');

-- A service's days from first_day to last_day computed again from the record (the same whatever ran
-- before: a retried or replayed write leaves the same rows).
CREATE FUNCTION status_days_refresh(svc text, first_day date, last_day date) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    DELETE FROM status_days WHERE service = svc AND day BETWEEN first_day AND last_day;
    INSERT INTO status_days (service, day, worst, outage)
    SELECT svc, d.day, max(c.worst),
           coalesce(range_agg(tstzrange(greatest(c.logged_at, d.starts), least(c.ended, d.starts + interval '1 day')))
                        FILTER (WHERE c.worst >= 3 AND c.ended > c.logged_at
                                AND c.logged_at < d.starts + interval '1 day' AND c.ended > d.starts),
                    '{}'::tstzmultirange)
    FROM status_contributions c
    CROSS JOIN LATERAL (
        SELECT g::date AS day, g::date::timestamp AT TIME ZONE 'UTC' AS starts
        FROM generate_series(greatest((c.logged_at AT TIME ZONE 'UTC')::date, first_day),
                             least((c.ended AT TIME ZONE 'UTC')::date, last_day), interval '1 day') g) d
    WHERE c.service = svc
      AND c.ended >= first_day::timestamp AT TIME ZONE 'UTC'
      AND c.logged_at < (last_day + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY d.day;
$$;

-- An incident's contribution added to the days it spans: the record's usual write (an incident restored
-- or closed adds its outage, nothing else changes), a row per day upserted, whatever else those days hold.
CREATE FUNCTION status_days_add(svc text, logged timestamptz, ended timestamptz, rank smallint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    INSERT INTO status_days (service, day, worst, outage)
    SELECT svc, d.day, rank,
           CASE WHEN rank >= 3 AND ended > logged
                THEN tstzmultirange(tstzrange(greatest(logged, d.starts), least(ended, d.starts + interval '1 day')))
                ELSE '{}'::tstzmultirange END
    FROM (SELECT g::date AS day, g::date::timestamp AT TIME ZONE 'UTC' AS starts
          FROM generate_series((logged AT TIME ZONE 'UTC')::date, (ended AT TIME ZONE 'UTC')::date, interval '1 day') g) d
    ON CONFLICT (service, day) DO UPDATE
    SET worst = greatest(status_days.worst, excluded.worst), outage = status_days.outage + excluded.outage;
$$;

-- Whether a row colours a bar, and how (status_contributions' predicate and worst, for one row).
CREATE FUNCTION status_contribution(x incidents) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x.priority IN ('P1', 'P2', 'P3')
                 AND (x.outcome IS NULL OR x.outcome NOT IN ('known_error', 'cancelled', 'duplicate'))
                 AND coalesce(x.restored_at, x.closed_at) IS NOT NULL
           THEN greatest(CASE x.priority WHEN 'P1' THEN 4 WHEN 'P2' THEN 3 ELSE 2 END,
                         CASE WHEN x.impact = 1 THEN 3 ELSE 0 END)::smallint END
$$;

-- The days an incident's row touches, before and after a write: its contribution added when it had none
-- (restored or closed now), else those days computed again. One service's days are written by one
-- transaction at a time (an advisory lock until commit), so two incidents of a service that end on the
-- same day never compute it from each other's old rows.
CREATE FUNCTION status_days_follow_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'UPDATE' AND status_contribution(OLD) IS NULL AND status_contribution(NEW) IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('status_days'), hashtext(NEW.service));
        PERFORM status_days_add(NEW.service, NEW.logged_at, coalesce(NEW.restored_at, NEW.closed_at),
                                status_contribution(NEW));
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT s.service, min(s.first_day) AS first_day, max(s.last_day) AS last_day
        FROM (SELECT (x).service, ((x).logged_at AT TIME ZONE 'UTC')::date AS first_day,
                     (coalesce((x).restored_at, (x).closed_at) AT TIME ZONE 'UTC')::date AS last_day
              FROM (SELECT OLD AS x WHERE TG_OP <> 'INSERT' UNION ALL SELECT NEW WHERE TG_OP <> 'DELETE') rows
              WHERE coalesce((x).restored_at, (x).closed_at) IS NOT NULL) s
        GROUP BY s.service
    LOOP
        PERFORM pg_advisory_xact_lock(hashtext('status_days'), hashtext(r.service));
        PERFORM status_days_refresh(r.service, r.first_day, greatest(r.first_day, r.last_day));
    END LOOP;
    RETURN NULL;
END $$;

-- Many rows written at once (a backfill, an import): each service's days they touch, once.
CREATE FUNCTION status_days_follow_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT service, min((logged_at AT TIME ZONE 'UTC')::date) AS first_day,
               max((coalesce(restored_at, closed_at) AT TIME ZONE 'UTC')::date) AS last_day
        FROM written WHERE coalesce(restored_at, closed_at) IS NOT NULL GROUP BY service
    LOOP
        PERFORM pg_advisory_xact_lock(hashtext('status_days'), hashtext(r.service));
        PERFORM status_days_refresh(r.service, r.first_day, greatest(r.first_day, r.last_day));
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION closed_counts_follow_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.state = 'closed' THEN
        UPDATE closed_incident_counts SET n = n - 1
        WHERE service = OLD.service AND priority = coalesce(OLD.priority, '') AND breached = OLD.breached;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state = 'closed' THEN
        INSERT INTO closed_incident_counts VALUES (NEW.service, coalesce(NEW.priority, ''), NEW.breached, 1)
        ON CONFLICT (service, priority, breached) DO UPDATE SET n = closed_incident_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION closed_counts_follow_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO closed_incident_counts
    SELECT service, coalesce(priority, ''), breached, count(*) FROM written WHERE state = 'closed'
    GROUP BY 1, 2, 3
    ON CONFLICT (service, priority, breached) DO UPDATE SET n = closed_incident_counts.n + excluded.n;
    RETURN NULL;
END $$;

-- Row triggers only when what they follow changed: the record's most frequent write (a timeline batch,
-- stores/incidents.record_timeline) sets every column each time, mostly to the values it had.
CREATE TRIGGER status_days_on_insert AFTER INSERT ON incidents REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION status_days_follow_insert();
-- (A resolution or closing after the restore changes nothing a bar shows: no trigger.)
CREATE TRIGGER status_days_on_change AFTER UPDATE ON incidents FOR EACH ROW
    WHEN ((OLD.service, OLD.logged_at, coalesce(OLD.restored_at, OLD.closed_at), status_contribution(OLD))
          IS DISTINCT FROM (NEW.service, NEW.logged_at, coalesce(NEW.restored_at, NEW.closed_at), status_contribution(NEW))
          AND (status_contribution(OLD) IS NOT NULL OR status_contribution(NEW) IS NOT NULL))
    EXECUTE FUNCTION status_days_follow_row();
CREATE TRIGGER status_days_on_delete AFTER DELETE ON incidents FOR EACH ROW
    WHEN (coalesce(OLD.restored_at, OLD.closed_at) IS NOT NULL)
    EXECUTE FUNCTION status_days_follow_row();

CREATE TRIGGER closed_counts_on_insert AFTER INSERT ON incidents REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION closed_counts_follow_insert();
CREATE TRIGGER closed_counts_on_change AFTER UPDATE ON incidents FOR EACH ROW
    WHEN ((OLD.state = 'closed' OR NEW.state = 'closed')
          AND (OLD.state, OLD.service, OLD.priority, OLD.breached)
              IS DISTINCT FROM (NEW.state, NEW.service, NEW.priority, NEW.breached))
    EXECUTE FUNCTION closed_counts_follow_row();
CREATE TRIGGER closed_counts_on_delete AFTER DELETE ON incidents FOR EACH ROW WHEN (OLD.state = 'closed')
    EXECUTE FUNCTION closed_counts_follow_row();

-- The record as it is now.
INSERT INTO closed_incident_counts
SELECT service, coalesce(priority, ''), breached, count(*) FROM incidents WHERE state = 'closed' GROUP BY 1, 2, 3;
SELECT status_days_refresh(s.service, s.first_day, s.last_day)
FROM (SELECT service, min((logged_at AT TIME ZONE 'UTC')::date) AS first_day, max((ended AT TIME ZONE 'UTC')::date)
      AS last_day FROM status_contributions GROUP BY service) s;
