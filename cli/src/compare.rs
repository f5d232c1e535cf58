//! `cellsim compare`: one scenario under several KubeSchedulerConfigurations, side by side.

use crate::fs_sources::FsSources;
use cellsim_core::plan::metrics::Packing;
use cellsim_core::scenario::Sources;
use cellsim_core::sched::config::SchedulerConfig;
use cellsim_core::yaml::{self, LoadError, Mark};
use clap::Args;

#[derive(Args)]
pub struct CompareArgs {
    /// The scenario file.
    scenario: String,
    /// A KubeSchedulerConfiguration file (the format of the scenario's `spec.scheduler`);
    /// give two or more.
    #[arg(long = "scheduler", value_name = "FILE", required = true)]
    schedulers: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Read and decode one KubeSchedulerConfiguration file.
pub fn load_config(path: &str) -> Result<SchedulerConfig, LoadError> {
    let at_start = Mark { line: 1, column: 1 };
    let text = FsSources
        .read(path)
        .map_err(|why| LoadError::new(path, at_start, format!("cannot read: {why}")))?;
    let docs = yaml::parse_documents(path, &text)?;
    match docs.as_slice() {
        [d] => cellsim_core::sched::config::decode(path, d),
        [] => Err(LoadError::new(
            path,
            at_start,
            "empty file: expected a KubeSchedulerConfiguration",
        )),
        [_, second, ..] => Err(LoadError::new(
            path,
            second.mark,
            "expected one KubeSchedulerConfiguration document",
        )),
    }
}

pub fn run(a: CompareArgs) -> anyhow::Result<u8> {
    let scenario = match crate::plan::load_scenario(&a.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mut configs = Vec::new();
    for path in &a.schedulers {
        match load_config(path) {
            Ok(c) => configs.push((path.clone(), c)),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(2);
            }
        }
    }
    let r = cellsim_core::plan::compare_on(
        &scenario,
        &configs,
        a.seed,
        &crate::threads::Threads::from_env(),
    );
    if a.json {
        crate::out::outln!("{}", serde_json::to_string_pretty(&r)?)?;
        return Ok(0);
    }
    type Row = (&'static str, fn(&Packing) -> String);
    let rows: [Row; 13] = [
        ("nodes used", |p| format!("{}/{}", p.nodes_used, p.nodes)),
        ("pending pods", |p| p.pending_pods.to_string()),
        ("cpu allocation", |p| crate::plan::pct(p.allocation.cpu)),
        ("memory allocation", |p| {
            crate::plan::pct(p.allocation.memory)
        }),
        ("cpu allocation (used nodes)", |p| {
            crate::plan::pct(p.allocation_of_used.cpu)
        }),
        ("memory allocation (used nodes)", |p| {
            crate::plan::pct(p.allocation_of_used.memory)
        }),
        ("stranded cpu", |p| format!("{}m", p.stranded.milli_cpu)),
        ("stranded memory", |p| mib(p.stranded.memory)),
        ("cpu fragmentation", |p| {
            crate::plan::pct(p.fragmentation.cpu)
        }),
        ("memory fragmentation", |p| {
            crate::plan::pct(p.fragmentation.memory)
        }),
        ("zone skew (pods)", |p| p.zone_skew.to_string()),
        ("cpu balance spread", |p| {
            crate::plan::pct(p.cpu_balance_spread)
        }),
        ("service success rate", |p| {
            p.service_success_ppm.map_or("-".to_string(), |ppm| {
                format!("{}.{:04}%", ppm / 10_000, ppm % 10_000)
            })
        }),
    ];
    let mut out = format!("scenario {}  seed {}\n\n", r.scenario, r.seed);
    // Rows: the fixed metrics, then each extended resource any node offers.
    let mut names = vec!["METRIC".to_string(), "fits".to_string()];
    names.extend(rows.iter().map(|(n, _)| n.to_string()));
    let extended: std::collections::BTreeSet<&String> = r
        .schedulers
        .iter()
        .flat_map(|c| c.packing.allocation.extended.keys())
        .collect();
    for k in &extended {
        names.push(format!("{k} allocation"));
        names.push(format!("{k} fragmentation"));
    }
    let mut cols: Vec<Vec<String>> = Vec::new();
    for c in &r.schedulers {
        let mut col = vec![
            c.scheduler.clone(),
            if c.fits { "yes" } else { "no" }.into(),
        ];
        col.extend(rows.iter().map(|(_, f)| f(&c.packing)));
        for k in &extended {
            let get = |u: &cellsim_core::plan::metrics::Utilization| {
                u.extended
                    .get(*k)
                    .map_or("-".to_string(), |p| p.to_string())
            };
            col.push(get(&c.packing.allocation));
            col.push(get(&c.packing.fragmentation));
        }
        cols.push(col);
    }
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let widths: Vec<usize> = cols
        .iter()
        .map(|c| c.iter().map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    for (i, name) in names.iter().enumerate() {
        let mut line = format!("{name:<width$}");
        for (c, w) in cols.iter().zip(&widths) {
            line += &format!("   {:<w$}", c.get(i).map_or("", String::as_str));
        }
        out += line.trim_end();
        out += "\n";
    }
    let typical = r.schedulers.first().map(|c| &c.packing.typical_pod);
    if let Some(t) = typical {
        out += &format!(
            "\nstranded = free capacity on nodes where the typical pod ({}m cpu, {} memory) no longer fits\n",
            t.milli_cpu,
            mib(t.memory)
        );
    }
    for c in r.schedulers.iter().filter(|c| !c.fits) {
        out += &format!("{}: {}\n", c.scheduler, c.reason);
    }
    crate::out::write(&out)?;
    Ok(0)
}

/// Bytes as whole MiB (rounded down) for the table.
fn mib(b: i64) -> String {
    format!("{}Mi", b / (1 << 20))
}
