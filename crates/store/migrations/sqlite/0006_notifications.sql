-- In-app notifications (reminders before a deadline and when overdue). One per user, report
-- and kind: the reminder job may run every few minutes and across restarts without sending
-- anything twice. Keep in step with ../postgres/0006_notifications.sql.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    regime      TEXT NOT NULL,
    agency      TEXT NOT NULL,
    period      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    deadline    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT,
    UNIQUE (user_id, regime, agency, period, kind)
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
