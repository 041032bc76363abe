-- Reminders by email: a user's address, and when each notification went out by email (the
-- outbox: a failed send stays pending and is retried, a sent one is never sent again). Keep in
-- step with ../sqlite/0008_email.sql.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE notifications ADD COLUMN emailed_at TEXT;
CREATE INDEX notifications_unsent ON notifications (emailed_at, created_at);
