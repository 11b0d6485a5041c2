//! Per-client request rate limits (a token bucket per client address, `governor`) and the
//! edge settings beside them: whose address counts behind a proxy, which origins CORS allows.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::AppState;
use super::error::ApiError;

/// How each client's requests are limited, and how a client is told apart.
#[derive(Clone, Default)]
pub struct Limits {
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    /// Take the client's address from `X-Forwarded-For` (only behind a proxy that sets it).
    trust_forwarded_for: bool,
}

impl Limits {
    /// `per_second` requests a second per client, in bursts of up to ten times that; 0 means
    /// no limit.
    pub fn new(per_second: u32, trust_forwarded_for: bool) -> Limits {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::new(10).expect("ten"));
            let limiter = Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ));
            sweep_now_and_then(Arc::downgrade(&limiter));
            limiter
        });
        Limits {
            limiter,
            trust_forwarded_for,
        }
    }

    fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let info = req.connection_info();
        let address = if self.trust_forwarded_for {
            info.realip_remote_addr()
        } else {
            info.peer_addr()
        }?;
        // "1.2.3.4", "1.2.3.4:5678" or "[::1]:5678".
        address.parse().ok().or_else(|| {
            address
                .parse::<std::net::SocketAddr>()
                .ok()
                .map(|socket| socket.ip())
        })
    }

    /// Seconds the client must wait, if it is over its limit.
    fn wait(&self, req: &ServiceRequest) -> Option<u64> {
        let limiter = self.limiter.as_ref()?;
        let client = self.client(req)?;
        limiter.check_key(&client).err().map(|not_until| {
            crate::accounts::seconds_up(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }
}

/// Forgets, once a minute, the clients quiet long enough to have their whole burst back, so
/// that many addresses do not grow the table without end; stops with the limiter.
fn sweep_now_and_then(limiter: std::sync::Weak<DefaultKeyedRateLimiter<IpAddr>>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
            match limiter.upgrade() {
                Some(limiter) => limiter.retain_recent(),
                None => break,
            }
        }
    });
}

/// Paths no client is limited on: probes and static files.
fn exempt(path: &str) -> bool {
    path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path.starts_with("/assets/")
        || path.starts_with("/api/docs")
}

/// Answers 429 with `Retry-After` to a client over its limit.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let wait = match req.app_data::<web::Data<AppState>>() {
        Some(state) if !exempt(req.path()) => state.limits.wait(&req),
        _ => None,
    };
    if let Some(seconds) = wait {
        let error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests from this address; try again in {seconds} s"),
        )
        .with_retry_after(seconds.clamp(1, 3600) as u32);
        return Ok(req
            .into_response(error.error_response())
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
