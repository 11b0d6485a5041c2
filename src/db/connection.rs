//! Connections, the pool, migrations and the write transaction that keeps capacity exact.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sql_types::BigInt;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::writer::{Durability, SqliteWriter};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; one schema and one set of queries serve both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` are PostgreSQL; anything else is a SQLite file path
    /// (or `sqlite://path`, or `:memory:`).
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A storage failure worth a one-line message to an operator.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("cannot migrate database {url}: {reason}")]
    Migrate { url: String, reason: String },
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// Every pooled connection stayed busy for as long as a request waits for one.
    #[error("database pool: no connection came free in {0:?}")]
    Busy(Duration),
    /// SQLite: the write batch this write ran in could not be committed, so it did not happen.
    #[error("the write was not committed: {0}")]
    WriteBatch(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl DbError {
    /// Whether the database could not be reached (down, restarting, the connection lost, the
    /// pool out of connections), as against a query it refused: the client may try again.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Connect { .. }
            | DbError::Pool(_)
            | DbError::Busy(_)
            | DbError::WriteBatch(_) => true,
            DbError::Query(diesel::result::Error::BrokenTransactionManager) => true,
            DbError::Query(e) => connection_lost(e) || lost_to_another(e),
            _ => false,
        }
    }
}

/// Whether PostgreSQL gave up a transaction for another's sake (a deadlock it broke, a
/// serialization failure): the same request may well succeed when tried again.
fn lost_to_another(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().starts_with("deadlock detected")
        }
        _ => false,
    }
}

/// Whether a statement failed because its connection went away.
fn connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => lost_connection(info.message()),
        _ => false,
    }
}

/// PostgreSQL's words (libpq's and the server's) for a connection that went away: a server
/// shut down or restarted (SQLSTATE 57P01–57P03), a socket closed under a query.
fn lost_connection(message: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "the database system is shutting down",
        "the database system is starting up",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// SQLite's `synchronous` setting: FULL (the default) syncs the write-ahead log at every
/// commit, so an accepted booking survives a power cut (the writer syncs it for every batch
/// itself, see `writer.rs`). `BLOODMOBILE_SQLITE_SYNCHRONOUS=normal` trades the last commits
/// before a power cut (never consistency) for speed.
pub fn sqlite_synchronous() -> &'static str {
    match std::env::var("BLOODMOBILE_SQLITE_SYNCHRONOUS")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "normal" => "NORMAL",
        _ => "FULL",
    }
}

/// Opens one connection of the backend the URL names, with the session settings it needs.
pub fn establish(url: &str) -> Result<DbConnection, DbError> {
    let connect_error = |reason: String| DbError::Connect {
        url: redact_url(url),
        reason: reason.split_whitespace().collect::<Vec<_>>().join(" "),
    };
    match Backend::from_url(url) {
        Backend::Postgres => PgConnection::establish(url)
            .map(DbConnection::Postgresql)
            .map_err(|e| connect_error(e.to_string())),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(sqlite_path(url))
                .map_err(|e| connect_error(e.to_string()))?;
            // busy_timeout first: several pooled connections opening a new file at once
            // otherwise fail with "database is locked" while WAL is being switched on.
            // Savepoint journals in memory: the writer takes one per booking, and a journal
            // file costs a write per changed page.
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; \
                 PRAGMA temp_store = MEMORY;",
                sqlite_synchronous()
            ))
            .map_err(|e| connect_error(e.to_string()))?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

/// Applies pending migrations of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection, url: &str) -> Result<usize, DbError> {
    let source = match conn {
        DbConnection::Postgresql(_) => POSTGRES_MIGRATIONS,
        DbConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    conn.run_pending_migrations(source)
        .map(|done| done.len())
        .map_err(|e| DbError::Migrate {
            url: redact_url(url),
            reason: e.to_string(),
        })
}

/// A pooled connection, and when it was last handed back to the pool.
pub struct Pooled {
    conn: DbConnection,
    returned: Instant,
}

impl Deref for Pooled {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// The least a request with its turn waits for a connection (one being opened anew).
const OPENING: Duration = Duration::from_millis(500);

/// A PostgreSQL connection idle longer than this is pinged before it is handed out: the server
/// may have restarted meanwhile. One in use moments ago is not (a round trip per request saved);
/// if its server went away since, its statement fails (the client may retry), libpq marks it
/// bad and the pool drops it when it comes back.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// r2d2 manager that builds the backend's own variant, so a connection error keeps its real cause.
#[derive(Debug, Clone)]
struct Manager {
    url: String,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = DbError;

