//! SQLite's one writer, with group commit.
//!
//! SQLite admits one writer at a time. Every write of this process runs on one connection
//! (which then keeps its page cache: another writer would void it), owned by a thread of its
//! own. Callers queue their work and wait for its result; the thread takes what is queued, runs
//! each piece in a savepoint of its own, all in one `BEGIN IMMEDIATE` transaction, commits once
//! and hands every caller its result. Under load one commit (its WAL writes and sync, its lock
//! hand-off) serves many bookings; a piece that fails is rolled back to its savepoint and does
//! not touch the others. Callers never contend for the connection: an async caller awaits its
//! result without holding a thread, a blocking caller sleeps on its own channel.

use std::panic::{AssertUnwindSafe, catch_unwind};
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
}

impl SqliteWriter {
    /// Starts the writer's thread on `conn`; it ends when the last handle is dropped.
    pub(super) fn start(url: &str, conn: DbConnection) -> Result<SqliteWriter, DbError> {
        let (queue, jobs) = channel();
        let url = url.to_string();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_until_closed(&url, conn, jobs))
            .map_err(|e| DbError::WriteBatch(format!("cannot start the SQLite writer: {e}")))?;
        Ok(SqliteWriter { queue })
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
/// the writer is gone.
fn write_until_closed(url: &str, mut conn: DbConnection, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        run_batch(url, &mut conn, batch);
    }
}

fn run_batch(url: &str, conn: &mut DbConnection, batch: Vec<Job>) {
    crate::metrics::metrics()
        .writer_batch
        .observe(batch.len() as f64);
    if let DbConnection::Sqlite(inner) = &mut *conn
        && AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE").is_err()
    {
        // No batch today (another process holds the lock past the busy timeout): each
        // piece opens its own transaction and reports its own error.
        for job in batch {
            if let Ok((_, deliver)) = catch_unwind(AssertUnwindSafe(|| job(conn))) {
                deliver(Ok(()));
            }
        }
        return;
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
                    restart(url, conn, delivered);
                    return;
                }
            }
        }
    }
    let committed = Manager::commit_transaction(conn).map_err(DbError::Query);
    if committed.is_err() {
        let _ = Manager::rollback_transaction(conn);
    }
    for deliver in delivered {
        deliver(committed.as_ref().map(|_| ()).map_err(clone_error));
    }
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
