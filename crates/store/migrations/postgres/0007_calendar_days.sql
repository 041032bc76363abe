-- A deployment's changes to the default holiday calendar: a day made a holiday (a bridge day)
-- or a working day (a Saturday worked in exchange). One row per day. Keep in step with
-- ../sqlite/0007_calendar_days.sql.
CREATE TABLE calendar_days (
    day         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'working_day')),
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    changed_at  TEXT NOT NULL
);