    fn connect(&self) -> Result<Pooled, DbError> {
        let mut conn = establish(&self.url)?;
        // Pooled SQLite connections only read: every write goes through the writer, and a
        // stray one fails loudly here instead of racing it for the lock.
        if let DbConnection::Sqlite(_) = conn {
            conn.batch_execute("PRAGMA query_only = ON;")
                .map_err(|e| DbError::Connect {
                    url: redact_url(&self.url),
                    reason: e.to_string(),
                })?;
        }
        Ok(Pooled {
            conn,
            returned: Instant::now(),
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), DbError> {
        match pooled.conn {
            DbConnection::Postgresql(_) if pooled.returned.elapsed() >= PING_AFTER_IDLE => {
                pooled.conn.ping().map_err(DbError::Query)
            }
            // A local file does not go away.
            _ => Ok(()),
        }
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.returned = Instant::now();
        // A connection handed back inside a transaction (a panic mid-request), or whose server
        // went away, is not reused.
        std::thread::panicking() || pooled.conn.is_broken()
    }
}

/// The pool, SQLite's single writer connection, and what they point at.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    /// One turn per pooled connection, handed out first come, first served: callers wait here,
    /// in order, rather than on the pool, which wakes its waiters in no order (the slowest
    /// request then waits far longer than the rest).
    turns: Arc<tokio::sync::Semaphore>,
    /// SQLite only: every write of this process runs on this one connection, in batches
    /// committed together (see `writer.rs`).
    writer: Option<Arc<SqliteWriter>>,
    backend: Backend,
    url: String,
}

impl Db {
    /// Connects (failing fast with a readable error) and applies pending migrations.
    pub fn open(url: &str, pool_size: u32) -> Result<Db, DbError> {
        let mut first = establish(url)?;
        run_migrations(&mut first, url)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            // Short: when the database is down a request answers 503 soon instead of hanging.
            .connection_timeout(Duration::from_secs(5))
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .build(Manager {
                url: url.to_string(),
            })?;
        let backend = Backend::from_url(url);
        let writer = match backend {
            Backend::Sqlite => {
                let durability = match sqlite_synchronous() {
                    "FULL" if sqlite_path(url) != ":memory:" => Durability::Synced {
                        wal: format!("{}-wal", sqlite_path(url)).into(),
                    },
                    _ => Durability::AtCommit,
                };
                let writer = Arc::new(SqliteWriter::start(url, open_writer(url)?, durability)?);
                checkpoint_in_background(url, Arc::downgrade(&writer));
                Some(writer)
            }
            Backend::Postgres => None,
        };
        Ok(Db {
            pool,
            turns: Arc::new(tokio::sync::Semaphore::new(pool_size.max(1) as usize)),
            writer,
            backend,
            url: url.to_string(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// "sqlite" or "postgres".
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// SQLite: how many times the writer synced the write-ahead log (it acknowledges a write
    /// after the sync that follows its commit).
    pub fn wal_syncs(&self) -> Option<u64> {
        self.writer.as_ref().map(|writer| writer.syncs())
    }

    /// Pool connections open and idle.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Writes a consistent copy of the SQLite database to `path` while the service runs
    /// (`VACUUM INTO` on a connection of its own: readers and the writer go on meanwhile).
    pub fn backup(&self, path: &str) -> Result<(), DbError> {
        if self.backend != Backend::Sqlite {
            return Err(DbError::Connect {
                url: self.display_url(),
                reason: "backup copies SQLite databases; for PostgreSQL use pg_dump".into(),
            });
        }
        if std::path::Path::new(path).exists() {
            return Err(DbError::Connect {
                url: path.to_string(),
                reason: "the backup file exists already".into(),
            });
        }
        let mut conn = establish(&self.url)?;
        conn.batch_execute(&format!("VACUUM INTO '{}';", path.replace('\'', "''")))
            .map_err(DbError::Query)
    }

    /// The URL with its password hidden.
    pub fn display_url(&self) -> String {
        redact_url(&self.url)
    }

    /// A pooled connection for reading (on SQLite it refuses writes), for blocking code.
    pub fn get(
        &self,
    ) -> Result<r2d2::PooledConnection<impl ManageConnection<Connection = Pooled>>, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking database work that only reads, on the blocking thread pool.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.on_pooled(work).await
    }

    /// Runs `work` on a pooled connection on the blocking thread pool once its turn comes
    /// (waited for in order of arrival). Turn and connection are waited for about as long as
    /// the pool waits for a connection, in all: then the database counts as unavailable.
    async fn on_pooled<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let wait = self.pool.connection_timeout();
        let started = Instant::now();
        let turn = match tokio::time::timeout(wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(turn)) => turn,
            _ => return Err(DbError::Busy(wait).into()),
        };
        let pool = self.pool.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let _turn = turn;
            // A turn means a connection is free, or being opened anew: allow that a moment.
            let left = wait.saturating_sub(started.elapsed()).max(OPENING);
            let mut conn = pool.get_timeout(left).map_err(DbError::from)?;
            work(&mut conn)
        })
        .await
        .unwrap_or_else(|join_error| std::panic::resume_unwind(join_error.into_panic()))
    }

