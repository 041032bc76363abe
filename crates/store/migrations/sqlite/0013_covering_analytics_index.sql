-- Analytics read one indicator's values for some periods across every agency. With the
-- (indicator, period) index alone each row found is one more lookup in the table; this index
-- holds every column such a read needs, so it is answered from the index alone (measured by
-- benches/national.rs: a national month of 13,352 values in a fraction of the time). It
-- replaces the narrower index it starts with. Keep in step with
-- ../postgres/0013_covering_analytics_index.sql.
DROP INDEX data_values_indicator_period;
CREATE INDEX data_values_indicator_period
    ON data_values (indicator_id, period_id, agency_id, combo_id, source_id, value_num);
