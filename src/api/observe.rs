//! Every request: a request id (the client's `x-request-id` if it is a sane one, else a new
//! one) on every log line of the request and in the response header, one access-log line with
//! the path but no query string (manage links carry their token there) and no phone number,
//! and the request's duration in the metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use rand::Rng;
use tracing::Instrument;

use crate::domain::donor::mask_contacts;
use crate::metrics::metrics;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        })
        .map(String::from)
        .unwrap_or_else(|| format!("{:016x}", rand::thread_rng().r#gen::<u64>()))
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    let span = tracing::info_span!("request", id = %id);
    let method = req.method().to_string();
    // A phone in the path (`/notices/opt-outs/{phone}`) is masked.
    let path = mask_contacts(req.path());
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed();
    let status = response.status();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    metrics()
        .requests
        .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
        .observe(elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "bloodmobile::http",
            "{method} {path} {} {:.1}ms",
            status.as_u16(),
            elapsed.as_secs_f64() * 1000.0
        )
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_paths_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_contacts("/api/v1/notices/opt-outs/+8613912345678"),
            "/api/v1/notices/opt-outs/+*********5678"
        );
        assert_eq!(
            mask_contacts("/api/v1/stations/12/days/2026-12-10/plan"),
            "/api/v1/stations/12/days/2026-12-10/plan"
        );
        assert_eq!(mask_contacts("/manage/BM-7K3Q9"), "/manage/BM-7K3Q9");
    }
}
