//! Group commit on SQLite: the writes of concurrent requests share one transaction.
//!
//! SQLite has one writer. A transaction per request made the write lock the deadline hour's
//! queue: each one paid for taking the lock, `BEGIN`, reading the audit chain's tail and
//! `COMMIT` — hand-offs to the connection's thread that wait behind every other request on a
//! busy machine. Here the first writer opens a *batch* (`BEGIN IMMEDIATE`); whoever asks to
//! write while it is open joins it under a savepoint of its own, does its work, appends its
//! audit events after the batch's last (the tail is kept, not read again) and releases the
//! savepoint. The batch commits when nobody else is waiting to join, or when it is
//! [`MOST_MEMBERS`] strong or [`LONGEST_OPEN`] old; then every member hears the outcome.
//!
//! Guarantees kept:
//! - **acknowledged means committed**: a member's `commit` returns only after the batch's
//!   `COMMIT` did; if that fails, every member of the batch gets the error (none of them was
//!   acknowledged);
//! - **a failure is one member's**: a member that fails or is dropped is rolled back to its
//!   savepoint; the others' work stays in the batch;
//! - **order**: members run one at a time, in the order they joined, each seeing the work of
//!   those before it (the optimistic lock still refuses a stale version);
//! - **no member is stranded**: a member waiting for its batch's outcome commits the batch
//!   itself if nobody else did within [`ORPHAN_CHECK`] (whoever was to join gave up).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use baocao_domain::audit::Record;
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::StoreError;
use crate::statement_list::{Binder, StatementList};

/// Members of one batch at most.
pub(crate) const MOST_MEMBERS: usize = 64;
/// How long a batch stays open for more members at most.
pub(crate) const LONGEST_OPEN: Duration = Duration::from_millis(20);
/// How long a member waits for its batch's outcome before committing it itself.
const ORPHAN_CHECK: Duration = Duration::from_millis(50);

/// What a member hears of its batch: committed, or why not.
type Outcome = Result<(), String>;

struct Batch {
    tx: sqlx::Transaction<'static, Sqlite>,
    number: u64,
    opened: Instant,
    /// The members whose work is in the batch, each waiting for the outcome.
    members: Vec<oneshot::Sender<Outcome>>,
    /// The audit chain's tail as the batch left it (`None`: read it).
    tail: Option<(i64, String)>,
}

/// The store's one open batch and who waits to join it.
#[derive(Default)]
pub(crate) struct GroupCommit {
    open: Arc<Mutex<Option<Batch>>>,
    /// Writers waiting for their turn in the batch.
    waiting: AtomicUsize,
    batches: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish()
    }
}

/// Counts a writer as waiting until it has its turn (or gives up).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A member's turn in the open batch: the batch's connection while the member works.
pub(crate) struct Lease {
    /// `None` once the member has left (committed or rolled back).
    guard: Option<OwnedMutexGuard<Option<Batch>>>,
    group: Arc<GroupCommit>,
    savepoint: Savepoint,
    /// Statements whose answer nobody waits for, run at the member's commit.
    deferred: StatementList,
}

/// Where a member's work starts in the batch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    /// The member opened the batch: its work is the whole transaction so far (nobody joined
    /// before it), undone by rolling the batch back.
    Opener,
    /// A joiner that has run nothing yet: nothing of it is in the batch.
    Pending,
    /// A joiner whose work is under `SAVEPOINT member`.
    Made,
}

impl GroupCommit {
    /// Writers waiting for their turn now.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Counts the caller as a writer waiting for its turn until the guard is dropped (on
    /// PostgreSQL, a write turn; the batch itself is SQLite's).
    pub(crate) fn wait_turn(&self) -> impl Drop + '_ {
        Waiting::new(&self.waiting)
    }

    /// Joins the open batch, or opens one.
    pub(crate) async fn join(self: &Arc<Self>, pool: &SqlitePool) -> Result<Lease, StoreError> {
        let waiting = Waiting::new(&self.waiting);
        let mut guard = self.open.clone().lock_owned().await;
        drop(waiting);
        let savepoint = if guard.is_none() {
            let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            *guard = Some(Batch {
                tx,
                number: self.batches.fetch_add(1, Ordering::Relaxed) + 1,
                opened: Instant::now(),
                members: Vec::new(),
                tail: None,
            });
            Savepoint::Opener
        } else {
            // Made with the member's first statement, in the same hand-off.
            Savepoint::Pending
        };
        Ok(Lease {
            guard: Some(guard),
            group: self.clone(),
            savepoint,
            deferred: StatementList::default(),
        })
    }
}

