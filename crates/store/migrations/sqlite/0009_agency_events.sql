-- Reorganisations as recorded events (merge, split, rename, re-parent, dissolve): the event as
-- given, what applying it moved, who recorded it and when. Keep in step with
-- ../postgres/0009_agency_events.sql.
CREATE TABLE agency_events (
    id           INTEGER PRIMARY KEY,
    date         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    event        TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX agency_events_date ON agency_events (date);
