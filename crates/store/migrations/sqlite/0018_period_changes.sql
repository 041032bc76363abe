-- A period's change counter without a hot row: every change to a period's data appends one
-- row here instead of raising periods.generation. A period's counter is periods.generation
-- plus its rows here; Store::fold_period_changes moves the rows into periods.generation in
-- one transaction. See ../postgres/0018_period_changes.sql for why.
CREATE TABLE period_changes (
    id        INTEGER PRIMARY KEY,
    period_id INTEGER NOT NULL REFERENCES periods (id)
);
CREATE INDEX period_changes_period ON period_changes (period_id);
