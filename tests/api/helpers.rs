//! The test harness: the real app on a random port, a fresh database per test (a temp SQLite file,
//! or a PostgreSQL database copied from a migrated template), and helpers to seed the registry.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use bloodmobile::api::AppState;
use bloodmobile::db::registry::{self, SiteValues, StationValues, VehicleValues};
use bloodmobile::db::schema::{bookings, donors, vehicles};
use bloodmobile::db::{Db, DbError, connection, stored_instant};
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Writes a scenario once and runs it on both backends: `both!(name)` makes
/// `mod name { fn sqlite(); fn postgres(); }`, each calling `super::name(&app)` on a fresh app.
/// Attributes before a name apply to both tests, e.g. `both!(#[ignore = "bug: ..."] name)`.
#[macro_export]
macro_rules! both {
    ($($(#[$meta:meta])* $scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$meta])*
            async fn sqlite() {
                let backend = $crate::helpers::Backend::Sqlite;
                if let Some(app) = $crate::helpers::spawn_app(backend).await {
                    super::$scenario(&app).await;
                    app.stop().await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$meta])*
            async fn postgres() {
                let backend = $crate::helpers::Backend::Postgres;
                if let Some(app) = $crate::helpers::spawn_app(backend).await {
                    super::$scenario(&app).await;
                    app.stop().await;
                }
            }
        }
    )*};
}

/// The station's time zone used by the default seed.
pub const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// The dispatcher `TestApp::dispatcher_token` creates on first use.
pub const DISPATCHER: &str = "dispatcher";
pub const DISPATCHER_PASSWORD: &str = "correct horse battery staple";

/// A running app and the ids of what was seeded into its database.
pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub client: reqwest::Client,
    pub backend: Backend,
    /// The default station (Asia/Shanghai, DESIGN.md defaults).
    pub station_id: i64,
    /// 三湾社区 (community, 沙市区) and 太湖港村 (village, 荆州区) of the default station.
    pub site_id: i64,
    pub other_site_id: i64,
    /// One bloodmobile of the default station, collecting every kind, 07:30-17:30.
    pub vehicle_id: i64,
    handle: ServerHandle,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase(String),
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts the real app on 127.0.0.1:0 over a fresh database with the default seed. `None` when
/// the backend is PostgreSQL, it is unreachable and `CI` is not `true` (a skip, printed).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with the app's state changed first (limits, CORS).
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut AppState),
) -> Option<TestApp> {
    let (url, cleanup) = match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique_name("bloodmobile_test")));
            (
                path.to_string_lossy().into_owned(),
                Cleanup::SqliteFile(path),
            )
        }
        Backend::Postgres => {
            let Some(admin_url) = postgres_admin_url() else {
                report_skip();
                return None;
            };
            let name = unique_name("test");
            let url = tokio::task::spawn_blocking({
                let admin_url = admin_url.clone();
                let name = name.clone();
                move || create_test_database(&admin_url, &name)
            })
            .await
            .expect("create test database");
            (url, Cleanup::PostgresDatabase(name))
        }
    };
    let db = tokio::task::spawn_blocking({
        let url = url.clone();
        move || Db::open(&url, 8)
    })
    .await
    .expect("open database")
    .unwrap_or_else(|e| panic!("cannot open the test database {url}: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let port = listener.local_addr().expect("local address").port();
    let mut state = AppState {
        token_ttl: chrono::Duration::hours(1),
        ..AppState::new(db.clone())
    };
    configure(&mut state);
    let server = bloodmobile::startup::server(state, listener, Some(2)).expect("build server");
    let handle = server.handle();
    tokio::spawn(server);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client");
    let mut app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        client,
        backend,
        station_id: 0,
        site_id: 0,
        other_site_id: 0,
        vehicle_id: 0,
        handle,
        cleanup,
    };
    app.seed_default().await;
    Some(app)
}

