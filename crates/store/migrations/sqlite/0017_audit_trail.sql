-- The audit trail (store::audit): one row per change the application makes, in one hash
-- chain (seq numbered without gaps; prev_hash unique, so the chain cannot fork), written in
-- the change's own transaction and never updated or deleted by the application; signed
-- checkpoints over it; the server's audit signing key. Keep in step with the other backend's
-- 0017.
CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_user   INTEGER,
    actor_client INTEGER,
    channel      TEXT NOT NULL,
    request_id   TEXT,
    kind         TEXT NOT NULL,
    object       TEXT NOT NULL,
    agency_id    INTEGER,
    change       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_agency ON audit_events (agency_id, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_user, seq);
CREATE INDEX audit_events_object ON audit_events (object, seq);

CREATE TABLE audit_checkpoints (
    seq         INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL,
    at          TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
);

CREATE TABLE audit_keys (
    id          INTEGER PRIMARY KEY,
    public_key  TEXT NOT NULL UNIQUE,
    secret_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);
