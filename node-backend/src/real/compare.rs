//! The simulated run of the same scenario and seed next to the real one: placements must be
//! equal (parity), timings are put side by side (start latencies, rollout durations, request
//! success and latency per Service).

use super::track::{percentile, Tracker};
use super::RealRun;
use cellsim_core::net::traffic::stats::ServiceReport;
use cellsim_core::scenario::Scenario;
use cellsim_core::sim::{RunOptions, Sim};
use serde::Serialize;
use std::collections::BTreeMap;

/// The simulated run, tracked as the real one is.
pub struct Simulated {
    pub tracker: Tracker,
    pub services: Vec<ServiceReport>,
}

pub fn simulate(scenario: Scenario, seed: Option<u64>) -> Simulated {
    let mut sim = Sim::new(
        scenario,
        &RunOptions {
            seed,
            ..RunOptions::default()
        },
    );
    let mut tracker = Tracker::new(&sim);
    tracker.observe(&sim);
    while sim.step() {
        tracker.observe(&sim);
    }
    tracker.observe(&sim);
    let services = sim.report().services;
    Simulated { tracker, services }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub what: String,
    pub sim: String,
    pub real: String,
}

/// `cellsim run --real`'s comparison section.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SideBySide {
    /// Same (owner, node) bindings with the same counts in both runs.
    pub placements_equal: bool,
    /// `owner → node: sim count / real count` where they differ.
    pub placement_diffs: Vec<String>,
    /// Every binding of the real run: `owner → node × count`.
    pub placements: Vec<String>,
    pub rows: Vec<Row>,
    pub real_services: Vec<ServiceReport>,
    pub sim_services: Vec<ServiceReport>,
}

fn ms(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1}s", v as f64 / 1000.0))
}

pub fn side_by_side(sim: &Simulated, real: &RealRun) -> SideBySide {
    let (ps, pr) = (sim.tracker.placements(), real.tracker.placements());
    let mut diffs = Vec::new();
    let keys: std::collections::BTreeSet<_> = ps.keys().chain(pr.keys()).cloned().collect();
    for k in keys {
        let (a, b) = (
            ps.get(&k).copied().unwrap_or(0),
            pr.get(&k).copied().unwrap_or(0),
        );
        if a != b {
            diffs.push(format!("{} → {}: sim {a} / real {b}", k.0, k.1));
        }
    }
    let placements = pr
        .iter()
        .map(|((o, n), c)| format!("{o} → {n} ×{c}"))
        .collect();
    let mut rows = Vec::new();
    let (ls, lr) = (
        sim.tracker.start_latencies(),
        real.tracker.start_latencies(),
    );
    rows.push(Row {
        what: "pods started (Ready)".into(),
        sim: ls.len().to_string(),
        real: lr.len().to_string(),
    });
    for p in [50, 90, 100] {
        rows.push(Row {
            what: format!("start latency p{p}"),
            sim: ms(percentile(&ls, p)),
            real: ms(percentile(&lr, p)),
        });
    }
    let (rs, rr) = (sim.tracker.rollouts(), real.tracker.rollouts());
    let mut names: Vec<&String> = rs.keys().chain(rr.keys()).collect();
    names.sort();
    names.dedup();
    for d in names {
        rows.push(Row {
            what: format!("rollout {d}"),
            sim: rs.get(d).map_or("-".into(), |v| ms(*v)),
            real: rr.get(d).map_or("-".into(), |v| ms(*v)),
        });
    }
    let by_key = |v: &[ServiceReport]| -> BTreeMap<String, ServiceReport> {
        v.iter()
            .map(|s| (format!("{}/{}", s.namespace, s.name), s.clone()))
            .collect()
    };
    let (ss, sr) = (by_key(&sim.services), by_key(&real.services));
    let mut svc: Vec<&String> = ss.keys().chain(sr.keys()).collect();
    svc.sort();
    svc.dedup();
    for k in svc {
        let (a, b) = (ss.get(k), sr.get(k));
        let rate = |s: Option<&ServiceReport>| {
            s.map_or("-".into(), |s| {
                format!("{:.1}% of {}", s.success_rate * 100.0, s.requests)
            })
        };
        let lat = |s: Option<&ServiceReport>| {
            s.map_or("-".into(), |s| format!("{}ms / {}ms", s.p50_ms, s.p99_ms))
        };
        rows.push(Row {
            what: format!("{k} success"),
            sim: rate(a),
            real: rate(b),
        });
        rows.push(Row {
            what: format!("{k} latency p50 / p99"),
            sim: lat(a),
            real: lat(b),
        });
    }
    SideBySide {
        placements_equal: diffs.is_empty(),
        placement_diffs: diffs,
        placements,
        rows,
        real_services: real.services.clone(),
        sim_services: sim.services.clone(),
    }
}

impl SideBySide {
    /// The human summary.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "Placements (pod owner → node): {}\n",
            if self.placements_equal {
                "same as the simulation"
            } else {
                "DIFFER from the simulation"
            }
        ));
        for p in &self.placements {
            out.push_str(&format!("  {p}\n"));
        }
        for d in &self.placement_diffs {
            out.push_str(&format!("  differs: {d}\n"));
        }
        let w = self
            .rows
            .iter()
            .map(|r| r.what.len())
            .max()
            .unwrap_or(0)
            .max(4);
        let ws = self
            .rows
            .iter()
            .map(|r| r.sim.len())
            .max()
            .unwrap_or(0)
            .max(3);
        out.push_str(&format!("\n{:<w$}  {:<ws$}  REAL\n", "", "SIM"));
        for r in &self.rows {
            out.push_str(&format!("{:<w$}  {:<ws$}  {}\n", r.what, r.sim, r.real));
        }
        for s in &self.real_services {
            if !s.pods.is_empty() {
                let pods: Vec<String> = s.pods.iter().map(|(p, n)| format!("{p} {n}")).collect();
                out.push_str(&format!(
                    "\n{}/{}: answered by {}\n",
                    s.namespace,
                    s.name,
                    pods.join(", ")
                ));
            }
            if !s.failures.is_empty() {
                let f: Vec<String> = s.failures.iter().map(|(p, n)| format!("{p} {n}")).collect();
                out.push_str(&format!(
                    "{}/{}: failures {}\n",
                    s.namespace,
                    s.name,
                    f.join(", ")
                ));
            }
        }
        out
    }
}
