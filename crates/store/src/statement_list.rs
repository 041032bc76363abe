//! Several SQLite statements sent to the connection's thread as one query.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement to it
//! and every answer back. In the deadline hour those hand-offs, not SQLite, were what a write
//! cost (issue 18: ~110 context switches per report on 2 cores), and inside the shared write
//! batch ([`crate::group_commit`]) they are paid one member at a time. A [`StatementList`]
//! joins a member's statements into one query — SQLite runs them in order, stopping at the
//! first that fails — so a member's turn is one or two hand-offs, not one per statement.
//!
//! Each statement is the same SQL text the PostgreSQL path runs, its `$n` parameters
//! renumbered after those of the statements before it.

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Encode, Sqlite, SqliteConnection, Type};

use crate::StoreError;

/// Parameters of one query at most: under SQLite's default bound (32,766; a build may set less).
const MOST_PARAMETERS: usize = 30_000;

/// Statements and their arguments, to run as one query — or as several, in order, when
/// their parameters would number past SQLite's bound (a push's thousands of audit events).
#[derive(Default)]
pub(crate) struct StatementList {
    /// The queries before the last, full.
    full: Vec<(String, SqliteArguments<'static>)>,
    sql: String,
    args: SqliteArguments<'static>,
    /// The first argument that could not be encoded.
    refused: Option<String>,
    statements: usize,
}

/// Statements of a list whose query sqlx keeps prepared: lists of a member's few writes
/// recur; a push's thousands of statements would fill the connection's statement cache.
const MOST_KEPT: usize = 16;

/// The arguments of one statement, `$1` first.
pub(crate) struct Binder<'a>(&'a mut StatementList);

impl Binder<'_> {
    pub(crate) fn add<T>(&mut self, value: T) -> &mut Self
    where
        T: Encode<'static, Sqlite> + Type<Sqlite> + 'static,
    {
        if let Err(error) = self.0.args.add(value)
            && self.0.refused.is_none()
        {
            self.0.refused = Some(error.to_string());
        }
        self
    }
}

impl StatementList {
    pub(crate) fn is_empty(&self) -> bool {
        self.full.is_empty() && self.sql.is_empty()
    }

    /// Appends a statement without parameters.
    pub(crate) fn push_plain(&mut self, sql: &str) {
        self.statements += 1;
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
    }

    /// Appends `sql`, whose `$1…$n` are the values `bind` adds.
    pub(crate) fn push(&mut self, sql: &str, bind: impl FnOnce(&mut Binder<'_>)) {
        if self.args.len() + sql.matches('$').count() > MOST_PARAMETERS {
            let sql = std::mem::take(&mut self.sql);
            let args = std::mem::take(&mut self.args);
            self.full.push((sql, args));
        }
        self.statements += 1;
        let offset = self.args.len();
        self.sql.push_str(&renumbered(sql, offset));
        self.sql.push_str(";\n");
        bind(&mut Binder(self));
    }

    /// Whether every argument was encoded: a list that was not is refused before anything of
    /// it is sent.
    pub(crate) fn encoded(&self) -> Result<(), StoreError> {
        match &self.refused {
            Some(reason) => Err(StoreError::Database(sqlx::Error::Encode(
                reason.clone().into(),
            ))),
            None => Ok(()),
        }
    }

    /// Puts a statement without parameters before the others (the numbering is unchanged).
    pub(crate) fn prepend_plain(&mut self, sql: &str) {
        let first = match self.full.first_mut() {
            Some((first, _)) => first,
            None => &mut self.sql,
        };
        first.insert_str(0, &format!("{sql};\n"));
        self.statements += 1;
    }

    /// The queries, in order, and whether sqlx should keep them prepared.
    fn queries(self) -> Result<(Vec<(String, SqliteArguments<'static>)>, bool), StoreError> {
        self.encoded()?;
        let mut queries = self.full;
        if !self.sql.is_empty() {
            queries.push((self.sql, self.args));
        }
        Ok((queries, self.statements <= MOST_KEPT))
    }

    /// Runs every statement, in order.
    pub(crate) async fn execute(self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        let (queries, keep) = self.queries()?;
        for (sql, args) in queries {
            sqlx::query_with(&sql, args)
                .persistent(keep)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Runs every statement, in order; answers every row they answer, in order.
    pub(crate) async fn fetch_all(
        self,
        conn: &mut SqliteConnection,
    ) -> Result<Vec<SqliteRow>, StoreError> {
        let (queries, keep) = self.queries()?;
        let mut rows = Vec::new();
        for (sql, args) in queries {
            rows.extend(
                sqlx::query_with(&sql, args)
                    .persistent(keep)
                    .fetch_all(&mut *conn)
                    .await?,
            );
        }
        Ok(rows)
    }

    /// Runs the statements up to the first row any of them answers (put the one whose row
    /// is wanted last), and answers that row.
    pub(crate) async fn fetch_optional(
        self,
        conn: &mut SqliteConnection,
    ) -> Result<Option<SqliteRow>, StoreError> {
        let (queries, keep) = self.queries()?;
        for (sql, args) in queries {
            if let Some(row) = sqlx::query_with(&sql, args)
                .persistent(keep)
                .fetch_optional(&mut *conn)
                .await?
            {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

/// `sql` with each `$n` parameter made `$(n + offset)`.
fn renumbered(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some((_, d)) = chars.next_if(|(_, d)| d.is_ascii_digit()) {
            digits.push(d);
        }
        match digits.parse::<usize>() {
            Ok(number) => out.push_str(&(number + offset).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// Thousands of statements (a push's audit events) run as several queries, each under
    /// SQLite's bound on parameters, in order.
    #[tokio::test]
    async fn a_long_list_runs_whole_and_in_order() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT, e TEXT, f TEXT, g TEXT, h TEXT, i TEXT, j TEXT, k TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        let mut list = StatementList::default();
        for n in 0..5_000i64 {
            list.push(
                "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                |args| {
                    args.add(n);
                    for column in 0..11 {
                        args.add(format!("{n}/{column}"));
                    }
                },
            );
        }
        list.push_plain("UPDATE t SET a = 'last' WHERE n = 4999");
        assert!(!list.full.is_empty(), "the list is split");
        list.execute(&mut conn).await.unwrap();
        let (count, last): (i64, String) =
            sqlx::query_as("SELECT COUNT(*), (SELECT a FROM t WHERE n = 4999) FROM t")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!((count, last.as_str()), (5_000, "last"));
        let k: String = sqlx::query_scalar("SELECT k FROM t WHERE n = 1234")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(k, "1234/10");
    }

    #[test]
    fn parameters_are_numbered_after_the_statements_before() {
        assert_eq!(renumbered("SELECT $1, $2, $10", 0), "SELECT $1, $2, $10");
        assert_eq!(renumbered("SELECT $1, $2, $10", 3), "SELECT $4, $5, $13");
        assert_eq!(renumbered("VALUES ($2, $1)", 7), "VALUES ($9, $8)");
        assert_eq!(renumbered("SELECT '$'", 2), "SELECT '$'");
    }
}
