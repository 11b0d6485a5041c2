//! SQLite's one writer, with group commit.
//!
//! SQLite admits one writer at a time. Every write of this process runs on one connection
//! (which then keeps its page cache: another writer would void it), owned by a thread of its
//! own. Callers queue their work and wait for its result; the thread takes what is queued, runs
//! each piece in a savepoint of its own, all in one `BEGIN IMMEDIATE` transaction, commits once
//! and hands every caller its result. Under load one commit (its WAL writes, its lock hand-off)
//! serves many bookings; a piece that fails is rolled back to its savepoint and does not touch
//! the others. Callers never contend for the connection: an async caller awaits its result
//! without holding a thread, a blocking caller sleeps on its own channel.
//!
//! Durable by default: a write is acknowledged once the write-ahead log holding its commit is
//! synced to disk, so it survives a power cut. The sync is a thread of its own (the writer's
//! connection runs `synchronous = NORMAL`, which writes the log at commit without syncing it):
//! while one sync runs, the writer goes on with the next batches, and the next sync covers all
//! of them. This is `synchronous = FULL`'s guarantee (SQLite's developers name syncing the log
//! as the way to make earlier commits durable) without stopping the writer at every sync.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};

use super::connection::{DbConnection, DbError};

type Manager = <DbConnection as Connection>::TransactionManager;

/// Delivers a piece's result once the batch's commit is known.
type Deliver = Box<dyn FnOnce(Result<(), DbError>) + Send>;

/// A queued piece of write work: runs on the writer and says whether it succeeded.
type Job = Box<dyn FnOnce(&mut DbConnection) -> (bool, Deliver) + Send>;

/// Most pieces one transaction takes, so no caller waits behind an unbounded batch.
const MAX_BATCH: usize = 64;

/// What a caller is told when its piece panicked (the panic itself is logged by the hook).
const PANICKED: &str = "a write on the SQLite writer panicked";

pub(super) struct SqliteWriter {
    queue: Sender<Job>,
    /// Syncs of the write-ahead log done so far.
    syncs: Arc<AtomicU64>,
}

/// When the writer acknowledges a write.
pub(super) enum Durability {
    /// Once the write-ahead log at this path is synced after its commit.
    Synced { wal: PathBuf },
    /// At its commit (the log is synced before checkpoints only): the last commits before a
    /// power cut may be lost, never consistency.
    AtCommit,
}

/// Deliveries of committed batches, waiting for the sync that makes them durable.
type Committed = Vec<Deliver>;

impl SqliteWriter {
    /// Starts the writer's thread on `conn` (and, for `Synced`, the thread that syncs its log);
    /// both end when the last handle is dropped.
    pub(super) fn start(
        url: &str,
        conn: DbConnection,
        durability: Durability,
    ) -> Result<SqliteWriter, DbError> {
        let cannot_start =
            |e: std::io::Error| DbError::WriteBatch(format!("cannot start the SQLite writer: {e}"));
        let (queue, jobs) = channel();
        let syncs = Arc::new(AtomicU64::new(0));
        let sync_queue = match durability {
            Durability::Synced { wal } => {
                let (committed, batches) = channel::<Committed>();
                let syncs = syncs.clone();
                std::thread::Builder::new()
                    .name("sqlite-wal-sync".into())
                    .spawn(move || sync_until_closed(&wal, batches, &syncs))
                    .map_err(cannot_start)?;
                Some(committed)
            }
            Durability::AtCommit => None,
        };
        let url = url.to_string();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_until_closed(&url, conn, jobs, sync_queue))
            .map_err(cannot_start)?;
        Ok(SqliteWriter { queue, syncs })
    }

    /// How many times the write-ahead log was synced.
    pub(super) fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Acquire)
    }

    /// Queues `work`; `reply` gets its result once its batch is committed or rolled back, and
    /// is dropped unanswered if the work panicked.
    fn submit<T, E, F, R>(&self, work: F, reply: R)
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        R: FnOnce(Result<T, E>) + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            let result = work(conn);
            let succeeded = result.is_ok();
            let deliver: Deliver = Box::new(move |committed| {
                reply(match (result, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(E::from(e)),
                    (Err(e), _) => Err(e),
                })
            });
            (succeeded, deliver)
        });
        // The thread outlives every handle on the writer, so the queue is open while `self`
        // is; were it not, the dropped reply tells the caller.
        let _ = self.queue.send(job);
    }

    /// Runs `work` inside a batch's transaction and waits, blocking this thread, for the result.
    pub(super) fn run_blocking<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let (sender, receiver) = sync_channel(1);
        self.submit(work, move |result| {
            let _ = sender.send(result);
        });
        receiver.recv().unwrap_or_else(|_| panic!("{PANICKED}"))
    }

    /// Runs `work` inside a batch's transaction; awaits the result without holding a thread.
    pub(super) async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.submit(work, move |result| {
            let _ = sender.send(result);
        });
        receiver.await.unwrap_or_else(|_| panic!("{PANICKED}"))
    }
}