    /// Runs blocking work that writes: on SQLite's writer thread, else on a pooled connection
    /// on the blocking thread pool. Use `write_transaction` inside for the transaction itself.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.run(work).await,
            None => self.on_pooled(work).await,
        }
    }

    /// `write` for code already off the async executor (the command line, the demo loader).
    pub fn write_blocking<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.run_blocking(work),
            None => {
                let mut conn = self.pool.get().map_err(DbError::from)?;
                work(&mut conn)
            }
        }
    }
}

/// SQLite's writer connection: it never checkpoints on commit, `checkpoint_in_background` does,
/// and never syncs at commit: the writer syncs the log for its batches itself (see `writer.rs`).
pub(super) fn open_writer(url: &str) -> Result<DbConnection, DbError> {
    let mut conn = establish(url)?;
    // A 64 MB page cache (the default is 2 MB) keeps the pages every booking touches, its
    // indexes' upper levels and a busy day's rows, in memory.
    conn.batch_execute(
        "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536; PRAGMA synchronous = NORMAL;",
    )
    .map_err(|e| DbError::Connect {
        url: redact_url(url),
        reason: e.to_string(),
    })?;
    Ok(conn)
}

/// How often the WAL is copied back into the SQLite database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Copies SQLite's write-ahead log into the database file from a thread of its own, so that the
/// copy and its fsync are not paid inside some booking's commit. A PASSIVE checkpoint never
/// blocks writers. The thread ends with the last handle on the writer.
fn checkpoint_in_background(url: &str, writer: Weak<SqliteWriter>) {
    let url = url.to_string();
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn = None;
            loop {
                std::thread::sleep(CHECKPOINT_EVERY);
                if writer.strong_count() == 0 {
                    return;
                }
                if conn.is_none() {
                    conn = establish(&url).ok();
                }
                if let Some(c) = conn.as_mut()
                    && let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    conn = None;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no checkpoint thread; the WAL is copied at the next start");
    }
}

/// Runs `work` in a write transaction; inside it, `lock` serialises writers of one key.
///
/// SQLite: `BEGIN IMMEDIATE` takes the database's write lock up front, so two bookings never
/// both read a free seat (a deferred `BEGIN` fails with "database is locked" under load).
/// PostgreSQL: `lock` takes a transaction-scoped advisory lock, so a count-then-insert under
/// it is exact; take keys in one global order (idempotency key, booking, day) to rule out
/// deadlocks.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    write_transaction_locked(conn, &[], work)
}

/// `write_transaction` that holds the advisory locks on `keys`, in their order, before `work`
/// runs. On PostgreSQL `BEGIN` and the locks go in one round trip.
pub fn write_transaction_locked<T, E, F>(
    conn: &mut DbConnection,
    keys: &[i64],
    work: F,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    let in_transaction = matches!(
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth(),
        Ok(Some(_))
    );
    match conn {
        // Inside SQLite's write batch this is a savepoint of the batch's transaction.
        DbConnection::Sqlite(inner) if !in_transaction => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        // The keys are numbers this process made: written into the text, not bound.
        DbConnection::Postgresql(inner) if !in_transaction => {
            let mut sql = String::from("BEGIN;");
            for key in keys {
                sql.push_str(&format!(" SELECT pg_advisory_xact_lock({key});"));
            }
            if let Err(e) = AnsiTransactionManager::begin_transaction_sql(inner, &sql) {
                // `BEGIN` may have run and a lock after it failed (a lock or statement
                // timeout): end that transaction, which diesel does not know of, or the
                // connection would refuse every later statement.
                let _ = inner.batch_execute("ROLLBACK");
                return Err(e.into());
            }
        }
        _ => {
            <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?;
            for key in keys {
                if let Err(e) = lock(conn, *key) {
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    return Err(e.into());
                }
            }
        }
    }
    let result = work(conn);
    match result {
        Ok(value) => {
            match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(e.into())
                }
            }
        }
        Err(e) => {
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Serialises transactions that lock the same key until they end (PostgreSQL; SQLite's
/// write transactions are serial already).
pub fn lock(conn: &mut DbConnection, key: i64) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        // A typed select (not `sql_query`) so that the statement is prepared once per
        // connection: one round trip at every booking instead of two.
        diesel::select(pg_advisory_xact_lock(key)).execute(pg)?;
    }
    Ok(())
}

