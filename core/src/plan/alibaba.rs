//! The Alibaba GPU cluster trace (`clusterdata/cluster-trace-gpu-v2023`, "openb", used by the
//! FGD paper: Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with
//! Fragmentation Gradient Descent", USENIX ATC 2023) as a scenario.
//!
//! - Nodes (`openb_node_list_gpu_node.csv`: `sn,cpu_milli,memory_mib,gpu,model`) become node
//!   pools of identical machines (same cpu, memory, GPU count and model, in order of first
//!   appearance), labelled `cellsim.dev/gpu-model: MODEL`, offering `nvidia.com/gpu: N` and
//!   `alibaba.com/gpu-milli: 1000 × N`.
//! - Pods (`openb_pod_list_*.csv`: `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,...`)
//!   become bare pods that run until the end: whole-GPU pods request `nvidia.com/gpu: N` and
//!   `alibaba.com/gpu-milli: 1000 × N`; GPU-sharing pods (`num_gpu` 1, `gpu_milli` < 1000)
//!   request only `alibaba.com/gpu-milli`; `gpu_spec` (`V100M16|V100M32`) becomes a required
//!   node affinity on the model label.
//! - Demand rises as in the paper's experiments: pods are drawn at random from the trace
//!   until their GPU requests reach `demand_pct` percent of the cluster's GPUs; the scheduler
//!   sees them in that order (they are created at t=0 in file order).
//!
//! Not reproduced: which GPU of a node a sharing pod lands on (here a node's GPUs are one
//! pool of milli-GPUs, so two 600-milli pods can "share" 1200 milli of a 2-GPU node although
//! each needs its own GPU; and a whole-GPU pod fits wherever 1000 milli remain in all), pod
//! departures, and the FGD score itself.

use crate::collections::OrdMap;
use std::fmt::Write;

/// The label with each node's GPU model.
pub const MODEL_LABEL: &str = "cellsim.dev/gpu-model";
/// Whole GPUs (the NVIDIA device plugin's resource).
pub const GPU: &str = "nvidia.com/gpu";
/// GPU capacity in thousandths, for GPU-sharing pods.
pub const GPU_MILLI: &str = "alibaba.com/gpu-milli";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct TraceError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceNode {
    pub name: String,
    pub milli_cpu: i64,
    pub memory_mib: i64,
    pub gpus: i64,
    pub model: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracePod {
    pub name: String,
    pub milli_cpu: i64,
    pub memory_mib: i64,
    pub gpus: i64,
    pub gpu_milli: i64,
    /// Allowed GPU models (empty: any).
    pub models: Vec<String>,
}

impl TracePod {
    /// The pod's GPU request in thousandths of a GPU.
    pub fn gpu_demand(&self) -> i64 {
        if self.gpus == 1 && self.gpu_milli < 1000 {
            self.gpu_milli
        } else {
            self.gpus * 1000
        }
    }
}

/// Parse a CSV with a header; `want` are the columns read, by name. Returns rows of cells.
fn csv(file: &str, text: &str, want: &[&str]) -> Result<Vec<(u32, Vec<String>)>, TraceError> {
    let err = |line: u32, column: u32, message: String| TraceError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| err(1, 1, "empty file: expected a CSV header".into()))?
        .split(',')
        .map(str::trim)
        .collect();
    let mut idx = Vec::new();
    for w in want {
        idx.push(header.iter().position(|h| h == w).ok_or_else(|| {
            err(
                1,
                1,
                format!("missing column {w:?} (header: {})", header.join(",")),
            )
        })?);
    }
    let mut rows = Vec::new();
    for (i, l) in lines.enumerate() {
        let line = i as u32 + 2;
        if l.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = l.split(',').collect();
        if cells.len() != header.len() {
            return Err(err(
                line,
                1,
                format!("{} fields, expected {}", cells.len(), header.len()),
            ));
        }
        rows.push((
            line,
            idx.iter().map(|&k| cells[k].trim().to_string()).collect(),
        ));
    }
    Ok(rows)
}

fn int(file: &str, line: u32, text_line: &str, cell: &str, what: &str) -> Result<i64, TraceError> {
    cell.parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| TraceError {
            file: file.to_string(),
            line,
            column: text_line.find(cell).map_or(1, |c| c as u32 + 1),
            message: format!("{what}: expected a whole number >= 0, found {cell:?}"),
        })
}

/// Parse the node list.
pub fn parse_nodes(file: &str, text: &str) -> Result<Vec<TraceNode>, TraceError> {
    let lines: Vec<&str> = text.lines().collect();
    csv(
        file,
        text,
        &["sn", "cpu_milli", "memory_mib", "gpu", "model"],
    )?
    .into_iter()
    .map(|(line, c)| {
        let l = lines[line as usize - 1];
        Ok(TraceNode {
            name: c[0].clone(),
            milli_cpu: int(file, line, l, &c[1], "cpu_milli")?,
            memory_mib: int(file, line, l, &c[2], "memory_mib")?,
            gpus: int(file, line, l, &c[3], "gpu")?,
            model: c[4].clone(),
        })
    })
    .collect()
}

