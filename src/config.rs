//! Service settings: command-line flags with environment-variable fallbacks.

use clap::Args;

use crate::notices::settings::NoticeSettings;

/// The embedded database used when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "bloodmobile.db";

/// Settings of `bloodmobile serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address to listen on.
    #[arg(long, env = "BLOODMOBILE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "BLOODMOBILE_WORKERS")]
    pub workers: Option<usize>,
    /// Database connections in the pool.
    #[arg(long, env = "BLOODMOBILE_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// Lifetime of a dispatcher token, in hours.
    #[arg(long, env = "BLOODMOBILE_TOKEN_TTL_HOURS", default_value_t = 12)]
    pub token_ttl_hours: i64,
    /// Requests a second each client address may make (bursts of ten times that); 0: no limit.
    #[arg(long, env = "BLOODMOBILE_RATE_LIMIT", default_value_t = 20)]
    pub rate_limit: u32,
    /// Tell clients apart by `X-Forwarded-For` (only behind a proxy that sets it).
    #[arg(long, env = "BLOODMOBILE_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Origins whose scripts may call the API (CORS), comma-separated; none by default.
    #[arg(
        long = "cors-origin",
        env = "BLOODMOBILE_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Bearer token `GET /metrics` asks for; unset: anyone who reaches it may read it.
    #[arg(long, env = "BLOODMOBILE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Load the Jingzhou demo region into an empty database before serving.
    #[arg(long)]
    pub demo: bool,
    /// Do not send notices from this process (run `bloodmobile worker` beside it).
    #[arg(long, env = "BLOODMOBILE_NO_WORKER")]
    pub no_worker: bool,
    #[command(flatten)]
    pub notices: NoticeSettings,
}

/// Settings of `bloodmobile worker`.
#[derive(Debug, Clone, Args)]
pub struct WorkerSettings {
    /// Database connections in the pool.
    #[arg(long, env = "BLOODMOBILE_POOL_SIZE", default_value_t = 4)]
    pub pool_size: u32,
    #[command(flatten)]
    pub notices: NoticeSettings,
}