diesel::define_sql_function! {
    /// PostgreSQL's transaction-scoped advisory lock (released at commit or rollback).
    fn pg_advisory_xact_lock(key: BigInt) -> diesel::sql_types::Untyped;
}

/// A stable 64-bit lock key for a text (FNV-1a), the same in every process.
pub fn lock_key(text: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file that is removed, with its WAL, when the test ends.
    struct TempFile(String);

    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
            }
        }
    }

    fn temp_sqlite() -> (Db, TempFile) {
        let path = std::env::temp_dir().join(format!(
            "bloodmobile-conn-{}-{}.db",
            std::process::id(),
            rand::random::<u64>()
        ));
        let path = path.to_string_lossy().into_owned();
        (Db::open(&path, 2).unwrap(), TempFile(path))
    }

    fn users(conn: &mut DbConnection) -> i64 {
        crate::db::users::count_users(conn).unwrap()
    }

    fn add_user(conn: &mut DbConnection, name: &str) {
        let now = chrono::Utc::now().naive_utc();
        crate::db::users::insert_user(conn, name, "hash", now).unwrap();
    }

    #[test]
    fn every_change_to_the_registry_gives_it_a_new_version() {
        use crate::db::registry;
        let (db, _file) = temp_sqlite();
        let versions: Vec<Option<i64>> = db
            .write_blocking(|conn| {
                let mut seen = vec![registry::version(conn)?];
                let now = chrono::Utc::now().naive_utc();
                let depot = crate::routing::GeoPoint {
                    lon: 112.2,
                    lat: 30.3,
                };
                let values = crate::station::new_station_values(
                    "荆州",
                    "Asia/Shanghai",
                    "站",
                    "荆州市",
                    depot,
                    now,
                );
                registry::insert_station(conn, &values)?;
                seen.push(registry::version(conn)?);
                diesel::sql_query("UPDATE stations SET name = 'x'").execute(conn)?;
                seen.push(registry::version(conn)?);
                diesel::sql_query("DELETE FROM stations").execute(conn)?;
                seen.push(registry::version(conn)?);
                Ok::<_, DbError>(seen)
            })
            .unwrap();
        assert!(versions.iter().all(Option::is_some), "{versions:?}");
        let distinct: std::collections::HashSet<_> = versions.iter().collect();
        assert_eq!(distinct.len(), versions.len(), "{versions:?}");
    }

    #[test]
    fn a_failed_write_transaction_leaves_nothing_behind() {
        let (db, _file) = temp_sqlite();
        let result: Result<(), DbError> = db.write_blocking(|conn| {
            write_transaction(conn, |conn| {
                add_user(conn, "a");
                Err(DbError::Connect {
                    url: String::new(),
                    reason: "rolled back".into(),
                })
            })
        });
        assert!(result.is_err());
        let count = db
            .write_blocking(|conn| Ok::<_, DbError>(users(conn)))
            .unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn a_panic_inside_a_transaction_does_not_wedge_the_writer() {
        let (db, _file) = temp_sqlite();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<(), DbError> = db.write_blocking(|conn| {
                write_transaction(conn, |conn| {
                    add_user(conn, "lost");
                    panic!("mid-transaction")
                })
            });
        }));
        assert!(panicked.is_err());
        let count = db
            .write_blocking(|conn| {
                write_transaction(conn, |conn| {
                    add_user(conn, "kept");
                    Ok::<_, DbError>(users(conn))
                })
            })
            .unwrap();
        assert_eq!(count, 1, "the panicked transaction was rolled back");
    }

    #[test]
    fn concurrent_writes_commit_together_and_a_failed_one_leaves_no_trace() {
        let (db, _file) = temp_sqlite();
        let threads: Vec<_> = (0..32)
            .map(|n| {
                let db = db.clone();
                std::thread::spawn(move || {
                    db.write_blocking(move |conn| {
                        write_transaction(conn, |conn| {
                            add_user(conn, &format!("user{n}"));
                            if n % 4 == 0 {
                                return Err(DbError::Connect {
                                    url: String::new(),
                                    reason: "refused".into(),
                                });
                            }
                            Ok(())
                        })
                    })
                })
            })
            .collect();
        let results: Vec<Result<(), DbError>> =
            threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 24);
        // Seen from another connection: the batches were committed, the refused ones undone.
        let mut reader = db.get().unwrap();
        assert_eq!(users(&mut reader), 24);
        let refused = crate::db::users::find_user(&mut reader, "user4").unwrap();
        assert!(refused.is_none());
    }

    #[test]
    fn pooled_sqlite_connections_refuse_writes() {
        let (db, _file) = temp_sqlite();
        let mut reader = db.get().unwrap();
        let now = chrono::Utc::now().naive_utc();
        let stray = crate::db::users::insert_user(&mut reader, "stray", "hash", now);
        assert!(stray.is_err(), "a write on a pooled connection must fail");
        assert_eq!(users(&mut reader), 0);
        db.write_blocking(|conn| {
            add_user(conn, "through the writer");
            Ok::<_, DbError>(())
        })
        .unwrap();
        assert_eq!(users(&mut reader), 1);
    }

    #[test]
    fn a_backup_is_a_consistent_copy_taken_while_writes_go_on() {
        let (db, _file) = temp_sqlite();
        db.write_blocking(|conn| {
            add_user(conn, "before");
            Ok::<_, DbError>(())
        })
        .unwrap();
        let copy = TempFile(format!("{}.backup", db.url));
        let writer = {
            let db = db.clone();
            std::thread::spawn(move || {
                for n in 0..50 {
                    db.write_blocking(move |conn| {
                        add_user(conn, &format!("during{n}"));
                        Ok::<_, DbError>(())
                    })
                    .unwrap();
                }
            })
        };
        db.backup(&copy.0).unwrap();
        writer.join().unwrap();
        assert!(db.backup(&copy.0).is_err(), "never over an existing file");
        let mut restored = establish(&copy.0).unwrap();
        let count = users(&mut restored);
        assert!((1..=51).contains(&count), "{count}");
        assert_eq!(
            crate::db::users::find_user(&mut restored, "before")
                .unwrap()
                .map(|u| u.username),
            Some("before".to_string())
        );
    }

    #[test]
    fn a_write_is_acknowledged_once_the_log_holding_it_is_synced() {
        let (db, _file) = temp_sqlite();
        let before = db.wal_syncs().unwrap();
        for n in 0..5 {
            db.write_blocking(move |conn| {
                add_user(conn, &format!("user{n}"));
                Ok::<_, DbError>(())
            })
            .unwrap();
            // Told only after a sync that followed its commit.
            assert!(
                db.wal_syncs().unwrap() > before + n,
                "write {n} was not synced"
            );
        }
        // The writer leaves syncing at commit to itself; other connections sync at commit.
        let mut pooled = db.get().unwrap();
        let conn: &mut DbConnection = &mut pooled;
        #[derive(diesel::QueryableByName)]
        struct Synchronous {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        let mode: Vec<Synchronous> = diesel::sql_query("PRAGMA synchronous").load(conn).unwrap();
        // 2 is FULL (1 would be NORMAL).
        assert_eq!(mode[0].synchronous, 2);
    }

    #[test]
    fn urls_name_their_backend_and_hide_passwords() {
        assert_eq!(Backend::from_url("postgres://u:p@h/db"), Backend::Postgres);
        assert_eq!(Backend::from_url("postgresql://h/db"), Backend::Postgres);
        assert_eq!(Backend::from_url("bloodmobile.db"), Backend::Sqlite);
        assert_eq!(
            redact_url("postgres://user:secret@host:5432/db"),
            "postgres://user:****@host:5432/db"
        );
        assert_eq!(redact_url("bloodmobile.db"), "bloodmobile.db");
    }
}
