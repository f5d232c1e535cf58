//! Deployment rollouts end to end against upstream v1.35's deployment controller
//! (pkg/controller/deployment): revisions and their history, rollback, pause, proportional
//! scaling, the progress deadline on its timer, minReadySeconds on its timer, Recreate. Every
//! expectation is an exact time or count of the trace or the store.

use std::collections::BTreeMap;

use cellsim_core::api::{Kind, Object};
use cellsim_core::scenario::{load, Sources};
use cellsim_core::sim::{RunOptions, Sim};
use cellsim_core::store::ObjectStore;

struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "t.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

/// What a run leaves: the trace and, for every instant at which it changed, the state of the
/// Deployment `web` and its ReplicaSets.
struct Run {
    /// `(t, type, object, message)`.
    events: Vec<(String, String, String, String)>,
    /// `(t, state)`, a new entry whenever the state differs from the previous one.
    states: Vec<(String, State)>,
    /// The ReplicaSets at the end: revision → (spec replicas, container image,
    /// revision-history annotation).
    sets: BTreeMap<i64, (i32, String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
struct State {
    /// Progressing condition `status reason`, or "".
    progressing: String,
    ready: i32,
    available: i32,
    /// Pods of the Deployment, deleted or not.
    pods: usize,
    /// Those of them with the first template's image, nginx:1.25.
    old: usize,
    /// ReplicaSets.
    sets: usize,
}

fn run(spec: &str) -> Run {
    let text = format!(
        "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  cluster:\n    nodePools: [{{name: p, count: 2, allocatable: {{cpu: \"8\", memory: 32Gi}}}}]\n{spec}"
    );
    let sc = load("t.yaml", &Text(text)).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Sim::new(
        sc,
        &RunOptions {
            keep_trace: true,
            ..Default::default()
        },
    );
    let mut states = vec![(sim.now.to_string(), state(&sim))];
    loop {
        let more = sim.step();
        let s = state(&sim);
        if states.last().map(|l| &l.1) != Some(&s) {
            states.push((sim.now.to_string(), s));
        }
        if !more {
            break;
        }
    }
    let mut sets = BTreeMap::new();
    for (_, st) in sim.store.list(Kind::ReplicaSet) {
        if let Object::ReplicaSet(rs) = &st.object {
            let a = &rs.metadata.annotations;
            let rev = a["deployment.kubernetes.io/revision"].parse().unwrap();
            let history = a
                .get("deployment.kubernetes.io/revision-history")
                .cloned()
                .unwrap_or_default();
            let image = rs.spec.template.spec.containers[0].image.clone();
            sets.insert(rev, (rs.spec.replicas.unwrap_or(1), image, history));
        }
    }
    let trace = String::from_utf8(sim.trace.bytes().to_vec()).unwrap();
    let events = trace
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (s("t"), s("type"), s("object"), s("message"))
        })
        .collect();
    Run {
        events,
        states,
        sets,
    }
}

fn state(sim: &Sim) -> State {
    let mut s = State {
        progressing: String::new(),
        ready: 0,
        available: 0,
        pods: 0,
        old: 0,
        sets: sim.store.list(Kind::ReplicaSet).count(),
    };
    for (_, st) in sim.store.list(Kind::Deployment) {
        if let Object::Deployment(d) = &st.object {
            if d.metadata.name == "web" {
                s.ready = d.status.ready_replicas;
                s.available = d.status.available_replicas;
                if let Some(c) = d.status.condition("Progressing") {
                    s.progressing = format!("{} {}", c.status, c.reason);
                }
            }
        }
    }
    for (_, st) in sim.store.list(Kind::Pod) {
        if let Object::Pod(p) = &st.object {
            if p.metadata.labels.get("app").map(String::as_str) == Some("web") {
                s.pods += 1;
                s.old += usize::from(p.spec.containers[0].image == "nginx:1.25");
            }
        }
    }
    s
}

impl Run {
    /// `"t message"` of every event of this type on the Deployment.
    fn of(&self, kind: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e.1 == kind && e.2 == "Deployment/default/web")
            .map(|e| format!("{} {}", e.0, e.3))
            .collect()
    }

    /// The instants at which the Progressing condition changed, as `"t status reason"`.
    fn progressing(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut last = "";
        for (t, s) in &self.states {
            if s.progressing != last {
                out.push(format!("{t} {}", s.progressing));
                last = &s.progressing;
            }
        }
        out
    }

    /// The first instant at which `f` holds.
    fn first(&self, f: impl Fn(&State) -> bool) -> &str {
        &self
            .states
            .iter()
            .find(|(_, s)| f(s))
            .unwrap_or_else(|| panic!("never: {:#?}", self.states))
            .0
    }
}

