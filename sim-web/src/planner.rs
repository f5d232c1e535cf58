//! Capacity planning in the page: `cellsim plan`, `compact` and `compare` through the same
//! core functions (`cellsim_core::plan`), run one simulation per `Planner::step` so the app can
//! spread a search over animation frames and show every probe as it completes.
//!
//! Plain Rust over the core (no DOM): tested natively against the one-shot functions the CLI
//! calls.

use crate::session::TextSources;
use cellsim_core::collections::OrdSet;
use cellsim_core::plan::compare::{column, Column, Comparison};
use cellsim_core::plan::metrics::{Packing, Utilization};
use cellsim_core::plan::{
    CompactOptions, CompactSearch, CompactStep, Compaction, Headroom, PlanError, PlanOptions,
    PlanResult, PlanSearch, PlanStep,
};
use cellsim_core::scenario::Scenario;
use cellsim_core::sched::config::SchedulerConfig;
use cellsim_core::yaml::{self, LoadError, Mark};

/// The FGD paper's Random policy (`docs/schedulers/random.yaml`): compare's first default.
pub const RANDOM_YAML: &str = include_str!("../../docs/schedulers/random.yaml");
/// Best fit (`docs/schedulers/best-fit.yaml`): compare's second default.
pub const BEST_FIT_YAML: &str = include_str!("../../docs/schedulers/best-fit.yaml");

/// A planning question, as the panel's form asks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// `cellsim plan --pool POOL [--headroom-nodes K | --headroom-zone] [--seed N]`.
    Plan {
        pool: String,
        headroom: Headroom,
        seed: Option<u64>,
    },
    /// `cellsim compact --seeds N` (trials from the scenario's seed, or `seed` when set).
    Compact { seeds: u32, seed: Option<u64> },
    /// `cellsim compare --scheduler A --scheduler B [--seed N]`: (name, YAML) of each.
    Compare {
        configs: Vec<(String, String)>,
        seed: Option<u64>,
    },
}

/// Why a question could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("{0}")]
    Plan(#[from] PlanError),
}

/// One completed simulation (or settled size/trial), for the progress list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// What was tried: "3 nodes", "seed 7: 5 machines", "random.yaml".
    pub what: String,
    /// Nodes or machines of that run (0 for compare).
    pub size: u32,
    pub fits: bool,
    pub reason: String,
    /// A settled size or trial (a summary row), not a single simulation.
    pub settled: bool,
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Plan(Result<PlanResult, PlanError>),
    Compact(Result<Compaction, PlanError>),
    Compare(Comparison),
}

enum Work {
    Plan(Box<PlanSearch>),
    Compact(Box<CompactSearch>),
    Compare {
        scenario: Box<Scenario>,
        configs: Vec<(String, SchedulerConfig)>,
        seed: Option<u64>,
        columns: Vec<Column>,
    },
}

/// A running (or finished) planning question.
pub struct Planner {
    work: Work,
    /// Every probe so far, in order.
    pub probes: Vec<Probe>,
    /// Simulations run so far.
    pub simulations: u32,
    pub answer: Option<Answer>,
}

/// Decode one KubeSchedulerConfiguration document (as `cellsim compare` reads its files).
pub fn load_config(name: &str, text: &str) -> Result<SchedulerConfig, LoadError> {
    let docs = yaml::parse_documents(name, text)?;
    match docs.as_slice() {
        [d] => cellsim_core::sched::config::decode(name, d),
        [] => Err(LoadError::new(
            name,
            Mark { line: 1, column: 1 },
            "empty: expected a KubeSchedulerConfiguration",
        )),
        [_, second, ..] => Err(LoadError::new(
            name,
            second.mark,
            "expected one KubeSchedulerConfiguration document",
        )),
    }
}

