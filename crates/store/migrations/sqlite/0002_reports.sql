-- Report slots (one agency's report for one regime and period) with their working draft.
-- Keep in step with ../postgres/0002_reports.sql.
CREATE TABLE submissions (
    id                   INTEGER PRIMARY KEY,
    regime_id            INTEGER NOT NULL REFERENCES regimes (id),
    agency_id            INTEGER NOT NULL REFERENCES agencies (id),
    period_id            INTEGER NOT NULL REFERENCES periods (id),
    receiving_agency_id  INTEGER NOT NULL REFERENCES agencies (id),
    status               TEXT NOT NULL,
    -- The optimistic lock a client sends back with its next save; 1 after the first save.
    lock_version         INTEGER NOT NULL,
    -- The draft's content: the domain's canonical ReportContent JSON.
    draft                TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (regime_id, agency_id, period_id)
);
CREATE INDEX submissions_receiver ON submissions (receiving_agency_id, status);
