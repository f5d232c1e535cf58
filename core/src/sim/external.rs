//! External kubelets (`cellsim run --real`, issue 9): the same `Sim` — store, controllers,
//! scheduler, timeline, expectations — with its nodes' kubelets replaced by agents outside the
//! core. The simulated kubelets of every node are kept stopped (as `failNode` stops them: no pod
//! worker, no runtime command, runtime events ignored), so the pods bound to a node are left
//! to whoever runs them; what those report comes back through `external_pod_status` and
//! `external_pod_deleted` at the caller's clock, like any other write to the store, and the
//! control plane settles after each.
//!
//! Additive: nothing here runs unless a front end calls it, so simulated runs (and their
//! traces) do not change. Node heartbeats stay the core's model (Invariant 4's exception):
//! `failNode` stops them, as it stops the external agent.

use super::Sim;
use crate::api::pod::PodStatus;
use crate::api::{Kind, Object};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::SimTime;

impl Sim {
    /// Stop the simulated kubelet of every node in the store (idempotent; call after `new`
    /// and after every step, since `recoverNode`, `addNodes` and applying a Node start one).
    pub fn detach_kubelets(&mut self) {
        let names: Vec<String> = self
            .store
            .objects(Kind::Node)
            .map(|o| o.meta().name.clone())
            .collect();
        for n in names {
            self.kubelets.fail_node(&n);
            self.runtime.wipe_node(&n);
        }
    }

    /// Process every instant due at or before `t` with the kubelets detached. False once the
    /// run is over.
    pub fn advance_external(&mut self, t: SimTime) -> bool {
        while self.next_time().is_some_and(|n| n <= t) {
            let more = self.step();
            self.detach_kubelets();
            if !more {
                return false;
            }
        }
        !self.finished
    }

    /// Move the clock to `t` (no queued event is due before it: call `advance_external` first),
    /// run `f` against the store, settle the control plane.
    fn external_write(&mut self, t: SimTime, f: impl FnOnce(&mut super::ctx::Ctx)) {
        if self.finished {
            return;
        }
        let t = t.max(self.now);
        if let Some(tr) = &mut self.traffic {
            tr.advance(t);
        }
        self.now = t;
        self.with_ctx(|_, ctx, _| f(ctx));
        self.settle();
        self.detach_kubelets();
        self.observe_traffic();
        self.check_always();
    }

    /// An external agent reports a pod's API status (the kubelet's status manager writing
    /// `pods/status`). Ignored when the pod is gone or was replaced (another uid).
    pub fn external_pod_status(
        &mut self,
        t: SimTime,
        namespace: &str,
        name: &str,
        uid: &str,
        status: PodStatus,
    ) {
        let key = ObjectKey::new(Kind::Pod, namespace, name);
        self.external_write(t, |ctx| {
            let Some(Object::Pod(p)) = ctx.store.get(&key).map(|s| &s.object) else {
                return;
            };
            if p.metadata.uid != uid {
                return;
            }
            // What the control plane keeps in the status, not the kubelet.
            let mut status = status;
            status.reservation = p.status.reservation;
            status.nominated_node_name = p.status.nominated_node_name.clone();
            if p.status == status {
                return;
            }
            let mut p = p.clone();
            p.status = status;
            let _ = ctx.store.update(Object::Pod(p), None);
        });
    }

    /// An external agent finished a deleted pod: the object goes (grace period 0).
    pub fn external_pod_deleted(&mut self, t: SimTime, namespace: &str, name: &str, uid: &str) {
        let key = ObjectKey::new(Kind::Pod, namespace, name);
        self.external_write(t, |ctx| {
            if matches!(ctx.store.get(&key).map(|s| &s.object),
                        Some(Object::Pod(p)) if p.metadata.uid == uid)
            {
                let _ = ctx.store.delete(&key);
            }
        });
    }
}
