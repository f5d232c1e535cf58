//! The agent's periodic work: cgroup usage sampled and reported as the model's usage (and
//! the agent API's `usage` message), and image GC by least recent use above the disk
//! threshold, never touching images in use.

mod common;
use cellsim_core::agent_api::AgentMessage;
use cellsim_node::agent::ImageGc;
use cellsim_node::images::GcPolicy;
use common::Harness;
use std::time::Duration;

const USAGE_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: usage}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: burn
    image: cellsim/busybox:latest
    command: [sh, -c, "while :; do :; done"]
    resources: {limits: {cpu: 500m}}
  - name: touch
    image: cellsim/busybox:latest
    # 32 MiB written to the container's /dev/shm (tmpfs: shmem, charged to the cgroup and
    # never "inactive file"), then it stays.
    command: [sh, -c, "dd if=/dev/zero of=/dev/shm/fill bs=1M count=32 && echo filled && exec sleep 1000"]
"#;

const MIB: u64 = 1 << 20;

#[test]
fn measured_usage_is_reported_as_the_models_usage() {
    let mut h = Harness::new("usage");
    h.agent().usage_period = cellsim_core::time::Duration::from_secs(1);
    let uid = h.run(USAGE_POD);
    h.wait_running(&uid, "burn");
    h.wait_running(&uid, "touch");
    let t = h.target(&uid, "touch").unwrap();
    let log = h.agent().rt.log_path(&t);
    h.until(Duration::from_secs(20), move |_| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("filled")
    });
    // Two samples after the fill, a second or more apart: a CPU rate and the working set.
    let u = uid.clone();
    h.agent().sample_usage();
    let first = h.agent().measured(&uid).unwrap().at_ms;
    h.until(Duration::from_secs(10), move |a| {
        a.measured(&u).is_some_and(|m| m.at_ms >= first + 1000)
    });
    let m = h.agent().measured(&uid).unwrap().clone();
    let burn = m.containers["burn"];
    let touch = m.containers["touch"];
    // The burner has used CPU for over a second, about half a core under its 500m limit.
    assert!(burn.cpu_nanos > 200_000_000, "burn cpu {burn:?}");
    assert!(
        (250..=650).contains(&burn.cpu_millicores),
        "burn rate {burn:?}"
    );
    assert!(touch.working_set_bytes >= 32 * MIB, "touch {touch:?}");
    assert!(m.pod.working_set_bytes >= 32 * MIB, "pod {:?}", m.pod);
    assert!(m.pod.cpu_nanos >= burn.cpu_nanos);
    // The model's form (millicores, bytes by pod uid) and the agent API's message.
    let model = h.agent().model_usage();
    assert!(model[&uid].milli_cpu >= 250 && model[&uid].memory >= (32 * MIB) as i64);
    match h.agent().usage_message("test-node") {
        AgentMessage::Usage { node, pods } => {
            assert_eq!(node, "test-node");
            let p = pods.iter().find(|p| p.pod_uid == uid).unwrap();
            assert_eq!(p.cpu_nanos, m.pod.cpu_nanos);
            assert!(p.working_set_bytes >= 32 * MIB);
        }
        other => panic!("{other:?}"),
    }
    h.finish();
}

/// A fake disk: `used` percent of 100 GB.
fn disk(used: u64) -> cellsim_node::agent::DiskUsage {
    Box::new(move |_| Ok((100_000_000_000, (100 - used) * 1_000_000_000)))
}

#[test]
fn the_agent_runs_image_gc_and_spares_images_in_use() {
    let mut h = Harness::with("imagegc", 1, |cfg| {
        // Its own store: the shared test store's images are other tests' to use.
        cfg.image_root = cfg.state_dir.join("images");
    });
    let store = cellsim_node::images::ImageStore::new(h.state.join("images"));
    let src = h.state.join("layer");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("hello"), "hi").unwrap();
    for r in ["gc/old:1", "gc/older:1"] {
        store.import(r, &src).unwrap();
    }
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: cellsim/busybox:latest
    command: [sleep, "1000"]
"#,
    );
    h.wait_running(&uid, "app");
    // Below the high threshold (84% < 85%): a pass removes nothing.
    h.agent().set_image_gc(ImageGc {
        period: cellsim_core::time::Duration::from_millis(200),
        policy: GcPolicy {
            min_age_secs: 0,
            ..GcPolicy::default()
        },
        disk: disk(84),
        ..ImageGc::default()
    });
    let t0 = std::time::Instant::now();
    while t0.elapsed() < Duration::from_millis(600) {
        h.agent().poll(Duration::from_millis(50));
    }
    assert!(h.agent().image_gc.removed.is_empty());
    assert_eq!(store.list().unwrap().len(), 3);
    // Above it (90%): the periodic pass removes the unused images, never the one running.
    h.agent().image_gc.disk = disk(90);
    h.until(Duration::from_secs(5), |a| a.image_gc.removed.len() >= 2);
    let mut removed = h.agent().image_gc.removed.clone();
    removed.sort();
    assert_eq!(removed, ["gc/old:1", "gc/older:1"]);
    let left: Vec<String> = store
        .list()
        .unwrap()
        .iter()
        .map(|r| r.reference())
        .collect();
    assert_eq!(left, ["cellsim/busybox:latest"]);
    assert!(h.running(&uid, "app"));
    assert!(h
        .agent()
        .events
        .iter()
        .any(|e| e.reason == "ImageGCRemoved" && e.message.contains("gc/old:1")));
    h.finish();
}
