//! The scenario's `traffic` entries as real HTTP requests: from the client namespace on the
//! switch (`ClusterNet::add_client`), to a Service's ClusterIP (routed to a node's proxy) or to
//! a node's address at the Service's nodePort, at the entry's rate capped by `max_rps` (per
//! entry, in real seconds), with the entry's timeout and retries. Each request is one
//! `GET / HTTP/1.0`; a `200` is a success, its body names the pod that answered (the
//! stand-in images serve their hostname). Measured into the core's `ServiceReport` shape.

use crate::net::NetNs;
use cellsim_core::collections::OrdMap;
use cellsim_core::net::traffic::stats::{ServiceReport, SourceReport};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one Service's requests gave.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    pub requests: u64,
    pub failed: u64,
    pub retries: u64,
    pub latencies_us: Vec<u64>,
    pub failures: OrdMap<String, u64>,
    pub pods: OrdMap<String, u64>,
}

impl Measured {
    /// The `p`-th percentile (nearest rank) of the request latencies in µs; `None` without
    /// requests.
    pub fn latency_percentile_us(&self, p: u64) -> Option<u64> {
        super::track::percentile(&self.latencies_us, p)
    }

    pub fn report(&self, namespace: &str, name: &str) -> ServiceReport {
        let pct = |p: u64| {
            self.latency_percentile_us(p)
                .map_or(0.0, |us| (us as f64 / 1000.0 * 10.0).round() / 10.0)
        };
        ServiceReport {
            name: name.to_string(),
            namespace: namespace.to_string(),
            requests: self.requests,
            failed: self.failed,
            success_rate: if self.requests == 0 {
                0.0
            } else {
                (self.requests - self.failed) as f64 / self.requests as f64
            },
            p50_ms: pct(50),
            p99_ms: pct(99),
            retries: self.retries,
            failures: self.failures.clone(),
            pods: self.pods.clone(),
            client_switches: 0,
            calls: Vec::new(),
            series: Vec::new(),
        }
    }
}

impl Measured {
    /// The entry's line of the report's `traffic` section.
    pub fn source_report(&self, name: &str) -> SourceReport {
        let s = self.report("", name);
        SourceReport {
            name: name.to_string(),
            requests: s.requests,
            failed: s.failed,
            success_rate: s.success_rate,
            p50_ms: s.p50_ms,
            p99_ms: s.p99_ms,
        }
    }

    /// Add another measurement (two entries into one Service).
    pub fn merge(&mut self, m: &Measured) {
        self.requests += m.requests;
        self.failed += m.failed;
        self.retries += m.retries;
        self.latencies_us.extend(&m.latencies_us);
        for (k, v) in &m.failures {
            *self.failures.entry(k.clone()).or_insert(0) += v;
        }
        for (k, v) in &m.pods {
            *self.pods.entry(k.clone()).or_insert(0) += v;
        }
    }
}

/// One running traffic entry.
pub struct Source {
    /// The entry's name (`traffic[].name`, else its Service's or `host/path`).
    pub entry: String,
    /// Everything the entry sent.
    pub measured: Arc<Mutex<Measured>>,
    /// Per Service that served (an ingress entry's requests go to the Service the ingress
    /// chose: its `X-Cellsim-Backend` answer header; a request no Service got, e.g. a 404,
    /// counts only for the entry).
    pub by_service: Arc<Mutex<BTreeMap<(String, String), Measured>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Where and how an entry sends.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddrV4,
    /// Requests per real second for the whole entry.
    pub rps: f64,
    pub clients: u32,
    pub timeout: Duration,
    pub retries: u32,
    /// The request's path and `Host` (default `/` and the address) and extra headers.
    pub path: String,
    pub host: Option<String>,
    pub headers: OrdMap<String, String>,
    /// The Service the requests count for (`None`: the one the ingress answer names).
    pub service: Option<(String, String)>,
}

