//! What the service is doing, in Prometheus' terms: the counters and histograms the request
//! path, the use cases, the pool and the scheduler add to as they work, and the gauges the
//! scrape sets from the database. One registry per process (a second server in the same
//! process adds to the same series). Labels carry route templates, methods, statuses, channel,
//! action and error codes, and organization codes: never personal data or an appeal's or a
//! user's id.

use prometheus::{Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};
use std::sync::OnceLock;
use std::time::Duration;

/// Every series of the process.
pub struct Telemetry {
    registry: Registry,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    registrations: IntCounterVec,
    actions: IntCounterVec,
    refusals: IntCounterVec,
    dispatched: IntCounterVec,
    scheduler_passes: IntCounterVec,
    scheduler_last: Gauge,
    scheduler_seconds: Gauge,
    pool_waits: IntCounter,
    pool_timeouts: IntCounter,
    pool_wait_seconds: Histogram,
    /// Pooled connections by state (`in_use`, `idle`) and the pool's size (`max`), set at scrape.
    pub pool_connections: IntGaugeVec,
    /// Outbox rows by status (`pending`, `failed`), set at scrape.
    pub outbox: IntGaugeVec,
    /// Age of the oldest pending outbox row that is due, seconds (0 when none), set at scrape.
    pub outbox_oldest_pending: Gauge,
    /// Open appeals per organization code and state (`open`, `due_today`, `overdue`), set at scrape.
    pub open_appeals: IntGaugeVec,
    /// Constant 1 labelled with the version and the backend.
    pub build_info: IntGaugeVec,
}

/// Methods named in labels; anything else is `other`, so a client cannot add series at will.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn registered<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: T) -> T {
    r.register(Box::new(c.clone())).expect("metric names are unique");
    c
}

