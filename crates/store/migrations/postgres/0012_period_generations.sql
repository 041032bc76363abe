-- A counter per period, raised in the same transaction as any change to the data of the
-- period (values written or withdrawn, a source marked authoritative). The analytics cache
-- keeps an answer for as long as the counters of the periods it covers stay the same, so an
-- accepted report is in every aggregate at once without a rebuild. Keep in step with
-- ../sqlite/0012_period_generations.sql.
ALTER TABLE periods ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
