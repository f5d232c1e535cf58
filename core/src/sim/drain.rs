//! `kubectl drain NODE --ignore-daemonsets --delete-emptydir-data --force` as a client of the
//! simulated API server (kubernetes v1.35 staging/src/k8s.io/kubectl/pkg/drain/drain.go,
//! `evictPods` and `waitForDelete`):
//!
//! - the node is cordoned first (the `drain` action does that);
//! - every pod bound to it is evicted through the eviction subresource ([`super::eviction`])
//!   except DaemonSet-managed pods and mirror pods, all at once (kubectl runs one goroutine
//!   per pod; here in pod-key order);
//! - an eviction refused with 429 (a disruption budget) is retried 5 s later, for ever (no
//!   `--timeout`); any other refusal fails that pod's eviction;
//! - an evicted pod is polled every second from the eviction on (`PollImmediate`), and is done
//!   when it is gone (or replaced by a pod of another uid).
//!
//! Trace lines follow kubectl's output, on the pod with the drained node: `Evicting`
//! ("evicting pod ns/name", before every attempt), `EvictionBlocked` ("error when evicting
//! pods/"name" -n "ns" (will retry after 5s): ..."), `Evicted` ("pod/name evicted"),
//! `DrainFailed`; and on the node `Drained` ("node/NODE drained") when every pod is gone (or
//! `DrainFailed` with kubectl's summary). (Upstream's `Evicted` *event* reason belongs to the
//! kubelet's node-pressure eviction, which cellsim does not model; here it is kubectl's line.)

use super::ctx::{Ctx, Wake};
use super::eviction::{evict, EvictionError};
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::store::{ObjectKey, ObjectStore};
use crate::time::{Duration, SimTime};

/// drain.go: `time.Sleep(5 * time.Second)` after a 429.
pub const EVICTION_RETRY: Duration = Duration::from_secs(5);
/// drain.go `waitForDeleteParams.interval`.
pub const DELETE_POLL: Duration = Duration::from_secs(1);
/// The annotation of mirror pods (`corev1.MirrorPodAnnotationKey`).
const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Evict at this time.
    Evict(SimTime),
    /// Evicted; poll for the pod (of this uid) to be gone at this time.
    Wait {
        uid: String,
        at: SimTime,
    },
    Done,
    Failed(String),
}

impl Step {
    fn due(&self) -> Option<SimTime> {
        match self {
            Step::Evict(t) | Step::Wait { at: t, .. } => Some(*t),
            _ => None,
        }
    }
}

/// The drains in progress, by node.
#[derive(Default)]
pub struct Drains {
    active: OrdMap<String, OrdMap<ObjectKey, Step>>,
    /// Wakes asked for and not yet fired, so each instant is asked for once.
    pending: OrdSet<(SimTime, String)>,
}

impl Drains {
    /// Start draining `node` (already cordoned): list its pods and evict them.
    pub fn start(&mut self, ctx: &mut Ctx, node: &str) {
        let pods: OrdMap<ObjectKey, Step> = OrdMap::from_iter(
            ctx.store
                .objects(Kind::Pod)
                .filter_map(|o| match o {
                    Object::Pod(p) if p.spec.node_name == node => Some(p),
                    _ => None,
                })
                .filter(|p| {
                    p.metadata
                        .controller_of()
                        .is_none_or(|r| r.kind != "DaemonSet")
                        && !p.metadata.annotations.contains_key(MIRROR_ANNOTATION)
                })
                .map(|p| {
                    (
                        ObjectKey::new(Kind::Pod, p.namespace(), &p.metadata.name),
                        Step::Evict(ctx.now),
                    )
                }),
        );
        self.active.insert(node.to_string(), pods);
        self.step(ctx, node);
    }

    /// A drain's timer fired.
    pub fn wake(&mut self, ctx: &mut Ctx, node: &str) {
        if self.pending.remove(&(ctx.now, node.to_string())) {
            self.step(ctx, node);
        }
    }

    /// Do what is due for `node`'s drain, then ask for the next wake or finish.
    fn step(&mut self, ctx: &mut Ctx, node: &str) {
        let Some(mut pods) = self.active.remove(node) else {
            return;
        };
        let now = ctx.now;
        for (key, step) in pods.iter_mut() {
            let (ns, name) = (key.namespace.as_str(), key.name.as_str());
            let pod = format!("Pod/{ns}/{name}");
            if let Step::Evict(t) = step {
                if *t > now {
                    continue;
                }
                ctx.event(
                    "Evicting",
                    pod.clone(),
                    Some(node),
                    format!("evicting pod {ns}/{name}"),
                );
                let uid = match ctx.store.get(key).map(|s| &s.object) {
                    Some(Object::Pod(p)) => p.metadata.uid.clone(),
                    _ => String::new(),
                };
                *step = match evict(ctx, ns, name) {
                    Ok(()) => Step::Wait { uid, at: now },
                    Err(EvictionError::NotFound(_)) => Step::Done,
                    Err(e @ EvictionError::TooManyRequests { .. }) => {
                        ctx.event(
                            "EvictionBlocked",
                            pod.clone(),
                            Some(node),
                            format!(
                                "error when evicting pods/{name:?} -n {ns:?} (will retry after 5s): {e}"
                            ),
                        );
                        Step::Evict(now.after(EVICTION_RETRY))
                    }
                    Err(e) => {
                        let msg = format!("error when evicting pods/{name:?} -n {ns:?}: {e}");
                        ctx.event("DrainFailed", pod.clone(), Some(node), msg.clone());
                        Step::Failed(msg)
                    }
                };
            }
            if let Step::Wait { uid, at } = step {
                if *at > now {
                    continue;
                }
                let gone = match ctx.store.get(key).map(|s| &s.object) {
                    Some(Object::Pod(p)) => p.metadata.uid != *uid,
                    _ => true,
                };
                if gone {
                    ctx.event(
                        "Evicted",
                        pod.clone(),
                        Some(node),
                        format!("pod/{name} evicted"),
                    );
                    *step = Step::Done;
                } else {
                    *at = now.after(DELETE_POLL);
                }
            }
        }
        if let Some(next) = pods.values().filter_map(Step::due).min() {
            if self.pending.insert((next, node.to_string())) {
                ctx.wake_at(next, Wake::Drain(node.to_string()));
            }
            self.active.insert(node.to_string(), pods);
            return;
        }
        let errors: Vec<&str> = pods
            .values()
            .filter_map(|s| match s {
                Step::Failed(m) => Some(m.as_str()),
                _ => None,
            })
            .collect();
        if errors.is_empty() {
            ctx.event(
                "Drained",
                format!("Node/{node}"),
                Some(node),
                format!("node/{node} drained"),
            );
        } else {
            ctx.event(
                "DrainFailed",
                format!("Node/{node}"),
                Some(node),
                format!(
                    "error: unable to drain node {node:?} due to error: {}, continuing command...",
                    errors.join(", ")
                ),
            );
        }
    }
}