impl Telemetry {
    fn new() -> Telemetry {
        let r = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| registered(&r, IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter"));
        let gauges = |name: &str, help: &str, labels: &[&str]| registered(&r, IntGaugeVec::new(Opts::new(name, help), labels).expect("valid gauge"));
        let gauge = |name: &str, help: &str| registered(&r, Gauge::new(name, help).expect("valid gauge"));
        let http_seconds = HistogramVec::new(
            HistogramOpts::new("appeals_http_request_duration_seconds", "HTTP request latency by route template and method").buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["route", "method"],
        )
        .expect("valid histogram");
        let pool_wait = Histogram::with_opts(HistogramOpts::new("appeals_db_pool_wait_seconds", "Time a request waited for a pooled database connection").buckets(vec![0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0, 30.0]))
            .expect("valid histogram");
        Telemetry {
            http_requests: counter("appeals_http_requests_total", "HTTP requests by route template, method and status", &["route", "method", "status"]),
            http_seconds: registered(&r, http_seconds),
            registrations: counter("appeals_registrations_total", "Appeals registered, by channel", &["channel"]),
            actions: counter("appeals_control_actions_total", "Control actions committed, by action", &["action"]),
            refusals: counter("appeals_refusals_total", "Requests refused, by the problem document's code", &["code"]),
            dispatched: counter("appeals_outbox_dispatched_total", "Outbox rows handled by the dispatcher, by result (sent, retried, failed, cancelled)", &["result"]),
            scheduler_passes: counter("appeals_scheduler_passes_total", "Scheduler passes, by result (ok, failed)", &["result"]),
            scheduler_last: gauge("appeals_scheduler_last_pass_timestamp_seconds", "When the scheduler's last pass ended (Unix time)"),
            scheduler_seconds: gauge("appeals_scheduler_last_pass_duration_seconds", "How long the scheduler's last pass took"),
            pool_waits: registered(&r, IntCounter::new("appeals_db_pool_waits_total", "Connection checkouts that waited 1 ms or more for a free connection").expect("valid counter")),
            pool_timeouts: registered(&r, IntCounter::new("appeals_db_pool_timeouts_total", "Connection checkouts that gave up waiting").expect("valid counter")),
            pool_wait_seconds: registered(&r, pool_wait),
            pool_connections: gauges("appeals_db_pool_connections", "Pooled database connections by state (in_use, idle, max)", &["state"]),
            outbox: gauges("appeals_outbox_notifications", "Outbox rows waiting or given up, by status", &["status"]),
            outbox_oldest_pending: gauge("appeals_outbox_oldest_pending_seconds", "Age of the oldest due outbox row still pending"),
            open_appeals: gauges("appeals_open_appeals", "Appeals under consideration per organization: open, due today, overdue", &["organization", "state"]),
            build_info: gauges("appeals_build_info", "Version and database backend of the running binary", &["version", "backend"]),
            registry: r,
        }
    }

    /// One HTTP request answered.
    pub fn http(&self, route: &str, method: &str, status: u16, took: Duration) {
        let method = METHODS.iter().find(|m| **m == method).copied().unwrap_or("other");
        self.http_requests.with_label_values(&[route, method, &status.to_string()]).inc();
        self.http_seconds.with_label_values(&[route, method]).observe(took.as_secs_f64());
    }

    /// `n` appeals registered on `channel` (a channel code).
    pub fn registered(&self, channel: &str, n: u64) {
        self.registrations.with_label_values(&[channel]).inc_by(n);
    }

    /// A control action committed (`assign`, `extend`, …).
    pub fn action(&self, action: &str) {
        self.actions.with_label_values(&[action]).inc();
    }

    /// A request refused with a problem document of this `code`.
    pub fn refused(&self, code: &str) {
        self.refusals.with_label_values(&[code]).inc();
    }

    /// A scheduler pass ended: how long it took, whether it failed, what the dispatcher did.
    pub fn scheduler_pass(&self, took: Duration, ok: bool, sent: usize, retried: usize, failed: usize, cancelled: usize) {
        self.scheduler_passes.with_label_values(&[if ok { "ok" } else { "failed" }]).inc();
        self.scheduler_seconds.set(took.as_secs_f64());
        self.scheduler_last.set(chrono::Utc::now().timestamp_millis() as f64 / 1000.0);
        for (result, n) in [("sent", sent), ("retried", retried), ("failed", failed), ("cancelled", cancelled)] {
            self.dispatched.with_label_values(&[result]).inc_by(n as u64);
        }
    }

    /// A connection checkout finished after waiting `took`.
    pub fn pool_checkout(&self, took: Duration) {
        self.pool_wait_seconds.observe(took.as_secs_f64());
        if took >= Duration::from_millis(1) {
            self.pool_waits.inc();
        }
    }

    /// A connection checkout gave up.
    pub fn pool_timeout(&self) {
        self.pool_timeouts.inc();
    }

    /// Every series in Prometheus' text format.
    pub fn encode(&self) -> String {
        let mut out = Vec::new();
        // Encoding valid families into memory cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The process's series.
pub fn get() -> &'static Telemetry {
    static ONE: OnceLock<Telemetry> = OnceLock::new();
    ONE.get_or_init(Telemetry::new)
}

/// The content type of [`Telemetry::encode`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_carry_templates_and_codes_and_unknown_methods_fold() {
        let t = Telemetry::new();
        t.http("/api/v1/appeals/{id}", "GET", 200, Duration::from_millis(3));
        t.http("/api/v1/appeals/{id}", "BREW", 405, Duration::from_millis(1));
        t.registered("post", 2);
        t.refused("validation_failed");
        let text = t.encode();
        assert!(text.contains(r#"appeals_http_requests_total{method="GET",route="/api/v1/appeals/{id}",status="200"} 1"#), "{text}");
        assert!(text.contains(r#"method="other""#), "{text}");
        assert!(text.contains(r#"appeals_registrations_total{channel="post"} 2"#), "{text}");
        assert!(text.contains(r#"appeals_refusals_total{code="validation_failed"} 1"#), "{text}");
    }
}