impl Source {
    /// Start `t.clients` client threads (at most 8) inside `client`, until `stop`.
    pub fn start(client: &NetNs, entry: &str, t: Target, stop: Arc<AtomicBool>) -> Source {
        let measured = Arc::new(Mutex::new(Measured::default()));
        let by_service = Arc::new(Mutex::new(BTreeMap::new()));
        let n = t.clients.clamp(1, 8);
        let period = Duration::from_secs_f64(n as f64 / t.rps.max(0.1));
        let mut threads = Vec::new();
        for i in 0..n {
            let (m, stop, t, ns) = (measured.clone(), stop.clone(), t.clone(), client.clone());
            let per = by_service.clone();
            threads.push(std::thread::spawn(move || {
                // The thread's sockets are made inside the client namespace.
                let _ = ns.run(move || {
                    // Spread the clients over the first period.
                    std::thread::sleep(period.mul_f64(i as f64 / n as f64));
                    let mut next = Instant::now();
                    while !stop.load(Ordering::SeqCst) {
                        let mut attempt = 0;
                        let t0 = Instant::now();
                        let (outcome, backend) = loop {
                            let (r, b) = get(&t);
                            if r.is_ok() || attempt >= t.retries {
                                break (r, b);
                            }
                            attempt += 1;
                        };
                        let took = t0.elapsed();
                        let record = |m: &mut Measured| {
                            m.requests += 1;
                            m.retries += attempt as u64;
                            match &outcome {
                                Ok(pod) => {
                                    m.latencies_us.push(took.as_micros() as u64);
                                    *m.pods.entry(pod.clone()).or_insert(0) += 1;
                                }
                                Err(reason) => {
                                    m.failed += 1;
                                    *m.failures.entry(reason.clone()).or_insert(0) += 1;
                                }
                            }
                        };
                        record(&mut m.lock().expect("lock"));
                        if let Some(key) = t.service.clone().or(backend) {
                            record(per.lock().expect("lock").entry(key).or_default());
                        }
                        next += period;
                        let now = Instant::now();
                        if next > now {
                            sleep_unless(&stop, next - now);
                        } else {
                            next = now;
                        }
                    }
                });
            }));
        }
        Source {
            entry: entry.to_string(),
            measured,
            by_service,
            threads,
        }
    }

    /// Wait for the client threads (after `stop` was set): the entry's and per Service.
    pub fn join(self) -> (Measured, BTreeMap<(String, String), Measured>) {
        for t in self.threads {
            let _ = t.join();
        }
        let m = self.measured.lock().expect("lock").clone();
        let per = self.by_service.lock().expect("lock").clone();
        (m, per)
    }
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= end {
            return;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// One GET; the body (trimmed) or why it failed, and the Service an ingress answer names.
fn get(t: &Target) -> (Result<String, String>, Option<(String, String)>) {
    let mut backend = None;
    let r = get_inner(t, &mut backend);
    (r, backend)
}

fn get_inner(t: &Target, backend: &mut Option<(String, String)>) -> Result<String, String> {
    let (addr, timeout) = (t.addr, t.timeout);
    let deadline = Instant::now() + timeout;
    let mut c = TcpStream::connect_timeout(&addr.into(), timeout).map_err(|e| {
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timeout",
            std::io::ErrorKind::ConnectionRefused => "refused",
            _ => "connect",
        }
        .to_string()
    })?;
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    c.set_read_timeout(Some(left))
        .map_err(|_| "connect".to_string())?;
    c.set_write_timeout(Some(left))
        .map_err(|_| "connect".to_string())?;
    let host = t.host.clone().unwrap_or_else(|| addr.to_string());
    let mut req = format!("GET {} HTTP/1.0\r\nHost: {host}\r\n", t.path);
    for (k, v) in &t.headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes())
        .map_err(|_| "reset".to_string())?;
    let mut buf = Vec::new();
    match c.read_to_end(&mut buf) {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            return Err("timeout".into())
        }
        Err(_) => return Err("reset".into()),
    }
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    *backend = head.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        let (ns, svc) = v.trim().split_once('/')?;
        k.trim()
            .eq_ignore_ascii_case(super::ingress::BACKEND_HEADER)
            .then(|| (ns.to_string(), svc.to_string()))
    });
    let status = text.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        return Err(if text.is_empty() {
            "reset".to_string()
        } else {
            format!("http {status}")
        });
    }
    Ok(body.trim().to_string())
}
