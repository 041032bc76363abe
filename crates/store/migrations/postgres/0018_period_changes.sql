-- A period's change counter without a hot row: every change to a period's data appends one
-- row here instead of raising periods.generation, so concurrent acceptances of one period do
-- not queue on that period's row lock. A period's counter is periods.generation plus its
-- rows here; rows are only ever inserted, except when Store::fold_period_changes moves them
-- into periods.generation in one statement (the sum never goes down, and a row that commits
-- late still raises it). Keep in step with ../sqlite/0018_period_changes.sql.
CREATE TABLE period_changes (
    id        BIGSERIAL PRIMARY KEY,
    period_id INTEGER NOT NULL REFERENCES periods (id)
);
CREATE INDEX period_changes_period ON period_changes (period_id);
