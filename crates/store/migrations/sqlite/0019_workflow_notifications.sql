-- Workflow notifications beside the reminders: a report submitted to its receiver, returned
-- (with the reason, in `detail`) or accepted. A report may be returned twice, so a notification
-- is one per user, report, kind and `occurrence` (the report's lock version after the step;
-- 0 for reminders). SQLite cannot change a table's unique key in place: the table is rebuilt.
-- Keep in step with ../postgres/0019_workflow_notifications.sql.
CREATE TABLE notifications_rebuilt (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    regime      TEXT NOT NULL,
    agency      TEXT NOT NULL,
    period      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    deadline    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT,
    emailed_at  TEXT,
    occurrence  INTEGER NOT NULL DEFAULT 0,
    detail      TEXT,
    UNIQUE (user_id, regime, agency, period, kind, occurrence)
);
INSERT INTO notifications_rebuilt (id, user_id, regime, agency, period, kind, deadline, created_at, read_at, emailed_at)
    SELECT id, user_id, regime, agency, period, kind, deadline, created_at, read_at, emailed_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE INDEX notifications_unsent ON notifications (emailed_at, created_at);
