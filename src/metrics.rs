//! Prometheus metrics of this process, served at `/metrics`: requests, bookings, plans,
//! notices sent, the SQLite writer's batches; the notice queue and the database pool are read
//! when scraped.

use std::sync::LazyLock;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub requests: HistogramVec,
    pub bookings: IntCounterVec,
    pub plans: HistogramVec,
    pub notices: IntCounterVec,
    pub writer_batch: Histogram,
    pub queue: IntGaugeVec,
    pub oldest_due_seconds: IntGauge,
    pub pool: IntGaugeVec,
}

fn register<C: prometheus::core::Collector + Clone + 'static>(registry: &Registry, c: C) -> C {
    registry
        .register(Box::new(c.clone()))
        .expect("metric names are unique");
    c
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new_custom(Some("bloodmobile".into()), None).expect("registry");
    let seconds =
        |name: &str, help: &str, buckets: Vec<f64>| HistogramOpts::new(name, help).buckets(buckets);
    let fast = vec![
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    Metrics {
        requests: register(
            &registry,
            HistogramVec::new(
                seconds(
                    "http_request_duration_seconds",
                    "HTTP requests by method, route pattern and status",
                    fast,
                ),
                &["method", "route", "status"],
            )
            .expect("requests"),
        ),
        bookings: register(
            &registry,
            IntCounterVec::new(
                Opts::new("bookings_total", "Booking attempts by outcome (created, or the error code)"),
                &["outcome"],
            )
            .expect("bookings"),
        ),
        plans: register(
            &registry,
            HistogramVec::new(
                seconds(
                    "plan_duration_seconds",
                    "Planning a station-day end to end (load, solve, store), by origin (plan, reoptimise, vehicle_out)",
                    vec![0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0],
                ),
                &["origin"],
            )
            .expect("plans"),
        ),
        notices: register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "notices_total",
                    "Notices this process's worker handled, by outcome (sent, retry, deferred, failed, skipped)",
                ),
                &["outcome"],
            )
            .expect("notices"),
        ),
        writer_batch: register(
            &registry,
            Histogram::with_opts(
                HistogramOpts::new(
                    "sqlite_writer_batch_size",
                    "Writes committed together by the SQLite writer (group commit)",
                )
                .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
            )
            .expect("writer batches"),
        ),
        queue: register(
            &registry,
            IntGaugeVec::new(
                Opts::new("notice_queue", "Notices by status (pending, sending, failed)"),
                &["status"],
            )
            .expect("queue"),
        ),
        oldest_due_seconds: register(
            &registry,
            IntGauge::new(
                "notice_oldest_due_age_seconds",
                "How long the oldest due notice has waited (0 when none waits)",
            )
            .expect("oldest due"),
        ),
        pool: register(
            &registry,
            IntGaugeVec::new(
                Opts::new("db_pool_connections", "Database pool connections (open, idle)"),
                &["state"],
            )
            .expect("pool"),
        ),
        registry,
    }
});

pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    /// Everything in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// Counts one booking attempt by its outcome.
pub fn count_booking(result: &Result<crate::booking::Created, crate::booking::BookingError>) {
    use crate::booking::{BookingError, Created};
    let outcome = match result {
        Ok(Created::New(_)) => "created",
        Ok(Created::Replayed { .. }) => "replayed",
        Err(BookingError::Full { .. }) => "full",
        Err(BookingError::AlreadyBooked) => "already_booked",
        Err(BookingError::Ineligible { .. } | BookingError::HistoryConflict { .. }) => "ineligible",
        Err(BookingError::Calendar(_)) => "closed",
        Err(BookingError::Db(e)) if e.is_unavailable() => "unavailable",
        Err(BookingError::Db(_)) => "error",
        Err(_) => "invalid",
    };
    metrics().bookings.with_label_values(&[outcome]).inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_in_the_text_format() {
        let m = metrics();
        m.bookings.with_label_values(&["created"]).inc();
        m.writer_batch.observe(3.0);
        let text = m.render();
        assert!(
            text.contains("bloodmobile_bookings_total{outcome=\"created\"}"),
            "{text}"
        );
        assert!(
            text.contains("bloodmobile_sqlite_writer_batch_size_bucket"),
            "{text}"
        );
    }
}