/// Parse a pod list.
pub fn parse_pods(file: &str, text: &str) -> Result<Vec<TracePod>, TraceError> {
    let lines: Vec<&str> = text.lines().collect();
    let cols = [
        "name",
        "cpu_milli",
        "memory_mib",
        "num_gpu",
        "gpu_milli",
        "gpu_spec",
    ];
    csv(file, text, &cols)?
        .into_iter()
        .map(|(line, c)| {
            let l = lines[line as usize - 1];
            Ok(TracePod {
                name: c[0].clone(),
                milli_cpu: int(file, line, l, &c[1], "cpu_milli")?,
                memory_mib: int(file, line, l, &c[2], "memory_mib")?,
                gpus: int(file, line, l, &c[3], "num_gpu")?,
                gpu_milli: int(file, line, l, &c[4], "gpu_milli")?,
                models: c[5]
                    .split('|')
                    .filter(|m| !m.is_empty() && *m != "nan")
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

/// What to build.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Only the first this many nodes (`None`: all).
    pub nodes: Option<usize>,
    /// Pods are taken until their GPU requests reach this percentage of the cluster's GPUs.
    pub demand_pct: u32,
    pub name: String,
    pub seed: u64,
}

/// Pool name for a node shape: `<model|cpu>-<cores>c-<GiB>g-<gpus>gpu`, lowercased.
fn pool_name(n: &TraceNode) -> String {
    let model = if n.model.is_empty() {
        "cpu".to_string()
    } else {
        n.model.to_lowercase()
    };
    let clean: String = model
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "{}-{}c-{}g-{}gpu",
        clean.trim_matches('-'),
        n.milli_cpu / 1000,
        n.memory_mib / 1024,
        n.gpus
    )
}

/// The pods that arrive for a demand of `pct` percent of `capacity_milli` GPU thousandths, as
/// the paper's simulator makes them: drawn at random (with replacement, from `SimRng` with
/// `seed`) from the trace until their GPU requests reach the demand (CPU-only pods drawn on
/// the way arrive too). Arrival `k` of trace pod `name` is named `name-k`.
pub fn arrivals(pods: &[TracePod], capacity_milli: i64, pct: u32, seed: u64) -> Vec<TracePod> {
    let target = capacity_milli.saturating_mul(i64::from(pct)) / 100;
    let mut out = Vec::new();
    if pods.iter().all(|p| p.gpu_demand() == 0) {
        return out;
    }
    let mut rng = crate::rng::SimRng::new(seed);
    let mut demand = 0i64;
    while demand < target {
        let mut p = pods[rng.below(pods.len() as u64) as usize].clone();
        p.name = format!("{}-{}", p.name, out.len());
        demand += p.gpu_demand();
        out.push(p);
    }
    out
}

/// The scenario YAML for `nodes` and the arrivals of `pods`.
pub fn scenario_yaml(nodes: &[TraceNode], pods: &[TracePod], o: &ImportOptions) -> String {
    let nodes = &nodes[..o.nodes.unwrap_or(nodes.len()).min(nodes.len())];
    let capacity: i64 = nodes.iter().map(|n| n.gpus * 1000).sum();
    let taken = arrivals(pods, capacity, o.demand_pct, o.seed);
    // Pools of identical machines, in order of first appearance.
    let mut pools: Vec<(String, &TraceNode, u32)> = Vec::new();
    let mut index: OrdMap<String, usize> = OrdMap::new();
    for n in nodes {
        let name = pool_name(n);
        match index.get(&name) {
            Some(&i) => pools[i].2 += 1,
            None => {
                index.insert(name.clone(), pools.len());
                pools.push((name, n, 1));
            }
        }
    }
    let gpu_pods = taken.iter().filter(|p| p.gpu_demand() > 0).count();
    let demand: i64 = taken.iter().map(TracePod::gpu_demand).sum();
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Generated by `cellsim import alibaba-gpu` from the Alibaba GPU trace (openb)."
    );
    let _ = writeln!(
        y,
        "# {} nodes ({} GPUs), {} pods ({} with GPUs) requesting {}.{:03} GPUs = {}% of the cluster's.",
        nodes.len(),
        capacity / 1000,
        taken.len(),
        gpu_pods,
        demand / 1000,
        demand % 1000,
        o.demand_pct
    );
    let _ = writeln!(
        y,
        "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata:"
    );
    let _ = writeln!(y, "  name: {}", o.name);
    let _ = writeln!(
        y,
        "  description: Alibaba GPU trace (openb), {} nodes, GPU demand {}% of capacity.",
        nodes.len(),
        o.demand_pct
    );
    let _ = writeln!(
        y,
        "spec:\n  seed: {}\n  duration: 1m\n  cluster:\n    nodePools:",
        o.seed
    );
    for (name, n, count) in &pools {
        let _ = write!(
            y,
            "    - {{name: {name}, count: {count}, allocatable: {{cpu: {}m, memory: {}Mi, pods: \"110\"",
            n.milli_cpu, n.memory_mib
        );
        if n.gpus > 0 {
            let _ = write!(
                y,
                ", {GPU}: \"{}\", {GPU_MILLI}: \"{}\"",
                n.gpus,
                n.gpus * 1000
            );
        }
        y += "}";
        if !n.model.is_empty() {
            let _ = write!(y, ", labels: {{{MODEL_LABEL}: {}}}", n.model);
        }
        y += "}\n";
    }
    y += "  objects:\n";
    for p in &taken {
        let _ = write!(
            y,
            "  - {{apiVersion: v1, kind: Pod, metadata: {{name: {}}}, spec: {{",
            p.name
        );
        if !p.models.is_empty() {
            let _ = write!(
                y,
                "affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchExpressions: [{{key: {MODEL_LABEL}, operator: In, values: [{}]}}]}}]}}}}}}, ",
                p.models.join(", ")
            );
        }
        let _ = write!(
            y,
            "containers: [{{name: task, image: \"alibaba/task\", resources: {{requests: {{cpu: {}m, memory: {}Mi",
            p.milli_cpu, p.memory_mib
        );
        let g = p.gpu_demand();
        if g >= 1000 {
            let _ = write!(y, ", {GPU}: \"{}\"", p.gpus);
        }
        if g > 0 {
            let _ = write!(y, ", {GPU_MILLI}: \"{g}\"");
        }
        // Extended resources must have limits equal to their requests.
        if g > 0 {
            y += "}, limits: {";
            let mut sep = "";
            if g >= 1000 {
                let _ = write!(y, "{GPU}: \"{}\"", p.gpus);
                sep = ", ";
            }
            let _ = write!(y, "{sep}{GPU_MILLI}: \"{g}\"");
        }
        y += "}}}]}}\n";
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "sn,cpu_milli,memory_mib,gpu,model\n\
        n0,64000,262144,2,P100\nn1,64000,262144,2,P100\nn2,96000,786432,8,V100M32\n";
    const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
        a,12000,16384,1,1000,,LS,Running,0,1,0\n\
        b,6000,12288,1,460,,LS,Running,0,1,0\n\
        c,4000,8192,0,0,,BE,Running,0,1,0\n\
        d,8000,8192,8,1000,V100M16|V100M32,LS,Running,0,1,0\n";

    #[test]
    fn parses_and_takes_pods_until_the_demand() {
        let nodes = parse_nodes("n.csv", NODES).unwrap();
        let pods = parse_pods("p.csv", PODS).unwrap();
        assert_eq!(pods[3].models, ["V100M16", "V100M32"]);
        assert_eq!(
            pods.iter().map(TracePod::gpu_demand).collect::<Vec<_>>(),
            [1000, 460, 0, 8000]
        );
        // 12 GPUs: draws until 12 GPUs are requested; the last draw crosses the line.
        let cap: i64 = nodes.iter().map(|n| n.gpus * 1000).sum();
        for seed in 0..20 {
            let got = arrivals(&pods, cap, 100, seed);
            let total: i64 = got.iter().map(TracePod::gpu_demand).sum();
            let before = total - got.last().unwrap().gpu_demand();
            assert!(
                before < 12_000 && total >= 12_000,
                "seed {seed}: {before} {total}"
            );
            assert!(got
                .iter()
                .enumerate()
                .all(|(k, p)| p.name.ends_with(&format!("-{k}"))));
            assert_eq!(got, arrivals(&pods, cap, 100, seed), "seed {seed}");
        }
        assert_ne!(arrivals(&pods, cap, 100, 1), arrivals(&pods, cap, 100, 2));
    }

    #[test]
    fn the_scenario_loads() {
        let nodes = parse_nodes("n.csv", NODES).unwrap();
        let pods = parse_pods("p.csv", PODS).unwrap();
        let y = scenario_yaml(
            &nodes,
            &pods,
            &ImportOptions {
                nodes: None,
                demand_pct: 50,
                name: "t".into(),
                seed: 1,
            },
        );
        struct One(String);
        impl crate::scenario::Sources for One {
            fn read(&self, _: &str) -> Result<String, String> {
                Ok(self.0.clone())
            }
        }
        let s =
            crate::scenario::load("t.yaml", &One(y.clone())).unwrap_or_else(|e| panic!("{e}\n{y}"));
        assert_eq!(s.pools.len(), 2);
        assert_eq!(s.pools[0].name, "p100-64c-256g-2gpu");
        assert_eq!((s.pools[0].count, s.pools[1].count), (2, 1));
        assert!(!s.objects.is_empty());
    }

    #[test]
    fn bad_numbers_are_located() {
        let e = parse_nodes(
            "n.csv",
            "sn,cpu_milli,memory_mib,gpu,model\nn0,64000,x,2,P100\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "n.csv:2:10: memory_mib: expected a whole number >= 0, found \"x\""
        );
        let e = parse_nodes("n.csv", "sn,cpu\n").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("n.csv:1:1: missing column \"cpu_milli\""));
    }
}
