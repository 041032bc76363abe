-- Saved indicator tables (bảng chỉ tiêu): an analytics question with its layout, kept as the
-- JSON of baocao_domain::table::TableDefinition, grouped by theme in the catalogue. Keep in
-- step with ../postgres/0011_indicator_tables.sql.
CREATE TABLE indicator_tables (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    theme       TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX indicator_tables_theme ON indicator_tables (theme, code);
