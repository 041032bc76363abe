-- The warnings a submitted version carried and the reporter's explanation of each, as JSON
-- ([{"rule", "severity", "expression", "message", "message_en", "explanation"}]), so that the
-- receiver reads them beside the numbers. Keep in step with the other backend's 0004.
ALTER TABLE submission_versions ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
