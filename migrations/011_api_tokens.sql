-- API tokens for automation (release pipelines, scripts): made by an admin (incidentctl token create),
-- shown once, kept here only as the SHA-256 of the token (the token itself is 32 random bytes, so a
-- fast hash is enough: nobody can guess their way back from it). A revoked or expired token is kept,
-- so the audit trail can still say whose it was.
CREATE TABLE api_tokens (
    id           bigserial   PRIMARY KEY,
    token_sha256 bytea       NOT NULL UNIQUE,
    name         text        NOT NULL,
    subject      text        NOT NULL,          -- who the token acts as (a person or a bot's name)
    roles        text[]      NOT NULL,          -- domain.roles.Role values
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,
    expires_at   timestamptz,                   -- NULL: never
    revoked_at   timestamptz,
    revoked_by   text,
    last_used_at timestamptz                    -- to the minute: updated at most once a minute per token
);
