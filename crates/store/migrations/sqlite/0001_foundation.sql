-- baocao foundation schema, SQLite. Keep in step with ../postgres/0001_foundation.sql.
-- Dates are ISO text (YYYY-MM-DD), timestamps RFC 3339 in UTC, both written from Rust.

CREATE TABLE agencies (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
);
CREATE INDEX agencies_code ON agencies (code);

CREATE TABLE agency_states (
    id          INTEGER PRIMARY KEY,
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    valid_from  TEXT,
    valid_to    TEXT,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    search_key  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES agencies (id),
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
);
CREATE INDEX agency_states_agency ON agency_states (agency_id);
CREATE INDEX agency_states_parent ON agency_states (parent_id);

CREATE TABLE agency_successions (
    id              INTEGER PRIMARY KEY,
    date            TEXT NOT NULL,
    predecessor_id  INTEGER NOT NULL REFERENCES agencies (id),
    successor_id    INTEGER NOT NULL REFERENCES agencies (id),
    kind            TEXT NOT NULL,
    UNIQUE (predecessor_id, successor_id)
);

CREATE TABLE categories (
    id       INTEGER PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE,
    name_vi  TEXT NOT NULL,
    name_en  TEXT NOT NULL
);
CREATE TABLE category_options (
    id           INTEGER PRIMARY KEY,
    category_id  INTEGER NOT NULL REFERENCES categories (id),
    position     INTEGER NOT NULL,
    code         TEXT NOT NULL,
    name_vi      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    UNIQUE (category_id, code)
);

CREATE TABLE indicators (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    name_vi        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    search_key     TEXT NOT NULL,
    unit_vi        TEXT NOT NULL,
    unit_en        TEXT NOT NULL,
    value_type     TEXT NOT NULL,
    aggregation    TEXT NOT NULL,
    frequency      TEXT,
    group_vi       TEXT NOT NULL,
    definition_vi  TEXT NOT NULL
);
CREATE TABLE indicator_categories (
    indicator_id  INTEGER NOT NULL REFERENCES indicators (id),
    category_id   INTEGER NOT NULL REFERENCES categories (id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (indicator_id, category_id)
);

CREATE TABLE regimes (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
-- One row per version; the content is the domain's JSON document of the ten elements.
CREATE TABLE regime_versions (
    id              INTEGER PRIMARY KEY,
    regime_id       INTEGER NOT NULL REFERENCES regimes (id),
    version         INTEGER NOT NULL,
    status          TEXT NOT NULL,
    effective_from  TEXT,
    content         TEXT NOT NULL,
    search_key      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (regime_id, version)
);

CREATE TABLE assignments (
    id                   INTEGER PRIMARY KEY,
    regime_id            INTEGER NOT NULL REFERENCES regimes (id),
    reporting_agency_id  INTEGER NOT NULL REFERENCES agencies (id),
    receiving_agency_id  INTEGER NOT NULL REFERENCES agencies (id),
    valid_from           TEXT,
    valid_to             TEXT
);
CREATE INDEX assignments_regime ON assignments (regime_id);
CREATE INDEX assignments_reporting ON assignments (reporting_agency_id);
CREATE INDEX assignments_receiving ON assignments (receiving_agency_id);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    full_name      TEXT NOT NULL,
    agency_id      INTEGER NOT NULL REFERENCES agencies (id),
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TEXT NOT NULL
);
CREATE INDEX users_agency ON users (agency_id);

CREATE TABLE role_grants (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,
    agency_id  INTEGER NOT NULL REFERENCES agencies (id),
    subtree    BOOLEAN NOT NULL
);
CREATE INDEX role_grants_user ON role_grants (user_id);

-- Bearer tokens and UI sessions; only the SHA-256 of a secret is kept.
CREATE TABLE auth_tokens (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL,
    csrf_token    TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_used_at  TEXT
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE periods (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    frequency   TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL
);

-- Canonical disaggregation option combinations ('' is the total).
CREATE TABLE option_combos (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE
);

-- Where values come from: a regime's reports (`regime:BC-KTXH-T`), a connector, an import.
-- The same indicator for the same agency and period may arrive from two sources; both are
-- kept, and their difference is a data-quality finding.
CREATE TABLE sources (
    id    INTEGER PRIMARY KEY,
    code  TEXT NOT NULL UNIQUE
);

-- The hot table: hundreds of millions of rows nationally. Integer keys only; the primary
-- key serves an agency's report (agency, period), the second index the cross-agency reads
-- of analytics (indicator, period).
CREATE TABLE data_values (
    agency_id     INTEGER NOT NULL,
    period_id     INTEGER NOT NULL,
    indicator_id  INTEGER NOT NULL,
    combo_id      INTEGER NOT NULL,
    source_id     INTEGER NOT NULL,
    value_num     REAL,
    value_text    TEXT,
    channel       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (agency_id, period_id, indicator_id, combo_id, source_id)
) WITHOUT ROWID;
CREATE INDEX data_values_indicator_period ON data_values (indicator_id, period_id);

-- Facts about the database itself (e.g. that the demo data set finished loading).
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