/// The writer's thread: a batch of whatever is queued, again and again, until every handle on
/// the writer is gone. A committed batch's callers are told by the sync thread, if there is
/// one, once its log is synced; the others at once.
fn write_until_closed(
    url: &str,
    mut conn: DbConnection,
    jobs: Receiver<Job>,
    sync_queue: Option<Sender<Committed>>,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        let (committed, delivered) = run_batch(url, &mut conn, batch);
        match (&sync_queue, committed) {
            (Some(sync), Ok(())) => {
                // The sync thread outlives this one; were it gone, the callers learn of it.
                let _ = sync.send(delivered);
            }
            (_, committed) => {
                for deliver in delivered {
                    deliver(committed.as_ref().map(|_| ()).map_err(clone_error));
                }
            }
        }
    }
}

/// The sync thread: syncs the log after each batch committed, one sync for all the batches
/// committed while the previous one ran, then tells their callers.
fn sync_until_closed(wal: &std::path::Path, batches: Receiver<Committed>, syncs: &AtomicU64) {
    while let Ok(first) = batches.recv() {
        let mut waiting = first;
        for more in batches.try_iter() {
            waiting.extend(more);
        }
        // Opened anew each time: the log is the file at this path now (SQLite writes it through
        // its own descriptor; a sync covers every write made to the file before it).
        let synced = match std::fs::File::open(wal) {
            Ok(log) => log.sync_data(),
            // No log: no commit is waiting in one.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = synced {
            // After a failed sync the kernel may have dropped the written pages: the commits of
            // these callers may be lost, and carrying on could lose more. Stop, as PostgreSQL
            // does, and let the service be restarted (SQLite recovers from the log).
            tracing::error!(error = %e, wal = %wal.display(), "syncing the SQLite log failed");
            std::process::abort();
        }
        syncs.fetch_add(1, Ordering::Release);
        for deliver in waiting {
            deliver(Ok(()));
        }
    }
}

/// Runs one batch; returns whether it committed, and its callers' deliveries (each holding its
/// own outcome, to be told whether its batch committed).
fn run_batch(
    url: &str,
    conn: &mut DbConnection,
    batch: Vec<Job>,
) -> (Result<(), DbError>, Vec<Deliver>) {
    crate::metrics::metrics()
        .writer_batch
        .observe(batch.len() as f64);
    if let DbConnection::Sqlite(inner) = &mut *conn
        && AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE").is_err()
    {
        // No batch today (another process holds the lock past the busy timeout): each
        // piece opens its own transaction and reports its own error.
        let mut delivered = Vec::with_capacity(batch.len());
        for job in batch {
            if let Ok((_, deliver)) = catch_unwind(AssertUnwindSafe(|| job(conn))) {
                delivered.push(deliver);
            }
        }
        return (Ok(()), delivered);
    }
    let mut delivered = Vec::with_capacity(batch.len());
    for job in batch {
        if Manager::begin_transaction(conn).is_err() {
            // A savepoint that cannot be taken: run the piece bare and let it report.
            if let Ok((_, deliver)) = catch_unwind(AssertUnwindSafe(|| job(conn))) {
                delivered.push(deliver);
            }
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok((true, deliver)) => match Manager::commit_transaction(conn) {
                Ok(()) => delivered.push(deliver),
                // Its savepoint could not be released: undo it and report the failure.
                Err(e) => {
                    let _ = Manager::rollback_transaction(conn);
                    delivered.push(Box::new(move |_| deliver(Err(DbError::Query(e)))));
                }
            },
            Ok((false, deliver)) => {
                let _ = Manager::rollback_transaction(conn);
                delivered.push(deliver);
            }
            // Its caller learns of the panic from the dropped reply; undo what it began.
            Err(_) => {
                if !unwind_to_batch(conn) {
                    // Every piece run so far is told by `restart`.
                    let restarted = DbError::WriteBatch("the batch was rolled back".into());
                    restart(url, conn, delivered);
                    return (Err(restarted), Vec::new());
                }
            }
        }
    }
    let committed = Manager::commit_transaction(conn).map_err(DbError::Query);
    if committed.is_err() {
        let _ = Manager::rollback_transaction(conn);
    }
    (committed, delivered)
}

/// Gives up the batch after a failure inside it: every piece run so far is told it failed,
/// and the connection is opened anew.
fn restart(url: &str, conn: &mut DbConnection, delivered: Vec<Deliver>) {
    let _ = Manager::rollback_transaction(conn);
    if let Ok(fresh) = super::connection::open_writer(url) {
        *conn = fresh;
    }
    for deliver in delivered {
        deliver(Err(DbError::WriteBatch(
            "a write in its batch panicked and the batch was rolled back".into(),
        )));
    }
}

/// Rolls back the savepoints a panicked piece left open, down to the batch's transaction.
fn unwind_to_batch(conn: &mut DbConnection) -> bool {
    loop {
        match Manager::transaction_manager_status_mut(conn).transaction_depth() {
            Ok(Some(depth)) if depth.get() > 1 => {
                if Manager::rollback_transaction(conn).is_err() {
                    return false;
                }
            }
            Ok(Some(_)) => return true,
            _ => return false,
        }
    }
}

fn clone_error(error: &DbError) -> DbError {
    DbError::WriteBatch(format!("the batch's commit failed: {error}"))
}
