//! PostgreSQL connections: one whose server went away is not handed out again, and one whose
//! transaction could not take its locks is left usable.

use bloodmobile::db::{Db, DbConnection, connection};
use diesel::prelude::*;

use crate::helpers::{Backend, spawn_app};

#[derive(QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

fn backend_pid(conn: &mut DbConnection) -> QueryResult<i32> {
    diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<BackendPid>(conn)
        .map(|b| b.pid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_server_went_away_is_replaced_at_once() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let url = app.db.display_url();
    tokio::task::spawn_blocking(move || {
        let db = Db::open(&url, 1).expect("open");
        let pid = backend_pid(&mut db.get().unwrap()).unwrap();
        let mut admin = connection::establish(&url).unwrap();
        diesel::sql_query(format!("SELECT pg_terminate_backend({pid})"))
            .execute(&mut admin)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        // Used a moment ago, it is handed out without a ping: its statement fails...
        let lost = backend_pid(&mut db.get().unwrap()).unwrap_err();
        assert!(
            bloodmobile::db::DbError::Query(lost).is_unavailable(),
            "a lost connection reads as the database being unavailable"
        );
        // ...and the pool, told so, opens another instead of handing it out again.
        let again = backend_pid(&mut db.get().unwrap()).expect("a fresh connection");
        assert_ne!(again, pid);
    })
    .await
    .unwrap();
    app.stop().await;
}

/// A transaction whose first lock cannot be had (here: `lock_timeout`) fails, and leaves the
/// connection out of any transaction, so that its next statement works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_that_cannot_be_had_leaves_no_transaction_open() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let url = app.db.display_url();
    tokio::task::spawn_blocking(move || {
        use bloodmobile::db::write_transaction_locked;
        use diesel::connection::SimpleConnection;
        let key = bloodmobile::db::lock_key("a key held elsewhere");
        let mut holder = connection::establish(&url).unwrap();
        holder
            .batch_execute(&format!("SELECT pg_advisory_lock({key})"))
            .unwrap();
        let mut conn = connection::establish(&url).unwrap();
        conn.batch_execute("SET lock_timeout = '100ms'").unwrap();
        let waited = write_transaction_locked(&mut conn, &[key], |_| diesel::QueryResult::Ok(()));
        assert!(waited.is_err(), "the lock is held elsewhere");
        backend_pid(&mut conn).expect("the connection is usable again");
        holder
            .batch_execute(&format!("SELECT pg_advisory_unlock({key})"))
            .unwrap();
        write_transaction_locked(&mut conn, &[key], |_| diesel::QueryResult::Ok(()))
            .expect("the lock, free now, is taken");
    })
    .await
    .unwrap();
    app.stop().await;
}
