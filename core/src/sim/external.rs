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
use crate::api::resources::CpuMem;
use crate::api::{Kind, Object};
use crate::store::{ObjectKey, ObjectStore};
use crate::time::SimTime;

/// The usage the resource metrics pipeline reports: the modelled usage of every pod, with
/// the external agents' measured usage in place of it for the pods they report.
pub(super) fn usage_with(
    mut modelled: crate::collections::OrdMap<String, CpuMem>,
    external: Option<&crate::collections::OrdMap<String, CpuMem>>,
) -> crate::collections::OrdMap<String, CpuMem> {
    if let Some(e) = external {
        modelled.extend(e.iter().map(|(k, v)| (k.clone(), *v)));
    }
    modelled
}

impl Sim {
    /// The external agents' latest measured usage by pod uid (metrics-server's view of the
    /// kubelets' resource metrics): from now on Borg reclamation and the HPA read it for
    /// these pods instead of the modelled usage. Takes effect at their next pass; the
    /// control plane does not settle for it.
    pub fn set_external_usage(&mut self, usage: crate::collections::OrdMap<String, CpuMem>) {
        self.external_usage = Some(usage);
    }

    /// What `set_external_usage` last set.
    pub fn external_usage(&self) -> Option<&crate::collections::OrdMap<String, CpuMem>> {
        self.external_usage.as_ref()
    }

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
        self.external_write_with(t, |_, ctx| f(ctx));
    }

    fn external_write_with(&mut self, t: SimTime, f: impl FnOnce(&mut Sim, &mut super::ctx::Ctx)) {
        if self.finished {
            return;
        }
        let t = t.max(self.now);
        if let Some(tr) = &mut self.traffic {
            tr.advance(t);
        }
        self.now = t;
        self.with_ctx(|sim, ctx, _| f(sim, ctx));
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

    /// A node's external agent stopped renewing its lease (it died, or its heartbeats stopped
    /// coming): the node lifecycle controller takes it from its last renewal, as after
    /// `failNode`.
    pub fn external_node_lost(&mut self, t: SimTime, node: &str) {
        let node = node.to_string();
        self.external_write_with(t, |sim, ctx| {
            sim.controllers.node_lifecycle.kubelet_stopped(ctx, &node);
            ctx.event(
                "NodeAgentLost",
                format!("Node/{node}"),
                Some(&node),
                "the node's agent stopped renewing its lease".into(),
            );
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

#[cfg(test)]
mod tests {
    use crate::api::pod::{PodPhase, PodStatus};
    use crate::api::{Kind, Object};
    use crate::scenario::{load, Sources};
    use crate::sim::{RunOptions, Sim};
    use crate::store::ObjectStore;
    use crate::time::SimTime;

    struct Text(&'static str);
    impl Sources for Text {
        fn read(&self, _: &str) -> Result<String, String> {
            Ok(self.0.to_string())
        }
    }

    const SCENARIO: &str = "apiVersion: cellsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 2m
  cluster:
    nodePools: [{name: n, count: 1, allocatable: {cpu: '1', pods: '10'}}]
  objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers: [{name: c, image: busybox}]
";

    fn pod(sim: &Sim) -> crate::api::pod::Pod {
        match sim
            .store
            .get(&crate::store::ObjectKey::new(Kind::Pod, "default", "p"))
            .map(|s| &s.object)
        {
            Some(Object::Pod(p)) => p.clone(),
            _ => panic!("no pod"),
        }
    }

    #[test]
    fn detached_kubelets_leave_pods_to_the_external_agent() {
        let mut sim = Sim::new(
            load("t.yaml", &Text(SCENARIO)).unwrap(),
            &RunOptions::default(),
        );
        sim.detach_kubelets();
        assert!(sim.advance_external(SimTime(30_000)));
        // Bound, but nothing ran it: no simulated kubelet moved it to Running.
        let p = pod(&sim);
        assert_eq!(p.spec.node_name, "n-0");
        assert_ne!(p.status.phase, PodPhase::Running);
        // The agent's status is the pod's status.
        let status = PodStatus {
            phase: PodPhase::Running,
            ready: true,
            ready_at: Some(30_500),
            pod_ip: "10.244.0.2".into(),
            ..PodStatus::default()
        };
        sim.external_pod_status(SimTime(30_500), "default", "p", &p.metadata.uid, status);
        let q = pod(&sim);
        assert_eq!(q.status.phase, PodPhase::Running);
        assert_eq!(q.status.pod_ip, "10.244.0.2");
        // A status for another uid (a replaced pod) is ignored.
        sim.external_pod_status(
            SimTime(31_000),
            "default",
            "p",
            "other",
            PodStatus::default(),
        );
        assert_eq!(pod(&sim).status.phase, PodPhase::Running);
    }

    #[test]
    fn external_usage_replaces_the_modelled_usage_of_the_pods_it_reports() {
        use crate::api::resources::CpuMem;
        let cm = |milli_cpu, memory| CpuMem { milli_cpu, memory };
        let modelled = [("a".to_string(), cm(100, 1)), ("b".to_string(), cm(200, 2))];
        let measured = [("b".to_string(), cm(900, 9))].into_iter().collect();
        let u = super::usage_with(modelled.clone().into_iter().collect(), None);
        assert_eq!(u, modelled.clone().into_iter().collect());
        let u = super::usage_with(modelled.into_iter().collect(), Some(&measured));
        assert_eq!(u["a"], cm(100, 1));
        assert_eq!(u["b"], cm(900, 9));
        let mut sim = Sim::new(
            load("t.yaml", &Text(SCENARIO)).unwrap(),
            &RunOptions::default(),
        );
        assert!(sim.external_usage().is_none());
        sim.set_external_usage(measured.clone());
        assert_eq!(sim.external_usage(), Some(&measured));
    }

    #[test]
    fn a_lost_agent_makes_the_node_not_ready_after_the_grace_period() {
        let mut sim = Sim::new(
            load("t.yaml", &Text(SCENARIO)).unwrap(),
            &RunOptions::default(),
        );
        sim.detach_kubelets();
        sim.external_node_lost(SimTime(1_000), "n-0");
        assert!(sim.advance_external(SimTime(90_000)));
        let ready = match sim
            .store
            .get(&crate::store::ObjectKey::new(Kind::Node, "", "n-0"))
            .map(|s| &s.object)
        {
            Some(Object::Node(n)) => n
                .status
                .conditions
                .iter()
                .find(|c| c.kind == "Ready")
                .map(|c| c.status.clone()),
            _ => None,
        };
        assert_eq!(ready.as_deref(), Some("Unknown"));
    }
}
