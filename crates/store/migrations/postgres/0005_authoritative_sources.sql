-- Where two sources give one cell different numbers, the source a reviewer marked as
-- authoritative; aggregates take it before any other. Keep in step with ../sqlite/0005.
CREATE TABLE authoritative_sources (
    agency_id     INTEGER NOT NULL REFERENCES agencies (id),
    period_id     INTEGER NOT NULL REFERENCES periods (id),
    indicator_id  INTEGER NOT NULL REFERENCES indicators (id),
    combo_id      INTEGER NOT NULL REFERENCES option_combos (id),
    source_id     INTEGER NOT NULL REFERENCES sources (id),
    marked_by     TEXT NOT NULL,
    marked_at     TEXT NOT NULL,
    PRIMARY KEY (agency_id, period_id, indicator_id, combo_id)
);
