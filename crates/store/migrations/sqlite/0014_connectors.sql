-- Connectors: other systems baocao pulls indicators from on a schedule. The definition is the
-- JSON of baocao_domain::connector::ConnectorSpec (its credentials for the peer included: they
-- must be sent, so they cannot be hashed). next_run_at and failures carry the schedule and the
-- back-off; each run is logged with its counts and errors. Keep in step with
-- ../postgres/0014_connectors.sql.
CREATE TABLE connectors (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    definition   TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL,
    next_run_at  TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX connectors_due ON connectors (enabled, next_run_at);
CREATE TABLE connector_runs (
    id            INTEGER PRIMARY KEY,
    connector_id  INTEGER NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    succeeded     BOOLEAN NOT NULL,
    attempt       INTEGER NOT NULL,
    fetched       INTEGER NOT NULL,
    stored        INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    message       TEXT NOT NULL,
    errors        TEXT NOT NULL
);
CREATE INDEX connector_runs_by_connector ON connector_runs (connector_id, id);
