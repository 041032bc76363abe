//! The audit trail at rest: events appended in the transaction of the change they record,
//! chained at commit ([`Transaction::commit`](crate::transaction::Transaction::commit)), read
//! back in order for verification and by filters for the audit pages; signed checkpoints; the
//! server's audit signing key (sealed like every secret); and the tables' current state in the
//! shape the events re-derive ([`baocao_domain::audit::State`]).
//!
//! The chain is extended by one writer at a time: on SQLite the write lock is the engine's
//! own; on PostgreSQL a transaction-scoped advisory lock is taken only at commit, after the
//! change's work, so writers do their work concurrently and queue only for the append. A
//! unique `prev_hash` makes a fork impossible even if that lock were bypassed.

use baocao_domain::audit::{Checkpoint, Event, GENESIS, Provenance, Record, State};
use futures_util::TryStreamExt;
use serde_json::Value as Json;

use crate::secrets::AUDIT_KEY_COLUMN;
use crate::statement_list::StatementList;
use crate::{Store, StoreError, on_db};

/// The advisory lock key of the chain's tail on PostgreSQL ("audit" in ASCII).
pub(crate) const CHAIN_LOCK: i64 = 0x0061_7564_6974;
/// Events a statement inserts: 12 parameters each.
pub(crate) const EVENTS_PER_INSERT: usize = 1_000;

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: String,
    actor_user: Option<i32>,
    actor_client: Option<i32>,
    channel: String,
    request_id: Option<String>,
    kind: String,
    object: String,
    agency_id: Option<i32>,
    change: String,
    prev_hash: String,
    hash: String,
}

