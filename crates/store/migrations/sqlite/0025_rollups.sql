-- Roll-ups (issue 22): an indicator's values of one period summed per collector (the parent
-- of reporting agencies without subordinates) in one edition of the hierarchy, and the
-- values of agencies no collector may stand for. Derived from data_values, rebuilt when the
-- period's change counter moves past the one a build read under; never an answer by itself
-- (the aggregation engine decides where a sum may stand in).
CREATE TABLE rollups (
    edition       TEXT NOT NULL,
    indicator_id  INTEGER NOT NULL,
    period_id     INTEGER NOT NULL,
    kind          SMALLINT NOT NULL,
    node_id       INTEGER NOT NULL,
    combo_id      INTEGER NOT NULL,
    total         REAL NOT NULL,
    value_count   INTEGER NOT NULL,
    cell_count    INTEGER NOT NULL,
    PRIMARY KEY (edition, indicator_id, period_id, kind, node_id, combo_id)
);

-- One row per roll-up built: the period's change counter and the hierarchy's counter it was
-- read under. A roll-up whose counters differ from today's is rebuilt before it is used.
CREATE TABLE rollup_builds (
    edition       TEXT NOT NULL,
    indicator_id  INTEGER NOT NULL,
    period_id     INTEGER NOT NULL,
    generation    BIGINT NOT NULL,
    hierarchy     BIGINT NOT NULL,
    built_at      TEXT NOT NULL,
    PRIMARY KEY (edition, indicator_id, period_id)
);