impl Planner {
    /// Start `job` on the scenario text `text` (named `path`).
    pub fn start(path: &str, text: &str, job: Job) -> Result<Planner, PlannerError> {
        let scenario = cellsim_core::scenario::load(path, &TextSources { path, text })?;
        let work = match job {
            Job::Plan {
                pool,
                headroom,
                seed,
            } => Work::Plan(Box::new(PlanSearch::new(
                scenario,
                PlanOptions {
                    pool,
                    headroom,
                    seed,
                },
            )?)),
            Job::Compact { seeds, seed } => {
                let mut scenario = scenario;
                if let Some(seed) = seed {
                    scenario.seed = seed;
                }
                Work::Compact(Box::new(CompactSearch::new(
                    scenario,
                    &CompactOptions { seeds },
                )?))
            }
            Job::Compare { configs, seed } => {
                let mut decoded = Vec::new();
                for (name, text) in &configs {
                    decoded.push((name.clone(), load_config(name, text)?));
                }
                Work::Compare {
                    scenario: Box::new(scenario),
                    configs: decoded,
                    seed,
                    columns: Vec::new(),
                }
            }
        };
        Ok(Planner {
            work,
            probes: Vec::new(),
            simulations: 0,
            answer: None,
        })
    }

    pub fn finished(&self) -> bool {
        self.answer.is_some()
    }

    /// Run at most one simulation; false once the answer is in.
    pub fn step(&mut self) -> bool {
        if self.answer.is_some() {
            return false;
        }
        match &mut self.work {
            Work::Plan(search) => match search.step() {
                PlanStep::Simulated { nodes, lost } => {
                    self.simulations += 1;
                    self.probes.push(Probe {
                        what: if lost.is_empty() {
                            format!("{nodes} nodes")
                        } else {
                            format!("{nodes} nodes, without {lost}")
                        },
                        size: nodes,
                        fits: true,
                        reason: String::new(),
                        settled: false,
                    });
                }
                PlanStep::Tried(t) => {
                    // The size's last simulation settled it.
                    self.simulations += 1;
                    self.probes.push(Probe {
                        what: format!("{} nodes", t.nodes),
                        size: t.nodes,
                        fits: t.fits,
                        reason: t.reason,
                        settled: true,
                    });
                }
                PlanStep::Done(r) => self.answer = Some(Answer::Plan(r)),
            },
            Work::Compact(search) => match search.step() {
                CompactStep::Probed {
                    seed,
                    machines,
                    fits,
                    reason,
                } => {
                    self.simulations += 1;
                    self.probes.push(Probe {
                        what: format!("seed {seed}: {machines} machines"),
                        size: machines,
                        fits,
                        reason,
                        settled: false,
                    });
                }
                CompactStep::Trial(t) => self.probes.push(Probe {
                    what: format!("seed {}: fewest machines", t.seed),
                    size: t.machines,
                    fits: true,
                    reason: String::new(),
                    settled: true,
                }),
                CompactStep::Done(r) => self.answer = Some(Answer::Compact(r)),
            },
            Work::Compare {
                scenario,
                configs,
                seed,
                columns,
            } => match configs.get(columns.len()) {
                Some((name, cfg)) => {
                    let c = column(scenario, name, cfg, *seed);
                    self.simulations += 1;
                    self.probes.push(Probe {
                        what: name.clone(),
                        size: c.packing.nodes_used as u32,
                        fits: c.fits,
                        reason: c.reason.clone(),
                        settled: true,
                    });
                    columns.push(c);
                }
                None => {
                    self.answer = Some(Answer::Compare(Comparison {
                        scenario: scenario.name.clone(),
                        seed: seed.unwrap_or(scenario.seed),
                        schedulers: std::mem::take(columns),
                    }))
                }
            },
        }
        self.answer.is_none()
    }

    /// Step until done (tests, and callers without a frame loop).
    pub fn run(&mut self) {
        while self.step() {}
    }
}