fn deployment(extra_spec: &str, container_extra: &str) -> String {
    format!(
        r#"
  objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
{extra_spec}
      selector: {{matchLabels: {{app: web}}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers:
          - {{name: c, image: "nginx:1.25"{container_extra}}}
"#
    )
}

/// `spec.objects` of [`deployment`] as the body of a timeline entry's `apply`.
fn as_apply(objects: &str) -> String {
    objects
        .trim_start_matches('\n')
        .lines()
        .map(|l| match l {
            "  objects:" => "    apply:".to_string(),
            _ => format!("  {l}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A probe that never passes within these runs: the pods run but never become ready.
const NEVER_READY: &str = ", readinessProbe: {exec: {command: [x]}, periodSeconds: 5}";
const NEVER_READY_BEHAVIOR: &str =
    "  behavior:\n  - {selector: {matchLabels: {app: web}}, startupDelay: 1h}\n";

/// progressDeadlineSeconds 30 with pods that never become ready: the condition is
/// NewReplicaSetCreated, then ReplicaSetUpdated as the pods are created (0 s); the controller
/// re-checks at lastUpdateTime + 30 s + upstream's extra second (`requeueStuckDeployment`) and
/// finds the deadline passed (`from.Add(delta).Before(now)`): ProgressDeadlineExceeded at 31 s,
/// not at the next unrelated event. A scale at 40.5 s is progress again (ReplicaSetUpdated),
/// whose lastUpdateTime is stored in whole seconds (40 s): exceeded again at 40+30+1 = 71 s,
/// not 71.5 s.
#[test]
fn progress_deadline_is_checked_on_a_timer_one_second_after_it() {
    let r = run(&format!(
        "  duration: 2m\n{}{NEVER_READY_BEHAVIOR}  timeline:\n  - {{at: 40.5s, scale: {{kind: deployment, name: web, replicas: 3}}}}\n",
        deployment(
            "      replicas: 2\n      progressDeadlineSeconds: 30",
            NEVER_READY
        )
    ));
    assert_eq!(
        r.progressing(),
        vec![
            "0s True ReplicaSetUpdated",
            "31s False ProgressDeadlineExceeded",
            "40.5s True ReplicaSetUpdated",
            "1m11s False ProgressDeadlineExceeded",
        ]
    );
    assert!(r.states.iter().all(|(_, s)| s.ready == 0));
}

/// minReadySeconds 10: a pod counts as available exactly 10 s after it became ready — the
/// ReplicaSet controller is requeued for that instant (upstream's
/// `AddAfter(rs, minReadySeconds)` on a pod update) and the Deployment follows in the same
/// instant, with Progressing NewReplicaSetAvailable.
#[test]
fn min_ready_seconds_makes_pods_available_on_a_timer() {
    let r = run(&format!(
        "  duration: 1m\n{}",
        deployment("      replicas: 2\n      minReadySeconds: 10", "")
    ));
    let ready = r.first(|s| s.ready == 2).to_string();
    let available = r.first(|s| s.available == 2).to_string();
    // Both pods start at 2.7 s (the image pull on each node, then the start).
    assert_eq!(ready, "2.7s");
    assert_eq!(available, "12.7s");
    assert_eq!(
        r.progressing(),
        vec![
            "0s True ReplicaSetUpdated",
            "12.7s True NewReplicaSetAvailable"
        ]
    );
}

/// Upstream's proportional scaling example (docs "Proportional scaling"): 10 replicas,
/// maxSurge 3, maxUnavailable 2, a new image whose rollout cannot finish (no pod ever becomes
/// ready): the old set is cleaned down to 8 unhealthy pods and the new one surges to 5 (13
/// pods). Scaling to 15 while paused then spreads the 5 extra replicas (18 - 13) by each
/// set's share of the max-replicas annotation (`getReplicaSetFraction`), largest set first:
/// old round(8 × 18/13 = 11.08) - 8 = 3, new round(5 × 18/13 = 6.92) - 5 = 2: 11 + 7 = 18 =
/// 15 + maxSurge, the docs' "3 replicas to the old ReplicaSet and 2 to the new". Nothing rolls
/// while paused.
#[test]
fn paused_scaling_is_proportional_across_the_rollouts_sets() {
    let spec = "      replicas: REPLICAS\n      paused: PAUSED\n      strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 3, maxUnavailable: 2}}";
    let obj = |replicas: &str, paused: &str, image: &str| {
        let objects = deployment(
            &spec.replace("REPLICAS", replicas).replace("PAUSED", paused),
            NEVER_READY,
        )
        .replace("nginx:1.25", image);
        as_apply(&objects)
    };
    let r = run(&format!(
        "  duration: 3m\n{}{NEVER_READY_BEHAVIOR}  timeline:\n  - at: 1m\n    setImage: {{kind: Deployment, name: web, container: c, image: \"nginx:1.26\"}}\n  - at: 2m\n{}\n",
        deployment(
            &spec.replace("REPLICAS", "10").replace("PAUSED", "false"),
            NEVER_READY
        ),
        obj("15", "true", "nginx:1.26"),
    ));
    assert_eq!(r.sets[&1].0, 11);
    assert_eq!(r.sets[&2].0, 7);
    assert_eq!(r.sets[&1].1, "nginx:1.25");
    assert_eq!(r.sets[&2].1, "nginx:1.26");
    assert_eq!(r.sets.len(), 2);
    assert_eq!(
        r.of("ScalingReplicaSet"),
        vec![
            "0s Scaled up replica set web-67cc67ff87 from 0 to 10",
            "1m0s Scaled up replica set web-c9484866 from 0 to 3",
            // cleanupUnhealthyReplicas: 13 - minAvailable 8 - 3 new unavailable = 2.
            "1m0s Scaled down replica set web-67cc67ff87 from 10 to 8",
            "1m0s Scaled up replica set web-c9484866 from 3 to 5",
            "2m0s Scaled up replica set web-67cc67ff87 from 8 to 11",
            "2m0s Scaled up replica set web-c9484866 from 5 to 7",
        ]
    );
    assert!(r.states.last().unwrap().1.progressing == "Unknown DeploymentPaused");
}

/// While paused a new template does not roll out (no new ReplicaSet, revision stays 1); on
/// resume it does, in the instant of the resume, and a rolloutUndo asked for while paused is
/// refused by the timeline (as kubectl does).
#[test]
fn paused_deployment_does_not_roll_out_until_resumed() {
    let spec = "      replicas: 2\n      paused: PAUSED";
    let apply = |paused: &str, image: &str| {
        let objects = deployment(&spec.replace("PAUSED", paused), "").replace("nginx:1.25", image);
        as_apply(&objects)
    };
    let r = run(&format!(
        "  duration: 3m\n{}  timeline:\n  - at: 30s\n{}\n  - at: 1m\n    rolloutUndo: {{name: web}}\n  - at: 2m\n{}\n",
        deployment(&spec.replace("PAUSED", "false"), ""),
        apply("true", "nginx:1.26"),
        apply("false", "nginx:1.26"),
    ));
    assert_eq!(
        r.progressing(),
        vec![
            "0s True ReplicaSetUpdated",
            "2.7s True NewReplicaSetAvailable",
            "30s Unknown DeploymentPaused",
            "2m0s True ReplicaSetUpdated",
            // maxSurge 1, maxUnavailable 0 (25% of 2, rounded up and down): one new pod
            // (pulling the new image, ready at +2.7 s), then the second (+2.7 s again).
            "2m5.4s True NewReplicaSetAvailable",
        ]
    );
    let scaled = r.of("ScalingReplicaSet");
    assert!(
        scaled[1].starts_with("2m0s Scaled up replica set "),
        "{scaled:#?}"
    );
    assert!(scaled[1].ends_with(" from 0 to 1"));
    let undo: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.1 == "RolloutUndoFailed")
        .map(|e| e.0.clone())
        .collect();
    assert_eq!(undo, vec!["1m0s"]);
    assert_eq!(r.sets[&2], (2, "nginx:1.26".into(), String::new()));
    assert_eq!(r.sets[&1].0, 0);
}

/// revisionHistoryLimit 1 keeps one old ReplicaSet: after three image changes (revisions 2,
/// 3, 4) the sets of revisions 1 and 2 are deleted once scaled to 0 — when the rollout that
/// scaled them down is complete (`cleanupDeployment` only runs for a complete Deployment, and
/// a status from before the template change is not complete: its observedGeneration is
/// older), i.e. when the second new pod is available at +5.4 s.
#[test]
fn revision_history_limit_deletes_the_oldest_idle_sets() {
    let r = run(&format!(
        "  duration: 4m\n{}  timeline:\n{}",
        deployment("      replicas: 2\n      revisionHistoryLimit: 1", ""),
        ["1m", "2m", "3m"]
            .iter()
            .zip(["a", "b", "c"])
            .map(|(t, tag)| format!("  - at: {t}\n    setImage: {{kind: Deployment, name: web, container: c, image: \"nginx:{tag}\"}}\n"))
            .collect::<String>()
    ));
    assert_eq!(r.sets.keys().copied().collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(r.sets[&3], (0, "nginx:b".into(), String::new()));
    assert_eq!(r.sets[&4], (2, "nginx:c".into(), String::new()));
    let mut counts: Vec<String> = Vec::new();
    for (t, st) in &r.states {
        if counts.last().map(|c| c.split(' ').nth(1).unwrap()) != Some(&st.sets.to_string()) {
            counts.push(format!("{t} {}", st.sets));
        }
    }
    assert_eq!(
        counts,
        vec!["0s 1", "1m0s 2", "2m0s 3", "2m5.4s 2", "3m0s 3", "3m5.4s 2"]
    );
}

/// rolloutUndo to an explicit revision: revision 1's set gives its template back and becomes
/// revision 4, remembering 1 in revision-history; an unknown revision is a
/// DeploymentRollbackRevisionNotFound warning; rolling back to the current template is
/// DeploymentRollbackTemplateUnchanged. Upstream's messages (rollback.go).
#[test]
fn rollout_undo_to_revision_and_its_failures() {
    let r = run(&format!(
        "  duration: 4m\n{}  timeline:\n  - at: 30s\n    setImage: {{kind: Deployment, name: web, container: c, image: \"nginx:b\"}}\n  - at: 1m\n    setImage: {{kind: Deployment, name: web, container: c, image: \"nginx:c\"}}\n  - at: 2m\n    rolloutUndo: {{name: web, toRevision: 1}}\n  - at: 3m\n    rolloutUndo: {{name: web, toRevision: 9}}\n  - at: 3m30s\n    rolloutUndo: {{name: web, toRevision: 4}}\n",
        deployment("      replicas: 2", "")
    ));
    assert_eq!(
        r.of("DeploymentRollback"),
        vec!["2m0s Rolled back deployment \"web\" to revision 1"]
    );
    assert_eq!(
        r.of("DeploymentRollbackRevisionNotFound"),
        vec!["3m0s Unable to find the revision to rollback to."]
    );
    assert_eq!(
        r.of("DeploymentRollbackTemplateUnchanged"),
        vec![
            "3m30s The rollback revision contains the same template as current deployment \"web\""
        ]
    );
    assert_eq!(r.sets.keys().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(r.sets[&4], (2, "nginx:1.25".into(), "1".into()));
    assert_eq!(r.sets[&3].0, 0);
}

/// Recreate: the old pods are all deleted at the image change and the new set is scaled up
/// only once none of them is left, in the instant the last one is gone.
#[test]
fn recreate_scales_up_once_the_old_pods_are_gone() {
    let r = run(&format!(
        "  duration: 2m\n{}  timeline:\n  - at: 1m\n    setImage: {{kind: Deployment, name: web, container: c, image: \"nginx:1.26\"}}\n",
        deployment("      replicas: 3\n      strategy: {type: Recreate}", "")
    ));
    let scaled = r.of("ScalingReplicaSet");
    assert_eq!(scaled.len(), 3, "{scaled:#?}");
    assert!(scaled[1].starts_with("1m0s Scaled down replica set web-"));
    assert!(scaled[1].ends_with(" from 3 to 0"));
    // The instant the last old pod left the store.
    let gone = r
        .states
        .iter()
        .skip_while(|(t, _)| t != "1m0s")
        .find(|(_, s)| s.old == 0)
        .unwrap_or_else(|| panic!("old pods never gone: {:#?}", r.states))
        .0
        .clone();
    assert_ne!(gone, "1m0s");
    assert!(scaled[2].starts_with(&format!("{gone} Scaled up replica set web-")));
    assert!(scaled[2].ends_with(" from 0 to 3"));
}
