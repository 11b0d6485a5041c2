//! Dispatcher accounts: argon2 password hashes, and the bearer tokens (and, for the pages,
//! sessions) that a sign-in opens. The API, the pages and the command line all call this.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::{DateTime, Duration, Utc};

use crate::booking::{hash_secret, new_secret};
use crate::db::{
    Db, DbConnection, DbError, lock_key, stored_instant, users, write_transaction_locked,
};
use crate::domain::FieldError;

pub mod throttle;
use throttle::Failures;

/// A real hash to verify against when the username is unknown.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password"));

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("user {0} exists")]
    UsernameTaken(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Db(DbError::Query(e))
    }
}

/// Hashes a dispatcher's password for storage (argon2id, random salt).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Creates a dispatcher account; refuses a taken username. Hash the password before the write
/// (argon2 takes a while): [`hash_password`].
pub fn add_user(
    conn: &mut DbConnection,
    username: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let username = username.trim();
    if users::find_user(conn, username)?.is_some() {
        return Err(AccountError::UsernameTaken(username.to_string()));
    }
    users::insert_user(conn, username, password_hash, stored_instant(now))?;
    Ok(())
}

/// A username and password fit for a new account: 1-64 characters without spaces, and a
/// password of at least 10 characters.
pub fn check_new_account(username: &str, password: &str) -> Result<(), FieldError> {
    let username = username.trim();
    if username.is_empty()
        || username.chars().count() > 64
        || username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(FieldError::new(
            "username",
            "invalid_username",
            "1-64 characters, no spaces",
        ));
    }
    if password.chars().count() < 10 {
        return Err(FieldError::new(
            "password",
            "weak_password",
            "at least 10 characters",
        ));
    }
    Ok(())
}

/// The active account with this username and password, if any. Takes as long for an unknown
/// username as for a wrong password, so timing does not reveal which usernames exist.
pub fn check_password(
    conn: &mut DbConnection,
    username: &str,
    password: &str,
) -> Result<Option<users::UserRow>, DbError> {
    // Text the database cannot hold (a NUL byte) names no account.
    let user = if username.chars().any(char::is_control) || username.chars().count() > 64 {
        None
    } else {
        users::find_user(conn, username)?.filter(|u| u.active)
    };
    let Some(user) = user else {
        let _ = verify_password(password, &DUMMY_HASH);
        return Ok(None);
    };
    Ok(verify_password(password, &user.password_hash).then_some(user))
}

/// What a sign-in attempt comes to, the throttle of repeated failures applied.
pub enum SignIn {
    /// The account must wait this long after repeated failures; the password was not checked.
    Wait(std::time::Duration),
    /// Wrong username or password (counted as a failure).
    Refused,
    Accepted(users::UserRow),
}

/// Checks `username` and `password` unless the account must wait. The API's and the console's
/// sign-in both come here. The try is counted as a failure before the password is checked (in a
/// short write, one account at a time), so tries made at once count too, and every instance of
/// the service sees the same count; a right password clears it. The password check itself
/// (argon2, slow) runs on a read connection.
pub async fn sign_in(
    db: &Db,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<SignIn, DbError> {
    let account = throttle::account(username);
    let counted = {
        let account = account.clone();
        db.write(move |conn| {
            write_transaction_locked(conn, &[lock_key(&format!("sign-in:{account}"))], |conn| {
                count_try(conn, &account, now)
            })
        })
        .await?
    };
    if let Err(wait) = counted {
        return Ok(SignIn::Wait(wait));
    }
    let (username, password) = (username.to_string(), password.to_string());
    let user = db
        .run(move |conn| check_password(conn, &username, &password))
        .await?;
    Ok(match user {
        Some(user) => {
            db.write(move |conn| {
                users::clear_sign_in_failures(conn, &account).map_err(DbError::from)
            })
            .await?;
            SignIn::Accepted(user)
        }
        None => SignIn::Refused,
    })
}

/// `Err(wait)` while `account` must wait; otherwise counts this try as a failure.
fn count_try(
    conn: &mut DbConnection,
    account: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), std::time::Duration>, DbError> {
    let earlier = users::sign_in_failures(conn, account)?.map(|(count, last)| Failures {
        count: u32::try_from(count).unwrap_or(0),
        last: last.and_utc(),
    });
    if let Some(Err(wait)) = earlier.map(|f| f.check(now)) {
        return Ok(Err(wait));
    }
    // Names tried long ago (any name can be tried) are forgotten now and then.
    static FORGOTTEN: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);
    if crate::db::once_a_minute(&FORGOTTEN, now) {
        users::forget_sign_in_failures(conn, stored_instant(now - throttle::FORGET_AFTER))?;
    }
    let counted = Failures::and_one_more(earlier, now);
    users::set_sign_in_failures(
        conn,
        account,
        i32::try_from(counted.count).unwrap_or(i32::MAX),
        stored_instant(counted.last),
    )?;
    Ok(Ok(()))
}

/// Whole seconds to wait, rounded up (for `Retry-After` and messages).
pub fn seconds_up(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// A new bearer token for `user_id`, valid for `ttl`; only its hash is stored.
pub fn open_token(
    conn: &mut DbConnection,
    user_id: i64,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), DbError> {
    let token = new_secret();
    let expires_at = now + ttl;
    users::insert_token(
        conn,
        user_id,
        &hash_secret(&token),
        stored_instant(now),
        stored_instant(expires_at),
    )?;
    Ok((token, expires_at))
}

/// The active user holding this unexpired, unrevoked token.
pub fn user_for_token(
    conn: &mut DbConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<users::UserRow>, DbError> {
    Ok(users::user_for_token(
        conn,
        &hash_secret(token),
        stored_instant(now),
    )?)
}

/// Revokes a token (signing out).
pub fn revoke_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    users::revoke_token(conn, token_hash, stored_instant(now))?;
    Ok(())
}
