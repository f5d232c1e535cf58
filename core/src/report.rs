//! The run report: the JSON contract of `cellsim run --json` and the human summary.

use crate::api::pod::PodPhase;
use crate::api::quantity::Quantity;
use crate::api::resources::{CPU, MEMORY};
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::sched::{Decision, SchedulingStats};
use crate::sim::Sim;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExpectationResult {
    pub description: String,
    pub passed: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PodCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    pub name: String,
    pub allocatable: OrdMap<String, String>,
    pub requested: OrdMap<String, String>,
    pub pods: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unschedulable: bool,
    pub ready: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PendingPod {
    pub pod: String,
    pub message: String,
}

/// Field names are the design's contract; new fields may be added, none renamed.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub scenario: String,
    /// The scenario's `metadata.description`: what it shows and why.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub seed: u64,
    pub simulated_seconds: u64,
    pub trace_hash: String,
    pub events: u64,
    pub expectations: Vec<ExpectationResult>,
    pub pods: PodCounts,
    pub nodes: Vec<NodeReport>,
    pub pending_pods: Vec<PendingPod>,
    pub scheduling: SchedulingStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<Decision>>,
    /// Every Service that received requests (`spec.traffic` and downstream calls).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<crate::net::traffic::stats::ServiceReport>,
    /// Every traffic source, as its clients saw it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub traffic: Vec<crate::net::traffic::stats::SourceReport>,
}

impl Report {
    pub fn build(sim: &Sim, expectations: Vec<ExpectationResult>) -> Report {
        let mut counts = PodCounts::default();
        let mut per_node: OrdMap<&str, (i64, i64, u64)> = OrdMap::new();
        let mut pending_pods = Vec::new();
        for o in sim.store.objects(Kind::Pod) {
            let Object::Pod(p) = o else { continue };
            match p.status.phase {
                PodPhase::Pending | PodPhase::Unknown => counts.pending += 1,
                PodPhase::Running => counts.running += 1,
                PodPhase::Succeeded => counts.succeeded += 1,
                PodPhase::Failed => counts.failed += 1,
            }
            if p.spec.node_name.is_empty() {
                if !p.is_terminal() {
                    pending_pods.push(PendingPod {
                        pod: p.key(),
                        message: p.status.unschedulable_message.clone(),
                    });
                }
            } else if !p.is_terminal() {
                let r = p.requests();
                let e = per_node.entry(&p.spec.node_name).or_default();
                e.0 = e.0.saturating_add(r.milli_cpu);
                e.1 = e.1.saturating_add(r.memory);
                e.2 += 1;
            }
        }
        let nodes = sim
            .store
            .objects(Kind::Node)
            .filter_map(|o| match o {
                Object::Node(n) => Some(n),
                _ => None,
            })
            .map(|n| {
                let alloc = n.allocatable();
                let pick = |k: &str| {
                    alloc
                        .get(k)
                        .map(|q| q.to_string())
                        .unwrap_or_else(|| "0".into())
                };
                let (cpu, mem, pods) = per_node
                    .get(n.metadata.name.as_str())
                    .copied()
                    .unwrap_or_default();
                NodeReport {
                    name: n.metadata.name.clone(),
                    allocatable: OrdMap::from_iter([
                        (CPU.into(), pick(CPU)),
                        (MEMORY.into(), pick(MEMORY)),
                    ]),
                    requested: OrdMap::from_iter([
                        (CPU.into(), Quantity::from_milli(cpu).to_string()),
                        (MEMORY.into(), Quantity::from_value(mem, true).to_string()),
                    ]),
                    pods,
                    unschedulable: n.spec.unschedulable,
                    ready: n.is_ready(),
                }
            })
            .collect();
        let (services, traffic) = sim.traffic.as_ref().map(|t| t.report()).unwrap_or_default();
        Report {
            scenario: sim.scenario.name.clone(),
            description: sim.scenario.description.trim().to_string(),
            seed: sim.seed,
            simulated_seconds: sim.now.millis() / 1000,
            trace_hash: sim.trace.hash_hex(),
            events: sim.trace.events(),
            expectations,
            pods: counts,
            nodes,
            pending_pods,
            scheduling: sim.scheduler.stats.clone(),
            decisions: sim
                .scheduler
                .explain
                .then(|| sim.scheduler.decisions.clone()),
            services,
            traffic,
        }
    }

    pub fn all_passed(&self) -> bool {
        self.expectations.iter().all(|e| e.passed)
    }

