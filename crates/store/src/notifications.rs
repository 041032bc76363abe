//! Notifications: reminders of reports due soon or overdue, one per user, report and kind
//! (a unique key, so the reminder job is idempotent across runs and restarts); and the steps
//! of a report's workflow (submitted, returned with the reason, accepted), one per user,
//! report, kind and occurrence, written in the step's own transaction.

use baocao_domain::audit::Provenance;
use serde::Serialize;

use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

/// A reminder to write.
pub struct NewNotification<'a> {
    pub username: &'a str,
    pub regime: &'a str,
    pub agency: &'a str,
    pub period: &'a str,
    /// `due_soon` or `overdue`.
    pub kind: &'a str,
    pub deadline: &'a str,
}

/// A step of a report's workflow, told to the people it concerns.
pub struct WorkflowNotice<'a> {
    pub regime: &'a str,
    pub agency: &'a str,
    pub period: &'a str,
    /// `report_submitted`, `report_returned`, `report_accepted` or `report_reopened`.
    pub kind: &'a str,
    /// Which step of the report this is (its lock version after it): a report returned twice
    /// is told twice.
    pub occurrence: i32,
    /// The reason of a return or a reopening.
    pub detail: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationRecord {
    pub id: i32,
    pub regime: String,
    pub agency: String,
    pub period: String,
    pub kind: String,
    /// The report's deadline (reminders; empty for a workflow step).
    pub deadline: String,
    /// Why a report was returned or reopened.
    pub detail: Option<String>,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A notification waiting to go out by email.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingEmail {
    pub id: i32,
    pub email: String,
    pub full_name: String,
    pub regime: String,
    pub agency: String,
    pub period: String,
    pub kind: String,
    pub deadline: String,
    pub detail: Option<String>,
}

/// Tells the holders of two roles on an agency of a workflow step: `$1` the agency, `$2`…`$8`
/// the notice, `$9` and `$10` the roles.
const NOTIFY_HOLDERS: &str = "
    INSERT INTO notifications (user_id, regime, agency, period, kind, deadline, created_at, occurrence, detail)
    SELECT DISTINCT u.id, $2, $3, $4, $5, '', $6, $7, $8
    FROM users u
    JOIN role_grants g ON g.user_id = u.id
    JOIN agencies a ON a.id = g.agency_id
    WHERE a.code = $1 AND u.active AND (g.role = $9 OR g.role = $10)
    ON CONFLICT (user_id, regime, agency, period, kind, occurrence) DO NOTHING";

impl crate::transaction::Transaction {
    /// Tells every active user holding one of `roles` on `agency` itself of a workflow step;
    /// answers how many were told.
    pub async fn notify_holders(
        &mut self,
        agency: &str,
        roles: [&str; 2],
        notice: &WorkflowNotice<'_>,
        now: &str,
    ) -> Result<u64, StoreError> {
        Ok(on_tx!(self, conn => sqlx::query(NOTIFY_HOLDERS)
            .bind(agency)
            .bind(notice.regime)
            .bind(notice.agency)
            .bind(notice.period)
            .bind(notice.kind)
            .bind(now)
            .bind(notice.occurrence)
            .bind(notice.detail)
            .bind(roles[0])
            .bind(roles[1])
            .execute(conn)
            .await?
            .rows_affected()))
    }

    /// [`notify_holders`](Self::notify_holders) when nobody needs the count: on SQLite it runs
    /// with the commit, in the same hand-off as the change's audit events.
    pub async fn tell_holders(
        &mut self,
        agency: &str,
        roles: [&str; 2],
        notice: &WorkflowNotice<'_>,
        now: &str,
    ) -> Result<(), StoreError> {
        let crate::transaction::Tx::Sqlite(lease) = &mut self.tx else {
            self.notify_holders(agency, roles, notice, now).await?;
            return Ok(());
        };
        lease.defer(NOTIFY_HOLDERS, |args| {
            args.add(agency.to_string())
                .add(notice.regime.to_string())
                .add(notice.agency.to_string())
                .add(notice.period.to_string())
                .add(notice.kind.to_string())
                .add(now.to_string())
                .add(notice.occurrence)
                .add(notice.detail.map(str::to_string))
                .add(roles[0].to_string())
                .add(roles[1].to_string());
        });
        Ok(())
    }
}

impl Store {
    /// Notifications created since `since` whose user has an address and that have not gone
    /// out by email yet, oldest first.
    pub async fn pending_emails(
        &self,
        since: &str,
        limit: i64,
    ) -> Result<Vec<PendingEmail>, StoreError> {
        const SQL: &str = "
            SELECT n.id, u.email, u.full_name, n.regime, n.agency, n.period, n.kind, n.deadline, n.detail
            FROM notifications n JOIN users u ON u.id = n.user_id
            WHERE n.emailed_at IS NULL AND n.created_at >= $1
              AND u.email IS NOT NULL AND u.email <> '' AND u.active AND u.email_notifications
            ORDER BY n.created_at, n.id
            LIMIT $2";
        Ok(on_db!(self, pool => sqlx::query_as(SQL).bind(since).bind(limit).fetch_all(pool).await?))
    }

    /// Whether `username`'s notifications also go out by e-mail (`None`: no such user).
    pub async fn email_choice(&self, username: &str) -> Result<Option<bool>, StoreError> {
        const SQL: &str = "SELECT email_notifications FROM users WHERE username = $1";
        Ok(on_db!(self, pool => sqlx::query_scalar(SQL).bind(username).fetch_optional(pool).await?))
    }

    /// Sets whether `username`'s notifications also go out by e-mail, in the audit trail;
    /// answers whether the user exists.
    pub async fn set_email_choice(
        &self,
        username: &str,
        email: bool,
        audit: &Provenance,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE users SET email_notifications = $2 WHERE username = $1";
        let mut tx = self.begin(audit).await?;
        let done = on_tx!(tx, conn => sqlx::query(SQL)
            .bind(username)
            .bind(email)
            .execute(conn)
            .await?
            .rows_affected());
        if done > 0 {
            tx.note(
                "user.email_choice",
                format!("user {username}"),
                None,
                serde_json::json!({ "user": username, "email_notifications": email }),
            );
        }
        tx.commit().await?;
        Ok(done > 0)
    }

    /// Records that a notification went out by email.
    pub async fn mark_emailed(&self, id: i32, now: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE notifications SET emailed_at = $2 WHERE id = $1";
        on_db!(self, pool => sqlx::query(SQL)
            .bind(id)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// Writes the notification unless the user already has it; answers whether it is new.
    pub async fn notify(&self, new: &NewNotification<'_>, now: &str) -> Result<bool, StoreError> {
        const SQL: &str = "
            INSERT INTO notifications (user_id, regime, agency, period, kind, deadline, created_at)
            SELECT id, $2, $3, $4, $5, $6, $7 FROM users WHERE username = $1
            ON CONFLICT (user_id, regime, agency, period, kind, occurrence) DO NOTHING";
        let done = on_db!(self, pool => sqlx::query(SQL)
            .bind(new.username)
            .bind(new.regime)
            .bind(new.agency)
            .bind(new.period)
            .bind(new.kind)
            .bind(new.deadline)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// A user's notifications, newest first.
    pub async fn notifications_of(
        &self,
        username: &str,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        const SQL: &str = "
            SELECT n.id, n.regime, n.agency, n.period, n.kind, n.deadline, n.detail, n.created_at, n.read_at
            FROM notifications n JOIN users u ON u.id = n.user_id
            WHERE u.username = $1
            ORDER BY n.created_at DESC, n.id DESC";
        Ok(on_db!(self, pool => sqlx::query_as(SQL).bind(username).fetch_all(pool).await?))
    }

    /// Marks one of the user's notifications read; answers whether it was theirs.
    pub async fn mark_read(&self, username: &str, id: i32, now: &str) -> Result<bool, StoreError> {
        const SQL: &str = "
            UPDATE notifications SET read_at = COALESCE(read_at, $3)
            WHERE id = $2 AND user_id = (SELECT id FROM users WHERE username = $1)";
        let done = on_db!(self, pool => sqlx::query(SQL)
            .bind(username)
            .bind(id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }
}