/// Basis points as `87.50%` (the CLI's format).
pub fn pct(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

/// Bytes as whole MiB, rounded down (the CLI's format).
pub fn mib(b: i64) -> String {
    format!("{}Mi", b / (1 << 20))
}

/// `plan`'s headline, as `cellsim plan` prints it.
pub fn plan_headline(r: &PlanResult) -> String {
    let headroom = match r.headroom {
        Headroom::None => "none".to_string(),
        Headroom::Nodes { nodes } => format!("survives losing {nodes} nodes"),
        Headroom::Zone => "survives losing a zone".to_string(),
    };
    format!(
        "pool {}: {} nodes (the scenario has {}; lower bound {}; headroom: {headroom})",
        r.pool, r.nodes, r.scenario_nodes, r.lower_bound
    )
}

/// Utilization as `cpu 50.00%, memory 25.00%, pods 10.00%[, ext N]`.
pub fn utilization_line(u: &Utilization) -> String {
    let mut out = format!(
        "cpu {}, memory {}, pods {}",
        pct(u.cpu),
        pct(u.memory),
        pct(u.pods)
    );
    for (k, v) in &u.extended {
        out += &format!(", {k} {v}");
    }
    out
}

/// `compact`'s headline, as `cellsim compact` prints it.
pub fn compact_headline(r: &Compaction) -> String {
    format!(
        "compacted cell: {} machines at the 90th percentile (min {}, max {}) of {} machines = {} of the original",
        r.p90,
        r.min,
        r.max,
        r.machines,
        pct(r.p90_of_original)
    )
}

type Row = (&'static str, fn(&Packing) -> String);

/// `compare`'s metric rows, as `cellsim compare` prints them.
const COMPARE_ROWS: [Row; 13] = [
    ("nodes used", |p| format!("{}/{}", p.nodes_used, p.nodes)),
    ("pending pods", |p| p.pending_pods.to_string()),
    ("cpu allocation", |p| pct(p.allocation.cpu)),
    ("memory allocation", |p| pct(p.allocation.memory)),
    ("cpu allocation (used nodes)", |p| {
        pct(p.allocation_of_used.cpu)
    }),
    ("memory allocation (used nodes)", |p| {
        pct(p.allocation_of_used.memory)
    }),
    ("stranded cpu", |p| format!("{}m", p.stranded.milli_cpu)),
    ("stranded memory", |p| mib(p.stranded.memory)),
    ("cpu fragmentation", |p| pct(p.fragmentation.cpu)),
    ("memory fragmentation", |p| pct(p.fragmentation.memory)),
    ("zone skew (pods)", |p| p.zone_skew.to_string()),
    ("cpu balance spread", |p| pct(p.cpu_balance_spread)),
    ("service success rate", |p| {
        p.service_success_ppm.map_or("-".to_string(), |ppm| {
            format!("{}.{:04}%", ppm / 10_000, ppm % 10_000)
        })
    }),
];

/// `compare`'s table: the metric names (first `fits`), and one column of values per
/// configuration, the CLI's rows plus each extended resource's allocation and fragmentation.
pub fn compare_table(r: &Comparison) -> (Vec<String>, Vec<Vec<String>>) {
    let mut names = vec!["fits".to_string()];
    names.extend(COMPARE_ROWS.iter().map(|(n, _)| n.to_string()));
    let extended: OrdSet<&String> = r
        .schedulers
        .iter()
        .flat_map(|c| c.packing.allocation.extended.keys())
        .collect();
    for k in &extended {
        names.push(format!("{k} allocation"));
        names.push(format!("{k} fragmentation"));
    }
    let cols = r
        .schedulers
        .iter()
        .map(|c| {
            let mut col = vec![if c.fits { "yes" } else { "no" }.to_string()];
            col.extend(COMPARE_ROWS.iter().map(|(_, f)| f(&c.packing)));
            for k in &extended {
                let get = |u: &Utilization| {
                    u.extended
                        .get(*k)
                        .map_or("-".to_string(), |p| p.to_string())
                };
                col.push(get(&c.packing.allocation));
                col.push(get(&c.packing.fragmentation));
            }
            col
        })
        .collect();
    (names, cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cellsim_core::plan::{compact, compare, plan};

    fn builtin(name: &str) -> (&'static str, &'static str, Scenario) {
        let (path, text) = crate::session::builtin_text(name).expect("built in");
        let s = cellsim_core::scenario::load(path, &TextSources { path, text }).unwrap();
        (path, text, s)
    }

    #[test]
    fn plan_in_steps_gives_the_cli_answer_and_shows_every_size() {
        let (path, text, s) = builtin("quickstart");
        let pool = s.pools[0].name.clone();
        for headroom in [Headroom::None, Headroom::Nodes { nodes: 1 }] {
            let opts = PlanOptions {
                pool: pool.clone(),
                headroom,
                seed: None,
            };
            let want = plan(&s, &opts);
            let mut p = Planner::start(
                path,
                text,
                Job::Plan {
                    pool: pool.clone(),
                    headroom,
                    seed: None,
                },
            )
            .unwrap();
            let mut steps = 0;
            while p.step() {
                steps += 1;
            }
            assert_eq!(p.answer, Some(Answer::Plan(want.clone())));
            let want = want.unwrap();
            assert_eq!(p.simulations, want.simulations);
            // One simulation per step that reports progress (the last step finds it over).
            assert_eq!(steps, want.simulations as usize);
            let settled: Vec<(u32, bool)> = p
                .probes
                .iter()
                .filter(|x| x.settled)
                .map(|x| (x.size, x.fits))
                .collect();
            let tried: Vec<(u32, bool)> = want.tried.iter().map(|t| (t.nodes, t.fits)).collect();
            assert_eq!(settled, tried);
        }
    }

    #[test]
    fn an_unknown_pool_is_refused_up_front() {
        let (path, text, _) = builtin("quickstart");
        let e = Planner::start(
            path,
            text,
            Job::Plan {
                pool: "nope".into(),
                headroom: Headroom::None,
                seed: None,
            },
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("no node pool \"nope\""), "{e}");
    }

    #[test]
    fn compact_in_steps_gives_the_cli_answer() {
        let (path, text, s) = builtin("quickstart");
        let want = compact(&s, &CompactOptions { seeds: 3 });
        let mut p = Planner::start(
            path,
            text,
            Job::Compact {
                seeds: 3,
                seed: None,
            },
        )
        .unwrap();
        p.run();
        assert_eq!(p.answer, Some(Answer::Compact(want.clone())));
        let want = want.unwrap();
        assert_eq!(p.simulations, want.simulations);
        assert_eq!(p.probes.iter().filter(|x| x.settled).count(), 3);
        assert!(compact_headline(&want).contains(&format!("{} machines at the 90th", want.p90)));
    }

    #[test]
    fn compare_in_steps_gives_the_cli_answer_with_both_columns() {
        let (path, text, s) = builtin("quickstart");
        let configs = vec![
            ("random.yaml".to_string(), RANDOM_YAML.to_string()),
            ("best-fit.yaml".to_string(), BEST_FIT_YAML.to_string()),
        ];
        let decoded: Vec<(String, SchedulerConfig)> = configs
            .iter()
            .map(|(n, t)| (n.clone(), load_config(n, t).unwrap()))
            .collect();
        let want = compare(&s, &decoded, Some(3));
        let mut p = Planner::start(
            path,
            text,
            Job::Compare {
                configs,
                seed: Some(3),
            },
        )
        .unwrap();
        p.run();
        assert_eq!(p.answer, Some(Answer::Compare(want.clone())));
        let (names, cols) = compare_table(&want);
        assert_eq!(cols.len(), 2);
        assert!(cols.iter().all(|c| c.len() == names.len()));
        assert_eq!(names[1], "nodes used");
    }

    #[test]
    fn a_bad_scheduler_configuration_is_located() {
        let (path, text, _) = builtin("quickstart");
        let e = Planner::start(
            path,
            text,
            Job::Compare {
                configs: vec![("a.yaml".into(), "kind: [".into())],
                seed: None,
            },
        )
        .err()
        .unwrap();
        let e = e.to_string();
        assert!(
            e.starts_with("a.yaml:2:1: invalid YAML") && e.contains("line 1 column 7"),
            "{e}"
        );
    }
}
