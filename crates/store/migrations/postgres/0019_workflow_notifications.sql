-- Workflow notifications beside the reminders: a report submitted to its receiver, returned
-- (with the reason, in `detail`) or accepted. A report may be returned twice, so a notification
-- is one per user, report, kind and `occurrence` (the report's lock version after the step;
-- 0 for reminders). Keep in step with ../sqlite/0019_workflow_notifications.sql.
ALTER TABLE notifications ADD COLUMN occurrence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN detail TEXT;
ALTER TABLE notifications DROP CONSTRAINT notifications_user_id_regime_agency_period_kind_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_once
    UNIQUE (user_id, regime, agency, period, kind, occurrence);