impl std::ops::Deref for Lease {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        let batch = self.guard.as_ref().and_then(|guard| guard.as_ref());
        &batch.expect("a lease holds the open batch").tx
    }
}

impl std::ops::DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.batch().tx
    }
}

impl Lease {
    fn batch(&mut self) -> &mut Batch {
        let batch = self.guard.as_mut().and_then(|guard| guard.as_mut());
        batch.expect("a lease holds the open batch")
    }

    /// Makes the member's savepoint if it is not made yet: before a statement sent through
    /// sqlx.
    pub(crate) async fn ready(&mut self) -> Result<(), StoreError> {
        if self.savepoint == Savepoint::Pending {
            sqlx::query("SAVEPOINT member")
                .execute(&mut *self.batch().tx)
                .await?;
            self.savepoint = Savepoint::Made;
        }
        Ok(())
    }

    /// Runs `list` now, in one hand-off with the member's savepoint if it is not made yet;
    /// answers the first row a statement of it answers.
    pub(crate) async fn fetch_optional(
        &mut self,
        mut list: StatementList,
    ) -> Result<Option<SqliteRow>, StoreError> {
        self.savepoint_first(&mut list)?;
        list.fetch_optional(&mut self.batch().tx).await
    }

    /// Runs `list` now, in one hand-off with the member's savepoint if it is not made yet;
    /// answers every row its statements answer, in order.
    pub(crate) async fn fetch_all(
        &mut self,
        mut list: StatementList,
    ) -> Result<Vec<SqliteRow>, StoreError> {
        self.savepoint_first(&mut list)?;
        list.fetch_all(&mut self.batch().tx).await
    }

    /// Puts the member's savepoint before `list` if it is not made yet. A list that cannot be
    /// sent is refused first (the member stays without a savepoint, nothing of it in the
    /// batch); once sent, the savepoint counts as made: if the query failed before it, undoing
    /// the member fails and the whole batch is abandoned, none of it acknowledged.
    fn savepoint_first(&mut self, list: &mut StatementList) -> Result<(), StoreError> {
        list.encoded()?;
        if self.savepoint == Savepoint::Pending {
            list.prepend_plain("SAVEPOINT member");
            self.savepoint = Savepoint::Made;
        }
        Ok(())
    }

    /// Adds statements to run at the member's commit, in the same hand-off as its audit
    /// events: writes whose answer the member does not need. A failure there fails the
    /// member.
    pub(crate) fn defer(&mut self, sql: &str, bind: impl FnOnce(&mut Binder<'_>)) {
        self.deferred.push(sql, bind);
    }

    /// Runs the member's deferred statements, appends its audit events, keeps its work in
    /// the batch and waits until the batch is committed.
    pub(crate) async fn commit(mut self, records: Vec<Record>) -> Result<(), StoreError> {
        let (told, outcome) = oneshot::channel();
        let mut list = std::mem::take(&mut self.deferred);
        // Taken out: if the member fails, it is rolled back and the tail read again by the
        // next one.
        let known = self.batch().tail.take();
        let tail = if records.is_empty() {
            known
        } else {
            let head = match known {
                Some(head) => head,
                None => crate::audit::read_tail(&mut self.batch().tx).await?,
            };
            Some(crate::audit::append_to_list(&mut list, head, records))
        };
        if !list.is_empty() {
            self.savepoint_first(&mut list)?;
        }
        if self.savepoint == Savepoint::Made {
            list.push_plain("RELEASE member");
        }
        list.execute(&mut self.batch().tx).await?;
        let batch = self.batch();
        batch.tail = tail;
        batch.members.push(told);
        let number = batch.number;
        let mut guard = self.guard.take().expect("the member has not left yet");
        let full = guard.as_ref().is_some_and(|batch| {
            batch.members.len() >= MOST_MEMBERS || batch.opened.elapsed() >= LONGEST_OPEN
        });
        if full {
            settle(&mut guard).await;
        } else {
            settle_if_idle(&self.group, &mut guard).await;
        }
        drop(guard);
        wait_for(&self.group, outcome, number).await
    }

    /// Undoes the member's work; the batch's other members keep theirs.
    pub(crate) async fn rollback(mut self) -> Result<(), StoreError> {
        if let Some(guard) = self.guard.take() {
            abandon(guard, self.group.clone(), self.savepoint).await;
        }
        Ok(())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            // The rollback needs the connection: done on the runtime, holding the batch.
            Ok(runtime) => {
                runtime.spawn(abandon(guard, self.group.clone(), self.savepoint));
            }
            // No runtime (shutting down): the batch is dropped, its transaction rolled back
            // by the driver, and its members told nothing was committed.
            Err(_) => *guard = None,
        }
    }
}

