//! SQLite's one writer, with group commit.
//!
//! SQLite admits one writer at a time. Every write of this process runs on one connection
//! (which then keeps its page cache: another writer would void it). Callers queue their work;
//! whoever holds the connection runs what is queued, each piece in a savepoint of its own, in
//! one `BEGIN IMMEDIATE` transaction, commits once and hands every caller its result. Under
//! load one commit (its WAL writes, its lock hand-off) serves many bookings; a piece that fails
//! is rolled back to its savepoint and does not touch the others.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{TryRecvError, sync_channel};
use std::sync::{Mutex, MutexGuard, PoisonError};

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};

use super::connection::{DbConnection, DbError};

type Manager = <DbConnection as Connection>::TransactionManager;

/// Delivers a piece's result once the batch's commit is known.
type Deliver = Box<dyn FnOnce(Result<(), DbError>) + Send>;

/// A queued piece of write work: runs on the writer and says whether it succeeded.
type Job = Box<dyn FnOnce(&mut DbConnection) -> (bool, Deliver) + Send>;

/// Most pieces one transaction takes, so no caller waits behind an unbounded batch.
const MAX_BATCH: usize = 64;

pub(super) struct SqliteWriter {
    url: String,
    conn: Mutex<DbConnection>,
    queue: Mutex<Vec<Job>>,
}

fn unpoisoned<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SqliteWriter {
    pub(super) fn new(url: &str, conn: DbConnection) -> SqliteWriter {
        SqliteWriter {
            url: url.to_string(),
            conn: Mutex::new(conn),
            queue: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on the writer connection, inside the current batch's transaction.
    pub(super) fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let (sender, receiver) = sync_channel(1);
        let job: Job = Box::new(move |conn| {
            let result = work(conn);
            let succeeded = result.is_ok();
            let deliver: Deliver = Box::new(move |committed| {
                let _ = sender.send(match (result, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(E::from(e)),
                    (Err(e), _) => Err(e),
                });
            });
            (succeeded, deliver)
        });
        unpoisoned(&self.queue).push(job);
        loop {
            let mut conn = unpoisoned(&self.conn);
            // The previous holder may have run this piece already.
            match receiver.try_recv() {
                Ok(result) => return result,
                Err(TryRecvError::Disconnected) => panic!("a write on the SQLite writer panicked"),
                Err(TryRecvError::Empty) => {}
            }
            let batch: Vec<Job> = {
                let mut queue = unpoisoned(&self.queue);
                let size = queue.len().min(MAX_BATCH);
                queue.drain(..size).collect()
            };
            self.run_batch(&mut conn, batch);
        }
    }

    fn run_batch(&self, conn: &mut DbConnection, batch: Vec<Job>) {
        crate::metrics::metrics()
            .writer_batch
            .observe(batch.len() as f64);
        if let DbConnection::Sqlite(inner) = &mut *conn
            && AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE").is_err()
        {
            // No batch today (another process holds the lock past the busy timeout): each
            // piece opens its own transaction and reports its own error.
            for job in batch {
                let (_, deliver) = job(conn);
                deliver(Ok(()));
            }
            return;
        }
        let mut delivered = Vec::with_capacity(batch.len());
        for job in batch {
            if Manager::begin_transaction(conn).is_err() {
                // A savepoint that cannot be taken: run the piece bare and let it report.
                let (_, deliver) = job(conn);
                delivered.push(deliver);
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
                // Its caller learns of the panic from the dropped channel; undo what it began.
                Err(_) => {
                    if !unwind_to_batch(conn) {
                        self.restart(conn, delivered);
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
    fn restart(&self, conn: &mut DbConnection, delivered: Vec<Deliver>) {
        let _ = Manager::rollback_transaction(conn);
        if let Ok(fresh) = super::connection::open_writer(&self.url) {
            *conn = fresh;
        }
        for deliver in delivered {
            deliver(Err(DbError::WriteBatch(
                "a write in its batch panicked and the batch was rolled back".into(),
            )));
        }
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