    /// A `kubectl get`-style summary.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        out += &format!(
            "scenario {}  seed {}  simulated {}s  events {}\ntrace sha256 {}\n\n",
            self.scenario, self.seed, self.simulated_seconds, self.events, self.trace_hash
        );
        if !self.description.is_empty() {
            out += &wrap(&self.description, 96);
            out += "\n";
        }
        let rows: Vec<[String; 5]> = self
            .nodes
            .iter()
            .map(|n| {
                let status = match (n.ready, n.unschedulable) {
                    (true, false) => "Ready".to_string(),
                    (true, true) => "Ready,SchedulingDisabled".to_string(),
                    (false, false) => "NotReady".to_string(),
                    (false, true) => "NotReady,SchedulingDisabled".to_string(),
                };
                let frac = |k: &str| {
                    format!(
                        "{}/{}",
                        n.requested.get(k).map_or("0", |s| s.as_str()),
                        n.allocatable.get(k).map_or("0", |s| s.as_str())
                    )
                };
                [
                    n.name.clone(),
                    status,
                    frac(CPU),
                    frac(MEMORY),
                    n.pods.to_string(),
                ]
            })
            .collect();
        out += &table(
            [
                "NODE",
                "STATUS",
                "CPU(req/alloc)",
                "MEMORY(req/alloc)",
                "PODS",
            ],
            &rows,
        );
        out += &format!(
            "\npods: {} running, {} pending, {} succeeded, {} failed\nscheduling: {} attempts, {} scheduled, {} unschedulable, {} preemptions\n",
            self.pods.running, self.pods.pending, self.pods.succeeded, self.pods.failed,
            self.scheduling.attempts, self.scheduling.scheduled, self.scheduling.unschedulable, self.scheduling.preemptions
        );
        if !self.services.is_empty() {
            out += "\n";
            out += &self.services_summary();
        }
        if !self.pending_pods.is_empty() {
            out += "\n";
            let rows: Vec<[String; 2]> = self
                .pending_pods
                .iter()
                .map(|p| [p.pod.clone(), p.message.clone()])
                .collect();
            out += &table(["PENDING POD", "REASON"], &rows);
        }
        if !self.expectations.is_empty() {
            out += "\n";
            let rows: Vec<[String; 3]> = self
                .expectations
                .iter()
                .map(|e| {
                    [
                        if e.passed { "PASS" } else { "FAIL" }.to_string(),
                        e.description.clone(),
                        e.detail.clone(),
                    ]
                })
                .collect();
            out += &table(["RESULT", "EXPECTATION", "DETAIL"], &rows);
            let failed = self.expectations.iter().filter(|e| !e.passed).count();
            out += &format!(
                "\n{} of {} expectations passed\n",
                self.expectations.len() - failed,
                self.expectations.len()
            );
        }
        out
    }
}

impl Report {
    /// The services table, each Service's failures by reason, and where they happened.
    fn services_summary(&self) -> String {
        let pct = |r: f64| format!("{:.3}%", r * 100.0);
        let rows: Vec<[String; 7]> = self
            .services
            .iter()
            .map(|s| {
                [
                    format!("{}/{}", s.namespace, s.name),
                    s.requests.to_string(),
                    s.failed.to_string(),
                    pct(s.success_rate),
                    format!("{}", s.p50_ms),
                    format!("{}", s.p99_ms),
                    s.pods.len().to_string(),
                ]
            })
            .collect();
        let mut out = table(
            [
                "SERVICE", "REQUESTS", "FAILED", "SUCCESS", "P50(ms)", "P99(ms)", "PODS",
            ],
            &rows,
        );
        for s in self.services.iter().filter(|s| s.failed > 0) {
            let why: Vec<String> = s.failures.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let bad: Vec<&crate::net::traffic::stats::SeriesPoint> =
                s.series.iter().filter(|p| p.failed > 0).collect();
            let when = match (bad.first(), bad.last()) {
                (Some(a), Some(b)) => format!(
                    "; failing windows {}s..{}s ({} of {})",
                    a.t,
                    b.t,
                    bad.len(),
                    s.series.len()
                ),
                _ => String::new(),
            };
            out += &format!(
                "{}: {} failed ({}){when}\n",
                s.name,
                s.failed,
                why.join(", ")
            );
        }
        if !self.traffic.is_empty() {
            out += "\n";
            let rows: Vec<[String; 6]> = self
                .traffic
                .iter()
                .map(|t| {
                    [
                        t.name.clone(),
                        t.requests.to_string(),
                        t.failed.to_string(),
                        pct(t.success_rate),
                        format!("{}", t.p50_ms),
                        format!("{}", t.p99_ms),
                    ]
                })
                .collect();
            out += &table(
                [
                    "TRAFFIC", "REQUESTS", "FAILED", "SUCCESS", "P50(ms)", "P99(ms)",
                ],
                &rows,
            );
        }
        out
    }
}

/// Words wrapped at `width` columns, one line each.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            out += &line;
            out += "\n";
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line += w;
    }
    if !line.is_empty() {
        out += &line;
        out += "\n";
    }
    out
}

/// Left-aligned columns separated by three spaces, as kubectl prints (the summaries here and
/// the CLI's planning tables).
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut width = header.map(str::len);
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                s += c;
            } else {
                s += &format!("{c:<w$}   ", w = width[i]);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out += &line(r.iter().map(String::as_str).collect());
    }
    out
}
