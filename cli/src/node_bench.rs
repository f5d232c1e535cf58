//! `cellsim node bench`: pod start latency of the node backend — a sandbox and one container
//! running `/bin/true` with CPU and memory limits, from admission to exit and cleanup — and
//! the same `/bin/true` under `runc run` (an OCI bundle over the same busybox rootfs, with
//! the same limits), when runc is installed. Prints p50 / p99 / mean in milliseconds.

use cellsim_node::agent::Agent;
use cellsim_node::runtime::{Config, LinuxRuntime, OnStart};
use std::path::Path;
use std::time::{Duration, Instant};

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: bench}\nspec:\n  restartPolicy: Never\n  containers:\n  - name: app\n    image: cellsim/busybox:latest\n    command: [/bin/true]\n    resources: {limits: {cpu: 500m, memory: 64Mi}}\n";

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn row(name: &str, v: &mut [f64]) -> anyhow::Result<()> {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    crate::out::outln!(
        "{name:<44} {:>8.1} {:>8.1} {:>8.1}",
        pct(v, 0.5),
        pct(v, 0.99),
        mean
    )?;
    Ok(())
}

pub fn run(runs: usize, root: &Path, init: Vec<String>) -> anyhow::Result<u8> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        anyhow::bail!("cellsim node bench needs root");
    }
    let runs = runs.max(1);
    let dir = root.join("bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let manifest = dir.join("pod.yaml");
    std::fs::write(&manifest, POD)?;
    let mut cfg = Config::new("bench", &dir.join("state"), init);
    cfg.image_root = root.join("images");
    cfg.cgroup_parent = "cellsim-bench".into();
    let (rt, rx) = LinuxRuntime::new(cfg, OnStart::Cleanup)?;
    let mut agent = Agent::new(rt, rx, 1);
    let img = agent.rt.images().get(cellsim_node::images::BUSYBOX)?;
    let rootfs = agent.rt.images().layer_dir(&img.layers[0]);
    let (mut total, mut to_start, mut to_exit) = (Vec::new(), Vec::new(), Vec::new());
    let runc = ["/usr/sbin/runc", "/usr/bin/runc"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let bundle = match runc {
        Some(r) => Some(runc_bundle(r, &dir, &rootfs)?),
        None => None,
    };
    let mut runc_ms = Vec::new();
    // cellsim and runc alternate, so both see the same machine load.
    for i in 0..runs + 2 {
        if let (Some(r), Some(b)) = (runc, &bundle) {
            let ms = runc_once(r, b, i)?;
            if i >= 2 {
                runc_ms.push(ms);
            }
        }
        let uid = format!("bench-{i}");
        let (pod, extras) =
            cellsim_node::manifest::load_pod(&manifest.to_string_lossy(), "bench", &uid)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let t0 = Instant::now();
        agent.add_pod(pod, extras);
        let mut started = None;
        let mut exited = None;
        loop {
            agent.poll(Duration::from_millis(5));
            let w = agent.worker(&uid).expect("worker");
            if started.is_none() && w.ctrs[0].running().is_some() {
                started = Some(t0.elapsed());
            }
            if exited.is_none() && w.ctrs[0].exit().is_some() {
                exited = Some(t0.elapsed());
                if started.is_none() {
                    started = exited;
                }
            }
            if w.terminal {
                agent.remove_finished();
            }
            if agent.removed(&uid) {
                break;
            }
            if t0.elapsed() > Duration::from_secs(30) {
                anyhow::bail!("run {i} did not finish: {:?}", agent.events.last());
            }
        }
        if let Some(e) = agent.worker(&uid).and_then(|w| w.ctrs[0].exit().cloned()) {
            if e.code != 0 {
                anyhow::bail!("/bin/true exited {}", e.code);
            }
        }
        if i >= 2 {
            // Two warm-up runs.
            total.push(t0.elapsed().as_secs_f64() * 1000.0);
            to_start.push(started.unwrap_or_default().as_secs_f64() * 1000.0);
            to_exit.push(exited.unwrap_or_default().as_secs_f64() * 1000.0);
        }
    }
    crate::out::outln!(
        "{runs} runs, /bin/true with limits cpu 500m memory 64Mi, cgroups {:?}",
        agent.rt.hierarchy().mode
    )?;
    crate::out::outln!("{:<44} {:>8} {:>8} {:>8}", "ms", "p50", "p99", "mean")?;
    row("cellsim: admission → container running", &mut to_start)?;
    row("cellsim: admission → exit observed", &mut to_exit)?;
    row("cellsim: admission → exit + sandbox removed", &mut total)?;
    agent.rt.remove_parent_if_empty();
    drop(agent);
    if runc.is_some() {
        row("runc run (bundle, same rootfs and limits)", &mut runc_ms)?;
    } else {
        crate::out::outln!("runc not installed: no comparison")?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(0)
}

fn runc_bundle(runc: &str, dir: &Path, rootfs: &Path) -> anyhow::Result<std::path::PathBuf> {
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle)?;
    let st = std::process::Command::new(runc)
        .args(["spec"])
        .current_dir(&bundle)
        .status()?;
    anyhow::ensure!(st.success(), "runc spec failed");
    let path = bundle.join("config.json");
    let mut spec: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    spec["process"]["args"] = serde_json::json!(["/bin/true"]);
    spec["process"]["terminal"] = serde_json::json!(false);
    spec["root"] = serde_json::json!({"path": rootfs, "readonly": true});
    spec["linux"]["resources"]["cpu"] =
        serde_json::json!({"quota": 50000, "period": 100000, "shares": 512});
    spec["linux"]["resources"]["memory"] = serde_json::json!({"limit": 67108864});
    std::fs::write(&path, serde_json::to_vec_pretty(&spec)?)?;
    Ok(bundle)
}

/// One `runc run` of the bundle: create, start, wait, delete.
fn runc_once(runc: &str, bundle: &Path, i: usize) -> anyhow::Result<f64> {
    let id = format!("cellsim-bench-{}-{i}", std::process::id());
    let t0 = Instant::now();
    let out = std::process::Command::new(runc)
        .args(["run", "--bundle"])
        .arg(bundle)
        .arg(&id)
        .stdin(std::process::Stdio::null())
        .output()?;
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        out.status.success(),
        "runc run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(ms)
}