impl TestApp {
    /// Stops the server and drops the database (best effort; `Drop` does it on a panic too).
    pub async fn stop(self) {
        self.handle.stop(false).await;
        drop(self);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Runs blocking database work that may write (on SQLite's writer connection).
    pub async fn with_db<T, F>(&self, work: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut connection::DbConnection) -> QueryResult<T> + Send + 'static,
    {
        self.db
            .write(move |conn| work(conn).map_err(DbError::from))
            .await
            .expect("database work in a test")
    }

    async fn seed_default(&mut self) {
        let (station_id, site_id, other_site_id, vehicle_id) = self
            .with_db(|conn| {
                let station = registry::insert_station(
                    conn,
                    &station_values(
                        "荆州市中心血站",
                        "Asia/Shanghai",
                        "中心血站",
                        "荆州市沙市区北京中路",
                        30.32,
                        112.25,
                    ),
                )?;
                let site = registry::insert_site(
                    conn,
                    &site_values(station.id, "community", "沙市区", "中山街道", "三湾社区"),
                )?;
                let other = registry::insert_site(
                    conn,
                    &site_values(station.id, "village", "荆州区", "川店镇", "太湖港村"),
                )?;
                let vehicle = registry::insert_vehicle(
                    conn,
                    &vehicle_values(station.id, "鄂D-血001", 4, 40, (7, 30), (17, 30)),
                )?;
                Ok((station.id, site.id, other.id, vehicle.id))
            })
            .await;
        self.station_id = station_id;
        self.site_id = site_id;
        self.other_site_id = other_site_id;
        self.vehicle_id = vehicle_id;
    }

    /// Takes every vehicle of the default station out of service and adds one with these numbers
    /// (whole blood, platelets and plasma); returns its id.
    pub async fn replace_fleet(
        &self,
        beds: i32,
        donors_per_day: i32,
        shift_start: (u32, u32),
        shift_end: (u32, u32),
    ) -> i64 {
        let station_id = self.station_id;
        self.with_db(move |conn| {
            diesel::update(vehicles::table.filter(vehicles::station_id.eq(station_id)))
                .set(vehicles::active.eq(false))
                .execute(conn)?;
            let name = format!("小车{}", UNIQUE.fetch_add(1, Ordering::Relaxed));
            let vehicle = registry::insert_vehicle(
                conn,
                &vehicle_values(
                    station_id,
                    &name,
                    beds,
                    donors_per_day,
                    shift_start,
                    shift_end,
                ),
            )?;
            Ok(vehicle.id)
        })
        .await
    }

    /// Adds a site of `station_id` directly in the database.
    pub async fn add_site(&self, station_id: i64, kind: &str, district: &str, name: &str) -> i64 {
        let values = site_values(station_id, kind, district, "某镇", name);
        self.with_db(move |conn| registry::insert_site(conn, &values).map(|s| s.id))
            .await
    }

    /// Confirmed bookings stored for the station, counted in the database itself.
    pub async fn confirmed_bookings(&self, station_id: i64) -> i64 {
        self.with_db(move |conn| {
            bookings::table
                .filter(bookings::station_id.eq(station_id))
                .filter(bookings::status.eq("confirmed"))
                .count()
                .get_result(conn)
        })
        .await
    }

    /// All bookings stored (any status, any station).
    pub async fn stored_bookings(&self) -> i64 {
        self.with_db(|conn| bookings::table.count().get_result(conn))
            .await
    }

    /// Every saved idempotent response, as stored.
    pub async fn saved_responses(&self) -> Vec<(String, String)> {
        use bloodmobile::db::schema::idempotency_keys;
        self.with_db(|conn| {
            idempotency_keys::table
                .select((
                    idempotency_keys::idempotency_key,
                    idempotency_keys::response_body,
                ))
                .load(conn)
        })
        .await
    }

    /// The donor's name exactly as stored for `phone` (E.164).
    pub async fn stored_donor_name(&self, phone: &str) -> Option<String> {
        let phone = phone.to_string();
        self.with_db(move |conn| {
            donors::table
                .filter(donors::phone.eq(phone))
                .select(donors::name)
                .first::<String>(conn)
                .optional()
        })
        .await
    }

    /// Creates a dispatcher through `bloodmobile::accounts` (argon2) and signs in through
    /// `POST /api/v1/auth/token`; returns the bearer token.
    pub async fn dispatcher_token(&self) -> String {
        use bloodmobile::accounts::{self, AccountError};
        let hash = accounts::hash_password(DISPATCHER_PASSWORD);
        self.db
            .write(
                move |conn| match accounts::add_user(conn, DISPATCHER, &hash, Utc::now()) {
                    Ok(()) | Err(AccountError::UsernameTaken(_)) => Ok(()),
                    Err(e) => Err(e),
                },
            )
            .await
            .expect("add a dispatcher");
        self.login(DISPATCHER, DISPATCHER_PASSWORD).await
    }

    /// `POST /api/v1/auth/token`; panics unless it is 200 with a token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .post_json(
                "/api/v1/auth/token",
                &json!({"username": username, "password": password}),
            )
            .await;
        let (status, body) = read(response).await;
        assert_eq!(status, 200, "sign in: {body}");
        let expires_at = body["expires_at"].as_str().expect("expires_at");
        let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
        let ttl = expires_at.with_timezone(&Utc) - Utc::now();
        assert!(
            ttl > chrono::Duration::minutes(55) && ttl <= chrono::Duration::hours(1),
            "the app's tokens live one hour: {body}"
        );
        body["token"].as_str().expect("token").to_string()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST request")
    }