/// Rolls a member back (to its savepoint, or the whole batch if it opened it) and commits
/// what the others did if nobody else is coming.
async fn abandon(
    mut guard: OwnedMutexGuard<Option<Batch>>,
    group: Arc<GroupCommit>,
    savepoint: Savepoint,
) {
    match savepoint {
        Savepoint::Opener => {
            // Nobody joined before the opener: the batch is its work alone.
            if let Some(batch) = guard.take() {
                let _ = batch.tx.rollback().await;
            }
            return;
        }
        Savepoint::Pending => {
            // Nothing of this member is in the batch: the others' work stays.
            settle_if_idle(&group, &mut guard).await;
            return;
        }
        Savepoint::Made => {}
    }
    let Some(batch) = guard.as_mut() else {
        return;
    };
    batch.tail = None;
    let undone = async {
        sqlx::query("ROLLBACK TO member")
            .execute(&mut *batch.tx)
            .await?;
        sqlx::query("RELEASE member").execute(&mut *batch.tx).await
    }
    .await;
    if let Err(error) = undone {
        // The batch's state is unknown: none of it is committed, every member is told.
        tracing::error!(%error, "a batch member could not be rolled back; the batch is abandoned");
        if let Some(batch) = guard.take() {
            let _ = batch.tx.rollback().await;
            for member in batch.members {
                let _ = member.send(Err(format!("the shared transaction failed: {error}")));
            }
        }
        return;
    }
    settle_if_idle(&group, &mut guard).await;
}

/// Commits the batch unless a writer is waiting to join it (that one will).
async fn settle_if_idle(group: &GroupCommit, guard: &mut Option<Batch>) {
    if group.waiting.load(Ordering::SeqCst) == 0 {
        settle(guard).await;
    }
}

/// Commits the batch and tells every member.
async fn settle(guard: &mut Option<Batch>) {
    let Some(batch) = guard.take() else {
        return;
    };
    let outcome = batch.tx.commit().await.map_err(|error| error.to_string());
    for member in batch.members {
        let _ = member.send(outcome.clone());
    }
}

/// Waits for the outcome of batch `number`; commits it if it is still open after a while
/// (the writer expected to join gave up).
async fn wait_for(
    group: &GroupCommit,
    mut outcome: oneshot::Receiver<Outcome>,
    number: u64,
) -> Result<(), StoreError> {
    loop {
        match tokio::time::timeout(ORPHAN_CHECK, &mut outcome).await {
            Ok(Ok(Ok(()))) => return Ok(()),
            Ok(Ok(Err(reason))) => return Err(StoreError::NotCommitted(reason)),
            Ok(Err(_)) => {
                return Err(StoreError::NotCommitted(
                    "the shared transaction was dropped".into(),
                ));
            }
            Err(_) => {
                let mut guard = group.open.clone().lock_owned().await;
                if guard.as_ref().is_some_and(|batch| batch.number == number) {
                    settle(&mut guard).await;
                }
            }
        }
    }
}
