-- Signed versions of submitted reports, the agencies' signing keys, and the record of every
-- action on a report. Keep in step with ../postgres/0003_signed_versions.sql.

-- Ed25519 keys held by the server per agency (hex of raw bytes). The public key is published.
CREATE TABLE agency_keys (
    id          INTEGER PRIMARY KEY,
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    public_key  TEXT NOT NULL UNIQUE,
    secret_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX agency_keys_agency ON agency_keys (agency_id);

-- Every submitted version, kept for ever: its canonical content, digest and signature.
CREATE TABLE submission_versions (
    id              INTEGER PRIMARY KEY,
    submission_id   INTEGER NOT NULL REFERENCES submissions (id),
    number          INTEGER NOT NULL,
    content         TEXT NOT NULL,
    content_sha256  TEXT NOT NULL,
    signature       TEXT NOT NULL,
    public_key      TEXT NOT NULL,
    signed_by       TEXT NOT NULL,
    submitted_at    TEXT NOT NULL,
    late            BOOLEAN NOT NULL,
    UNIQUE (submission_id, number)
);

-- Submit, accept, return, reopen: who, when, why.
CREATE TABLE submission_events (
    id             INTEGER PRIMARY KEY,
    submission_id  INTEGER NOT NULL REFERENCES submissions (id),
    action         TEXT NOT NULL,
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL,
    reason         TEXT
);
CREATE INDEX submission_events_submission ON submission_events (submission_id);