    /// `POST /api/v1/bookings`.
    pub async fn book(&self, body: &Value) -> reqwest::Response {
        self.post_json("/api/v1/bookings", body).await
    }

    /// `POST /api/v1/bookings`, expecting 201; returns the body.
    pub async fn book_ok(&self, body: &Value) -> Value {
        let (status, created) = read(self.book(body).await).await;
        assert_eq!(status, 201, "booking should be created: {created}");
        created
    }

    pub async fn get_booking(&self, reference: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .get(self.url(&format!("/api/v1/bookings/{reference}")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("GET booking")
    }

    pub async fn patch_booking(
        &self,
        reference: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .patch(self.url(&format!("/api/v1/bookings/{reference}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("PATCH booking")
    }

    pub async fn cancel_booking(&self, reference: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(&format!("/api/v1/bookings/{reference}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("DELETE booking")
    }

    /// A dispatcher request with a JSON body (`None` for GET/DELETE without one).
    pub async fn dispatcher(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("dispatcher request")
    }

    /// `GET /api/v1/sites/{id}/availability?from=&to=`, expecting 200; returns the body.
    pub async fn availability(&self, site_id: i64, from: NaiveDate, to: NaiveDate) -> Value {
        let (status, body) = read(
            self.get(&format!(
                "/api/v1/sites/{site_id}/availability?from={from}&to={to}"
            ))
            .await,
        )
        .await;
        assert_eq!(status, 200, "availability: {body}");
        body
    }

    /// The availability entry of one window of one day.
    pub async fn window(&self, site_id: i64, date: NaiveDate, window: &str) -> Value {
        let body = self.availability(site_id, date, date).await;
        window_of(&body, date, window)
    }

    /// `seats_left` of one window of one day.
    pub async fn seats_left(&self, site_id: i64, date: NaiveDate, window: &str) -> u64 {
        self.window(site_id, date, window).await["seats_left"]
            .as_u64()
            .expect("seats_left")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase(name) => {
                if let Some(admin_url) = postgres_admin_url()
                    && let Ok(mut conn) = connection::establish(&admin_url)
                {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn);
                }
            }
        }
    }
}

/// The entry of `window` on `date` in an availability body.
pub fn window_of(availability: &Value, date: NaiveDate, window: &str) -> Value {
    let day = availability["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["date"] == date.to_string())
        .unwrap_or_else(|| panic!("no day {date} in {availability}"));
    day["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .find(|w| w["window"] == window)
        .unwrap_or_else(|| panic!("no window {window} on {date} in {availability}"))
        .clone()
}

/// Status and JSON body of a response (`Value::Null` for an empty body; panics on non-JSON).
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("response body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text:?}"))
    };
    (status, body)
}

/// Asserts an error response: the status, `error.code`, a non-empty `error.message`; returns
/// `error`.
pub async fn expect_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    let (actual, body) = read(response).await;
    assert_eq!(
        actual, status,
        "expected {status} {code}, got {actual}: {body}"
    );
    assert_error_shape(&body);
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"].clone()
}

/// Every error body is `{"error": {"code": "...", "message": "..."}}`.
pub fn assert_error_shape(body: &Value) {
    let code = body["error"]["code"].as_str();
    let message = body["error"]["message"].as_str();
    assert!(
        code.is_some_and(|c| !c.is_empty()) && message.is_some_and(|m| !m.is_empty()),
        "error body without code and message: {body}"
    );
}

/// The station's local date today.
pub fn local_today(tz: chrono_tz::Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// Today + `days` in Asia/Shanghai, the default station's zone.
pub fn day(days: u64) -> NaiveDate {
    local_today(SHANGHAI) + Days::new(days)
}

static PHONES: AtomicU64 = AtomicU64::new(0);

/// A fresh Chinese mobile number in E.164 form, different on each call.
pub fn unique_phone() -> String {
    let n = PHONES.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id() % 1000) * 100_000;
    format!("+86139{:08}", n % 100_000_000)
}

/// The contract's example body (issue 3) for `site_id` on `date`, with an adult donor.
pub fn booking_body(site_id: i64, date: NaiveDate, window: &str, phone: &str) -> Value {
    json!({
        "site_id": site_id,
        "date": date.to_string(),
        "window": window,
        "kind": "whole_blood",
        "volume_ml": 400,
        "language": "zh-CN",
        "donor": {
            "name": "张三",
            "phone": phone,
            "email": "zhang@example.com",
            "birth_date": "1990-05-01",
            "sex": "male",
            "weight_kg": 65,
            "blood_type": "B+",
            "last_donation": {"date": "2026-01-10", "kind": "whole_blood"}
        }
    })
}

/// A body with only the required donor fields.
pub fn minimal_body(site_id: i64, date: NaiveDate, window: &str, phone: &str) -> Value {
    json!({
        "site_id": site_id,
        "date": date.to_string(),
        "window": window,
        "kind": "whole_blood",
        "donor": {
            "name": "李四",
            "phone": phone,
            "birth_date": "1985-03-15",
            "sex": "female",
            "weight_kg": 58.5
        }
    })
}

/// A new station with the defaults, as the registry creates it.
pub fn station_values(
    name: &str,
    time_zone: &str,
    depot_name: &str,
    depot_address: &str,
    lat: f64,
    lon: f64,
) -> StationValues {
    bloodmobile::station::new_station_values(
        name,
        time_zone,
        depot_name,
        depot_address,
        bloodmobile::routing::GeoPoint { lat, lon },
        stored_instant(Utc::now()),
    )
}

pub fn site_values(
    station_id: i64,
    kind: &str,
    district: &str,
    township: &str,
    name: &str,
) -> SiteValues {
    SiteValues {
        station_id,
        kind: kind.to_string(),
        district: district.to_string(),
        township: township.to_string(),
        name: name.to_string(),
        address: format!("{district}{township}{name}"),
        lat: 30.3,
        lon: 112.2,
        contact_name: None,
        contact_phone: None,
        active: true,
        updated_at: stored_instant(Utc::now()),
    }
}

pub fn vehicle_values(
    station_id: i64,
    name: &str,
    beds: i32,
    donors_per_day: i32,
    shift_start: (u32, u32),
    shift_end: (u32, u32),
) -> VehicleValues {
    let time = |(h, m): (u32, u32)| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    VehicleValues {
        station_id,
        name: name.to_string(),
        plate: None,
        beds,
        donors_per_day,
        shift_start: time(shift_start),
        shift_end: time(shift_end),
        kinds: "whole_blood,platelets,plasma".to_string(),
        active: true,
        updated_at: stored_instant(Utc::now()),
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one migrated template per migration set, one copy per test.

pub fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The admin URL when PostgreSQL answers; `None` (skip) when it does not and `CI` is not `true`;
/// a panic when it does not and `CI=true`. Checked once per process.
fn postgres_admin_url() -> Option<String> {
    static REACHABLE: OnceLock<Result<String, String>> = OnceLock::new();
    let reachable = REACHABLE.get_or_init(|| {
        let url = test_database_url();
        connection::establish(&url)
            .map(|_| url)
            .map_err(|e| e.to_string())
    });
    match reachable {
        Ok(url) => Some(url.clone()),
        Err(e) if in_ci() => panic!("CI=true and PostgreSQL is unreachable: {e}"),
        Err(_) => None,
    }
}

/// Says that PostgreSQL tests are skipped: once per process straight to stderr (past the test
/// harness's capture), and in each test's own output.
fn report_skip() {
    static ONCE: OnceLock<()> = OnceLock::new();
    let url = connection::redact_url(&test_database_url());
    let line = format!("PostgreSQL variant skipped: {url} is unreachable (set CI=true to fail)");
    ONCE.get_or_init(|| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{line}");
    });
    println!("{line}");
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// The template's name: a hash of the PostgreSQL migrations, so a changed migration gets a new
/// template and concurrent test processes of the same tree share one.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        let mut text = String::new();
        for entry in entries {
            text.push_str(&entry.to_string_lossy());
            text.push_str(&std::fs::read_to_string(entry.join("up.sql")).unwrap_or_default());
        }
        format!(
            "bloodmobile_tpl_{:016x}",
            bloodmobile::db::lock_key(&text) as u64
        )
    })
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn database_exists(conn: &mut connection::DbConnection, name: &str) -> bool {
    diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<Text, _>(name)
        .get_result::<Found>(conn)
        .map(|f| f.n > 0)
        .expect("query pg_database")
}

/// Makes sure the migrated template exists: once per process (OnceLock), and across processes
/// under a session advisory lock; built under a temporary name and renamed when complete.
fn ensure_template(admin_url: &str) -> &'static str {
    static READY: OnceLock<()> = OnceLock::new();
    let name = template_name();
    READY.get_or_init(|| {
        let mut admin = connection::establish(admin_url).expect("admin connection");
        diesel::sql_query("SELECT pg_advisory_lock(7243001)")
            .execute(&mut admin)
            .expect("advisory lock");
        if !database_exists(&mut admin, name) {
            let building = format!("{name}_building");
            let sql = |conn: &mut connection::DbConnection, statement: String| {
                diesel::sql_query(&statement)
                    .execute(conn)
                    .unwrap_or_else(|e| panic!("{statement}: {e}"));
            };
            sql(
                &mut admin,
                format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
            );
            sql(&mut admin, format!("CREATE DATABASE \"{building}\""));
            {
                let url = with_database(admin_url, &building);
                let mut conn = connection::establish(&url).expect("connect to the template");
                connection::run_migrations(&mut conn, &url).expect("migrate the template");
            }
            sql(
                &mut admin,
                format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\""),
            );
        }
        diesel::sql_query("SELECT pg_advisory_unlock(7243001)")
            .execute(&mut admin)
            .expect("advisory unlock");
    });
    name
}

/// Creates `name` as a copy of the template; returns its URL.
fn create_test_database(admin_url: &str, name: &str) -> String {
    let template = ensure_template(admin_url);
    let mut admin = connection::establish(admin_url).expect("admin connection");
    let statement = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
    let mut attempt = 0;
    loop {
        match diesel::sql_query(&statement).execute(&mut admin) {
            Ok(_) => break,
            // Another process may be connected to the template for a moment.
            Err(e) if attempt < 50 && e.to_string().contains("being accessed") => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("{statement}: {e}"),
        }
    }
    with_database(admin_url, name)
}