impl EventRow {
    fn event(self) -> Result<Event, StoreError> {
        Ok(Event {
            seq: self.seq,
            record: Record {
                by: Provenance {
                    at: self.at,
                    user: self.actor_user,
                    client: self.actor_client,
                    channel: self.channel.parse().map_err(|unknown| {
                        StoreError::Corrupt(format!("audit event {}: channel {unknown}", self.seq))
                    })?,
                    request: self.request_id,
                },
                kind: self.kind,
                object: self.object,
                agency: self.agency_id,
                change: self.change,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

pub(crate) const EVENT_COLUMNS: &str = "seq, at, actor_user, actor_client, channel, request_id, kind, object, agency_id, change, prev_hash, hash";

/// Appends `records` to the chain inside the open transaction `$conn` (one backend's), after
/// taking the chain's tail — `$head` when the caller knows it (an SQLite batch that has
/// appended already), else read; evaluates to the new tail. Compiled once per backend.
macro_rules! append_events {
    ($conn:expr, $records:expr, $postgres:expr, $head:expr) => {{
        if $postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind($crate::audit::CHAIN_LOCK)
                .execute(&mut *$conn)
                .await?;
        }
        let known: Option<(i64, String)> = $head;
        let head: Option<(i64, String)> = match known {
            Some(head) => Some(head),
            None => {
                sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *$conn)
                    .await?
            }
        };
        let (seq, hash) = head.unwrap_or((0, baocao_domain::audit::GENESIS.to_string()));
        let events = baocao_domain::audit::chain((seq, &hash), $records);
        let tail = events
            .last()
            .map_or((seq, hash.clone()), |last| (last.seq, last.hash.clone()));
        for part in events.chunks($crate::audit::EVENTS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::new(format!(
                "INSERT INTO audit_events ({}) ",
                $crate::audit::EVENT_COLUMNS
            ));
            insert.push_values(part, |mut row, event| {
                let record = &event.record;
                row.push_bind(event.seq)
                    .push_bind(record.by.at.clone())
                    .push_bind(record.by.user)
                    .push_bind(record.by.client)
                    .push_bind(record.by.channel.as_str())
                    .push_bind(record.by.request.clone())
                    .push_bind(record.kind.clone())
                    .push_bind(record.object.clone())
                    .push_bind(record.agency)
                    .push_bind(record.change.clone())
                    .push_bind(event.prev_hash.clone())
                    .push_bind(event.hash.clone());
            });
            insert.build().execute(&mut *$conn).await?;
        }
        tail
    }};
}
pub(crate) use append_events;

/// The chain's tail: its last event's number and hash (the genesis if it is empty).
pub(crate) async fn read_tail(
    conn: &mut sqlx::SqliteConnection,
) -> Result<(i64, String), StoreError> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(conn)
            .await?;
    Ok(head.unwrap_or((0, GENESIS.to_string())))
}

/// [`append_events!`] as statements of an SQLite [`StatementList`]: `records` chained after
/// `head`; answers the new tail.
pub(crate) fn append_to_list(
    list: &mut StatementList,
    head: (i64, String),
    records: Vec<Record>,
) -> (i64, String) {
    let events = baocao_domain::audit::chain((head.0, &head.1), records);
    let tail = events
        .last()
        .map_or(head.clone(), |last| (last.seq, last.hash.clone()));
    let insert = format!(
        "INSERT INTO audit_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    for event in events {
        let Event {
            seq,
            record,
            prev_hash,
            hash,
        } = event;
        list.push(&insert, |row| {
            row.add(seq)
                .add(record.by.at)
                .add(record.by.user)
                .add(record.by.client)
                .add(record.by.channel.as_str())
                .add(record.by.request)
                .add(record.kind)
                .add(record.object)
                .add(record.agency)
                .add(record.change)
                .add(prev_hash)
                .add(hash);
        });
    }
    tail
}

/// Which events a page of the audit shows.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Events whose object starts with this text.
    pub object: Option<String>,
    pub actor: Option<i32>,
    /// Only events of these agencies (an agency's subtree); `None`: every event.
    pub agencies: Option<Vec<i32>>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Events whose kind starts with this text (`report.` or `report.submit`).
    pub kind: Option<String>,
    /// Only events numbered below this one (the next page, newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Every data value with the codes an event names it by.
pub(crate) const VALUE_STATE: &str = "SELECT v.agency_id, p.code AS period, i.code AS indicator, c.key AS combo, s.code AS source, v.value_num, v.value_text
     FROM data_values v JOIN periods p ON p.id = v.period_id JOIN indicators i ON i.id = v.indicator_id
     JOIN option_combos c ON c.id = v.combo_id JOIN sources s ON s.id = v.source_id";

#[derive(sqlx::FromRow)]
pub(crate) struct ValueStateRow {
    pub agency_id: i32,
    pub period: String,
    pub indicator: String,
    pub combo: String,
    pub source: String,
    value_num: Option<f64>,
    value_text: Option<String>,
}

impl ValueStateRow {
    /// The value as an event writes it.
    pub fn value(&self) -> Json {
        match (self.value_num, &self.value_text) {
            (Some(number), _) => Json::from(number),
            (None, Some(text)) => Json::from(text.as_str()),
            (None, None) => Json::Null,
        }
    }
}

#[derive(sqlx::FromRow)]
struct VersionStateRow {
    regime: String,
    version: i32,
    status: String,
    effective_from: Option<String>,
    content: String,
}

impl Store {
    /// Records `records` in a transaction of their own (a change whose rows the caller wrote in
    /// the same transaction goes through [`Transaction::audit`](crate::transaction::Transaction::audit)).
    pub async fn record_events(
        &self,
        by: &Provenance,
        records: Vec<Record>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin(by).await?;
        for record in records {
            tx.audit(record);
        }
        tx.commit().await
    }

    /// The chain's last event (number and hash); `(0, GENESIS)` for an empty chain.
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        let head: Option<(i64, String)> = on_db!(self, pool => sqlx::query_as(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(pool).await?);
        Ok(head.unwrap_or((0, GENESIS.to_string())))
    }

    /// Up to `limit` events after event `after`, in order (a walk reads the chain page by
    /// page, in memory bounded by the page).
    pub async fn audit_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        );
        let rows: Vec<EventRow> = on_db!(self, pool => sqlx::query_as(&sql)
            .bind(after).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(EventRow::event).collect()
    }

    /// Every event after event `after`, in order, one at a time: a walk of the whole chain
    /// holds one event, whatever the size of the events around it. One statement, so one
    /// snapshot of the chain.
    pub fn audit_events_streamed(
        &self,
        after: i64,
    ) -> futures_util::stream::BoxStream<'_, Result<Event, StoreError>> {
        use futures_util::StreamExt;
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq")
        });
        let event = |row: Result<EventRow, sqlx::Error>| row.map_err(StoreError::from)?.event();
        match &self.db {
            crate::Db::Sqlite(pool) => sqlx::query_as::<_, EventRow>(SQL.as_str())
                .bind(after)
                .fetch(pool)
                .map(event)
                .boxed(),
            crate::Db::Postgres(pool) => sqlx::query_as::<_, EventRow>(SQL.as_str())
                .bind(after)
                .fetch(pool)
                .map(event)
                .boxed(),
        }
    }

    /// A page of events matching `filter`, newest first.
    pub async fn audit_page(&self, filter: &AuditFilter) -> Result<Vec<Event>, StoreError> {
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE 1 = 1");
        let mut n = 0;
        let mut next = |clause: &str, sql: &mut String| {
            n += 1;
            sql.push_str(&clause.replace('?', &format!("${n}")));
        };
        if filter.object.is_some() {
            next(" AND object LIKE ? ESCAPE '\\'", &mut sql);
        }
        if filter.actor.is_some() {
            next(" AND actor_user = ?", &mut sql);
        }
        if filter.from.is_some() {
            next(" AND at >= ?", &mut sql);
        }
        if filter.to.is_some() {
            next(" AND at < ?", &mut sql);
        }
        if filter.kind.is_some() {
            next(" AND kind LIKE ? ESCAPE '\\'", &mut sql);
        }
        if filter.before.is_some() {
            next(" AND seq < ?", &mut sql);
        }
        if let Some(agencies) = &filter.agencies {
            // Integers this code formats, never caller text.
            let list = agencies.iter().map(i32::to_string).collect::<Vec<_>>();
            if list.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND agency_id IN ({})", list.join(",")));
        }
        next(" ORDER BY seq DESC LIMIT ?", &mut sql);
        let prefix = |text: &String| {
            format!(
                "{}%",
                text.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        };
        let rows: Vec<EventRow> = on_db!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            if let Some(object) = &filter.object { query = query.bind(prefix(object)); }
            if let Some(actor) = filter.actor { query = query.bind(actor); }
            if let Some(from) = &filter.from { query = query.bind(from.clone()); }
            if let Some(to) = &filter.to { query = query.bind(to.clone()); }
            if let Some(kind) = &filter.kind { query = query.bind(prefix(kind)); }
            if let Some(before) = filter.before { query = query.bind(before); }
            query.bind(filter.limit).fetch_all(pool).await?
        });
        rows.into_iter().map(EventRow::event).collect()
    }

    /// The first and last events stamped from `from` (inclusive) to `to` (exclusive);
    /// `None` when there are none.
    pub async fn audit_span(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        let span: (Option<i64>, Option<i64>) = on_db!(self, pool => sqlx::query_as(
            "SELECT MIN(seq), MAX(seq) FROM audit_events WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR at < $2)")
            .bind(from).bind(to).fetch_one(pool).await?);
        Ok(match span {
            (Some(first), Some(last)) => Some((first, last)),
            _ => None,
        })
    }

    /// The events that wrote or cleared data values of `agencies` (ids) for `period`, in
    /// order: reports' accepted numbers (`values.replace`, addressed by agency and period) and
    /// direct writes (`values.write`, which name their period in their change).
    pub async fn audit_value_events(
        &self,
        agencies: &[i32],
        period: &str,
    ) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE kind = 'values.replace' AND object LIKE $1 ORDER BY seq"
        );
        for agency in agencies {
            // Ids and a checked period code: no caller text reaches the pattern.
            let pattern = format!("values {agency}/{period}/%");
            let rows: Vec<EventRow> = on_db!(self, pool => sqlx::query_as(&sql)
                .bind(pattern).fetch_all(pool).await?);
            for row in rows {
                events.push(row.event()?);
            }
        }
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events WHERE kind = 'values.write' AND change LIKE $1 ORDER BY seq"
        );
        let rows: Vec<EventRow> = on_db!(self, pool => sqlx::query_as(&sql)
            .bind(format!("%\"{period}\"%")).fetch_all(pool).await?);
        for row in rows {
            events.push(row.event()?);
        }
        events.sort_by_key(|event| event.seq);
        Ok(events)
    }

    /// Every checkpoint, in order.
    pub async fn audit_checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = on_db!(self, pool => sqlx::query_as(
            "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq")
            .fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(seq, hash, at, public_key, signature)| Checkpoint {
                seq,
                hash,
                at,
                public_key,
                signature,
            })
            .collect())
    }

    /// The last checkpoint, if any.
    pub async fn last_audit_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let row: Option<(i64, String, String, String, String)> = on_db!(self, pool => sqlx::query_as(
            "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(pool).await?);
        Ok(
            row.map(|(seq, hash, at, public_key, signature)| Checkpoint {
                seq,
                hash,
                at,
                public_key,
                signature,
            }),
        )
    }

    pub async fn add_audit_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (seq) DO NOTHING")
            .bind(checkpoint.seq)
            .bind(&checkpoint.hash)
            .bind(&checkpoint.at)
            .bind(&checkpoint.public_key)
            .bind(&checkpoint.signature)
            .execute(pool).await.map(drop)?);
        Ok(())
    }

    /// The server's audit key in force (secret hex, public hex).
    pub async fn audit_key(&self) -> Result<Option<(String, String)>, StoreError> {
        let stored: Option<(String, String)> = on_db!(self, pool => sqlx::query_as(
            "SELECT secret_key, public_key FROM audit_keys WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1")
            .fetch_optional(pool).await?);
        stored
            .map(|(secret, public)| Ok((self.open_secret(&secret, AUDIT_KEY_COLUMN)?, public)))
            .transpose()
    }

    pub async fn add_audit_key(
        &self,
        secret_hex: &str,
        public_hex: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let sealed = self.keyring()?.seal(secret_hex, AUDIT_KEY_COLUMN);
        on_db!(self, pool => sqlx::query(
            "INSERT INTO audit_keys (public_key, secret_key, created_at) VALUES ($1, $2, $3)")
            .bind(public_hex).bind(sealed).bind(now)
            .execute(pool).await.map(drop)?);
        Ok(())
    }

    /// Every public key the server has signed checkpoints with.
    pub async fn audit_public_keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_scalar(
            "SELECT public_key FROM audit_keys ORDER BY id").fetch_all(pool).await?))
    }

    /// The grants and regime versions the tables hold, in the shape the events re-derive
    /// (data values and reports are compared in a scratch file: [`crate::derived`]).
    pub async fn audited_configuration(&self) -> Result<State, StoreError> {
        let mut state = State::default();
        let grants: Vec<(i32, String, i32, bool)> = on_db!(self, pool => sqlx::query_as(
            "SELECT user_id, role, agency_id, subtree FROM role_grants")
            .fetch_all(pool).await?);
        state.grants = grants.into_iter().collect();
        // Streamed: a version's content is digested and dropped, not all held at once.
        on_db!(self, pool => {
            let mut versions = sqlx::query_as::<_, VersionStateRow>(
                "SELECT r.code AS regime, v.version, v.status, v.effective_from, v.content
                 FROM regime_versions v JOIN regimes r ON r.id = v.regime_id")
                .fetch(pool);
            while let Some(row) = versions.try_next().await? {
                state.regime_versions.insert(
                    (row.regime, row.version),
                    (
                        row.status,
                        row.effective_from,
                        baocao_domain::signature::digest_hex(&row.content),
                    ),
                );
            }
        });
        Ok(state)
    }
}
