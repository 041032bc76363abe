-- Client systems of other agencies that push data to baocao and pull from it. Each acts
-- through a user account of its own (its grants say where it may report and read); its token
-- is stored as a SHA-256 hash, and may expire or be revoked. Keep in step with
-- ../postgres/0010_api_clients.sql.
CREATE TABLE api_clients (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    token_hash       TEXT NOT NULL UNIQUE,
    regimes          TEXT NOT NULL,
    can_push         BOOLEAN NOT NULL,
    can_pull         BOOLEAN NOT NULL,
    can_submit       BOOLEAN NOT NULL,
    rate_per_minute  INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT,
    last_used_at     TEXT,
    revoked_at       TEXT
);
