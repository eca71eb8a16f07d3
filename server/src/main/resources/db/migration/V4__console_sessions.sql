-- The fleet console's sign-in sessions (docs/fleet.md, "The fleet console"): in the database, so any replica serves any
-- approver. The session id is only ever stored as its SHA-256 (a dump of this table cannot be replayed as a cookie);
-- expiry is the engine console's: idle and absolute, compared with the database's clock.
CREATE TABLE sessions (
    id_sha256   text PRIMARY KEY,
    approver_id text NOT NULL,
    how         text NOT NULL,          -- how the approver signed in (personal token, with TOTP), never the secret
    csrf        text NOT NULL,          -- goes into every form of the session's pages and must come back with each post
    flash       text,                   -- a one-time message for the next page (the result of a vote)
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_used   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX sessions_by_last_used ON sessions (last_used);
