//! What the traffic model counts per Service: requests, failures by reason, latency of the
//! successful ones, per time window; and the report's `services` entries built from it.

use super::histogram::Histogram;
use crate::collections::OrdMap;
use serde::Serialize;

/// Why a request failed (after its retries: the last attempt's reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// The proxy had no endpoint for it (iptables REJECT: connection refused), or an
    /// Ingress had no matching rule (404).
    NoEndpoints,
    /// Routed to a pod whose application does not accept connections: not started yet, or
    /// after SIGTERM, or exited — the endpoint change had not reached the proxy yet.
    NotServing,
    /// The pod answered with an error (`behavior.unhealthyAfter`).
    AppError,
    /// No answer within the client's timeout: the node is down (packets are dropped), or the
    /// pod's queue was too long.
    Timeout,
    /// A downstream call failed.
    Downstream,
}

impl Failure {
    pub const ALL: [Failure; 5] = [
        Failure::NoEndpoints,
        Failure::NotServing,
        Failure::AppError,
        Failure::Timeout,
        Failure::Downstream,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Failure::NoEndpoints => "noEndpoints",
            Failure::NotServing => "notServing",
            Failure::AppError => "appError",
            Failure::Timeout => "timeout",
            Failure::Downstream => "downstream",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Window {
    pub requests: u64,
    pub failed: u64,
    pub latency: Histogram,
}

/// Counters of one Service (or one traffic source).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub requests: u64,
    pub failed: u64,
    /// Attempts beyond the first.
    pub retries: u64,
    pub failures: [u64; 5],
    pub windows: Vec<Window>,
}

impl Stats {
    fn window(&mut self, w: usize) -> &mut Window {
        if self.windows.len() <= w {
            self.windows.resize_with(w + 1, Window::default);
        }
        &mut self.windows[w]
    }

    pub fn ok(&mut self, w: usize, latency_us: u64) {
        self.requests += 1;
        let win = self.window(w);
        win.requests += 1;
        win.latency.add(latency_us, 1);
    }

    pub fn fail(&mut self, w: usize, why: Failure) {
        self.requests += 1;
        self.failed += 1;
        self.failures[why as usize] += 1;
        let win = self.window(w);
        win.requests += 1;
        win.failed += 1;
    }

    /// Requests, failures and latency over the windows starting at or after `since_window`.
    pub fn since(&self, since_window: usize) -> (u64, u64, Histogram) {
        let mut h = Histogram::default();
        let (mut r, mut f) = (0, 0);
        for w in self.windows.iter().skip(since_window) {
            r += w.requests;
            f += w.failed;
            h.merge(&w.latency);
        }
        (r, f, h)
    }
}

/// Milliseconds with three decimals from microseconds (exact: µs / 1000).
pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Success rate rounded to 6 decimals (1 when there were no requests).
pub fn rate(requests: u64, failed: u64) -> f64 {
    if requests == 0 {
        return 1.0;
    }
    let ppm = ((requests - failed) as u128 * 1_000_000 / requests as u128) as f64;
    ppm / 1_000_000.0
}

/// Success rate, p50 and p99 (ms) over the whole run.
pub fn summary(stats: &Stats) -> (f64, f64, f64) {
    let (_, _, h) = stats.since(0);
    (
        rate(stats.requests, stats.failed),
        ms(h.percentile(50)),
        ms(h.percentile(99)),
    )
}

/// One Service in the report (`services[]`).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceReport {
    pub name: String,
    pub namespace: String,
    pub requests: u64,
    pub failed: u64,
    pub success_rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub retries: u64,
    /// Failed requests by reason (only reasons that occurred).
    pub failures: OrdMap<String, u64>,
    /// Requests (attempts) each pod received, by pod name.
    pub pods: OrdMap<String, u64>,
    /// Requests that went to another pod than the same client's previous one (0 with
    /// ClientIP session affinity while the pods stay).
    pub client_switches: u64,
    /// The Services its pods call (the dependency graph's edges).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<String>,
    pub series: Vec<SeriesPoint>,
}

/// One time window of a Service.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeriesPoint {
    /// Window start, simulated seconds.
    pub t: u64,
    pub requests: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// One traffic source in the report (`traffic[]`).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SourceReport {
    pub name: String,
    pub requests: u64,
    pub failed: u64,
    pub success_rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub fn series(stats: &Stats, window_ms: u64) -> Vec<SeriesPoint> {
    stats
        .windows
        .iter()
        .enumerate()
        .map(|(i, w)| SeriesPoint {
            t: i as u64 * window_ms / 1000,
            requests: w.requests,
            failed: w.failed,
            p50_ms: ms(w.latency.percentile(50)),
            p99_ms: ms(w.latency.percentile(99)),
        })
        .collect()
}

pub fn failures(stats: &Stats) -> OrdMap<String, u64> {
    OrdMap::from_iter(
        Failure::ALL
            .iter()
            .filter(|f| stats.failures[**f as usize] > 0)
            .map(|f| (f.name().to_string(), stats.failures[*f as usize])),
    )
}
