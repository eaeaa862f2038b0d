-- The audit log: every action on an incident and every configuration change, append-only, each entry
-- chained to the previous one by a hash (domain/audit_chain.py computes and verifies it).
CREATE TABLE IF NOT EXISTS audit_log (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    by text,
    action text NOT NULL,
    target text NOT NULL,
    before jsonb,
    after jsonb,
    prev_hash text NOT NULL,
    hash text NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);

-- One row: the last entry's number and hash. Appends lock it (SELECT ... FOR UPDATE) so concurrent
-- appends take turns and never fork the chain, take their number from it (no gaps: a rolled-back append
-- rolls the head back too), and advance it in the same transaction. Verify compares the log's end with
-- it, so removing the newest entries shows.
CREATE TABLE IF NOT EXISTS audit_chain_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq bigint NOT NULL,
    hash text NOT NULL
);
INSERT INTO audit_chain_head (only_row, seq, hash) VALUES (true, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;

-- Refused for every role, the owner too (privileges do not bind the owner or a superuser; a trigger binds
-- the owner, and a superuser must disable it on purpose, which verify then finds in the chain).
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

-- A new entry must follow the chain head: the application cannot append a fork or renumber.
CREATE OR REPLACE FUNCTION audit_log_check_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_chain_head%ROWTYPE;
BEGIN
    SELECT * INTO head FROM audit_chain_head;
    IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
        RAISE EXCEPTION 'audit entry % does not follow the chain head (entry %)', NEW.seq, head.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

-- The head only moves forward by one, onto an entry that is in the log.
CREATE OR REPLACE FUNCTION audit_chain_head_check_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <> OLD.seq + 1 OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash) THEN
        RAISE EXCEPTION 'the audit chain head only advances to the entry just appended'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
DROP TRIGGER IF EXISTS audit_log_follows_head ON audit_log;
CREATE TRIGGER audit_log_follows_head BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_check_append();
DROP TRIGGER IF EXISTS audit_chain_head_advances ON audit_chain_head;
CREATE TRIGGER audit_chain_head_advances BEFORE UPDATE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_check_advance();
DROP TRIGGER IF EXISTS audit_chain_head_kept ON audit_chain_head;
CREATE TRIGGER audit_chain_head_kept BEFORE DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
DROP TRIGGER IF EXISTS audit_chain_head_no_truncate ON audit_chain_head;
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE DELETE, TRUNCATE ON audit_chain_head FROM PUBLIC;

-- The production shape's application role (docker-compose.yml's API and worker log in as a member of it):
-- it may append to the audit log and read it, never change or remove an entry. Created when missing and
-- when the migrating role may create roles; a managed database whose migrations run without CREATEROLE
-- has its operator create it, and the grants follow on the next run of this file by hand.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'incident_app') THEN
        BEGIN
            CREATE ROLE incident_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object THEN NULL;  -- another database of the cluster created it just now
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'incident_app not created (no CREATEROLE): create it and grant it as 010 says';
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'incident_app') THEN
        GRANT SELECT, INSERT ON audit_log TO incident_app;
        GRANT SELECT, UPDATE ON audit_chain_head TO incident_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM incident_app;
        REVOKE DELETE, TRUNCATE ON audit_chain_head FROM incident_app;
    END IF;
END $$;
