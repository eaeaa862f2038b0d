-- The incident object as the workflow showed it when it closed, so `incidentctl show` answers the
-- same from the record once Temporal's retention has let the workflow go (the record keeps it for good).
ALTER TABLE incidents ADD COLUMN IF NOT EXISTS closed_view jsonb;
