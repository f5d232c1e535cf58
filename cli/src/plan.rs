//! `cellsim plan`: the fewest nodes of one pool for which the scenario fits.

use crate::fs_sources::FsSources;
use cellsim_core::plan::{Headroom, PlanError, PlanOptions};
use cellsim_core::scenario::Scenario;
use clap::Args;

#[derive(Args)]
pub struct PlanArgs {
    /// The scenario file.
    scenario: String,
    /// The node pool to size (`spec.cluster.nodePools[].name`).
    #[arg(long, value_name = "NAME")]
    pool: String,
    /// Still fit after losing any K of the pool's nodes.
    #[arg(long, value_name = "K", conflicts_with = "headroom_zone")]
    headroom_nodes: Option<u32>,
    /// Still fit after losing every node of any one zone.
    #[arg(long)]
    headroom_zone: bool,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Load a scenario; on bad input print the one located line and give exit code 2.
pub fn load_scenario(path: &str) -> Result<Scenario, u8> {
    cellsim_core::scenario::load(path, &FsSources).map_err(|e| {
        eprintln!("error: {e}");
        2
    })
}

/// `file:line:col` of a dotted path in the scenario file (the file was loaded once already,
/// so it parses; the start of the file otherwise).
pub fn locate(path: &str, field: &str) -> String {
    let mark = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| cellsim_core::yaml::parse_documents(path, &t).ok())
        .and_then(|docs| docs.into_iter().next())
        .map(|d| cellsim_core::api::validate::mark_at(&d, field))
        .unwrap_or(cellsim_core::yaml::Mark { line: 1, column: 1 });
    format!("{path}:{}:{}", mark.line, mark.column)
}

/// Report a planning error: bad input (an unknown pool, a pool without zones) is located in
/// the scenario and exits 2; "does not fit at any size" exits 1.
pub fn report_error(path: &str, scenario: &Scenario, e: &PlanError) -> u8 {
    match e {
        PlanError::UnknownPool { .. } => {
            eprintln!("error: {}: {e}", locate(path, "spec.cluster.nodePools"));
            2
        }
        PlanError::TooFewZones { pool, .. } => {
            let i = scenario
                .pools
                .iter()
                .position(|p| &p.name == pool)
                .unwrap_or(0);
            let at = locate(path, &format!("spec.cluster.nodePools.{i}.name"));
            eprintln!("error: {at}: {e}");
            2
        }
        PlanError::NoSeeds => {
            eprintln!("error: {e}");
            2
        }
        PlanError::NeverFits { .. } | PlanError::FullClusterDoesNotFit { .. } => {
            eprintln!("error: {e}");
            1
        }
    }
}

pub fn run(a: PlanArgs) -> anyhow::Result<u8> {
    let scenario = match load_scenario(&a.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let headroom = match (a.headroom_nodes, a.headroom_zone) {
        (Some(k), _) => Headroom::Nodes { nodes: k },
        (None, true) => Headroom::Zone,
        (None, false) => Headroom::None,
    };
    let opts = PlanOptions {
        pool: a.pool.clone(),
        headroom,
        seed: a.seed,
    };
    let r =
        match cellsim_core::plan::plan_on(&scenario, &opts, &crate::threads::Threads::from_env()) {
            Ok(r) => r,
            Err(e) => return Ok(report_error(&a.scenario, &scenario, &e)),
        };
    if a.json {
        crate::out::outln!("{}", serde_json::to_string_pretty(&r)?)?;
        return Ok(0);
    }
    let headroom = match r.headroom {
        Headroom::None => "none".to_string(),
        Headroom::Nodes { nodes } => format!("survives losing {nodes} nodes"),
        Headroom::Zone => "survives losing a zone".to_string(),
    };
    let u = &r.utilization;
    let mut out = format!(
        "pool {}: {} nodes (the scenario has {}; lower bound {}; headroom: {headroom})\n\
         utilization at {} nodes: cpu {}, memory {}, pods {}",
        r.pool,
        r.nodes,
        r.scenario_nodes,
        r.lower_bound,
        r.nodes,
        pct(u.cpu),
        pct(u.memory),
        pct(u.pods)
    );
    for (k, v) in &u.extended {
        out += &format!(", {k} {v}");
    }
    out += &format!("\nsimulations: {}\n\n", r.simulations);
    let rows: Vec<[String; 3]> = r
        .tried
        .iter()
        .map(|t| {
            [
                t.nodes.to_string(),
                if t.fits { "yes" } else { "no" }.to_string(),
                t.reason.clone(),
            ]
        })
        .collect();
    out += &cellsim_core::report::table(["NODES", "FITS", "WHY NOT"], &rows);
    crate::out::write(&out)?;
    Ok(0)
}

/// Basis points as `87.50%`.
pub fn pct(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}
