-- Analytics read one indicator's values for some periods across every agency. With the
-- (indicator, period) index alone each row found is one more visit to the table; this index
-- carries every column such a read needs, so PostgreSQL can answer it by an index-only scan
-- (measured by benches/national.rs). It replaces the narrower index. Keep in step with
-- ../sqlite/0013_covering_analytics_index.sql.
DROP INDEX data_values_indicator_period;
CREATE INDEX data_values_indicator_period
    ON data_values (indicator_id, period_id) INCLUDE (agency_id, combo_id, source_id, value_num);
