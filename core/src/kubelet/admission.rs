//! Kubelet admission: may this pod run on this node? (upstream
//! pkg/kubelet/lifecycle/predicate.go `predicateAdmitHandler.Admit` and `generalFilter`, with
//! the scheduler's `AdmissionCheck` in pkg/scheduler/schedule_one.go.)
//!
//! The scheduler normally guarantees all of this; the kubelet checks again because a pod can
//! reach a node without it (`spec.nodeName` set by hand) or in a race. The checks, in
//! upstream's order: the `kubernetes.io/os` label, then the resource fit (`fitsRequest`: pod
//! count, cpu, memory, ephemeral storage, extended resources — against the node's allocatable
//! minus the requests of the pods already admitted there), the required node affinity and
//! nodeSelector, the node name, host ports, and untolerated `NoExecute` taints. Only the first
//! failure is reported. A rejected pod is Failed with the reason (`OutOfcpu`, `OutOfmemory`,
//! `OutOfpods`, `NodeAffinity`, ...) and the message `Pod was rejected: <message>`; the event
//! has the same reason and the bare message.
//!
//! With Borg resource reclamation on (`spec.borg.reclamation`), the resource fit is the
//! scheduler's: a pod below the production band fits against the other pods' cpu and memory
//! *reservations* (`status.reservation`, their requests until reclamation lowers them), as
//! NodeResourcesFit fits it — upstream's kubelet runs the scheduler's own `Fits`, so the two
//! never disagree about a pod the scheduler placed into reclaimed resources.

use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::api::resources::{CpuMem, Resources, CPU, EPHEMERAL_STORAGE, MEMORY, PODS};
use crate::sched::framework::podinfo::host_ports;
use crate::sched::plugins::{node_affinity, node_name, node_ports};

/// Upstream `InsufficientResourcePrefix` and the named reasons built from it.
pub const OUT_OF: &str = "OutOf";

/// Upstream `tainttoleration.ErrReasonNotMatch` (the kubelet's message for NoExecute taints).
pub const ERR_TAINTS: &str = "node(s) had taints that the pod didn't tolerate";

/// Why the kubelet refused a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
    pub message: String,
}

impl Rejection {
    /// Upstream `InsufficientResourceError` (reason `OutOf<resource>`).
    fn insufficient(resource: &str, requested: i64, used: i64, capacity: i64) -> Rejection {
        Rejection {
            reason: format!("{OUT_OF}{resource}"),
            message: format!(
                "Node didn't have enough resource: {resource}, requested: {requested}, used: {used}, capacity: {capacity}"
            ),
        }
    }

    /// Upstream `PredicateFailureError`.
    fn predicate(name: &str, desc: &str) -> Rejection {
        Rejection {
            reason: name.to_string(),
            message: format!("Predicate {name} failed: {desc}"),
        }
    }

    /// The pod's `status.message` (upstream `rejectPod`).
    pub fn status_message(&self) -> String {
        format!("Pod was rejected: {}", self.message)
    }
}

/// Upstream `v1helper.IsExtendedResourceName`: outside the `kubernetes.io` namespace, with a
/// domain.
fn is_extended(name: &str) -> bool {
    name.contains('/') && !name.starts_with("kubernetes.io/") && !name.contains(".kubernetes.io/")
}

/// Admit `pod` onto `node`, where `others` are the pods already admitted and not finished.
pub fn admit<'a>(
    pod: &Pod,
    node: &Node,
    others: impl Iterator<Item = &'a Pod> + Clone,
) -> Result<(), Rejection> {
    admit_fit(pod, node, others, None)
}

/// What the pods already admitted to a node (and not finished) hold, summed: what
/// `fitsRequest` and the host-port check compare a new pod against. The kubelet keeps one per
/// node up to date as pods are admitted and finish (`add` / `remove`), instead of summing
/// every other pod's requests at each admission: sums of the same per-pod values, so the
/// verdicts are the same.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Admitted {
    /// The sum of their requests (upstream `PodRequests` each).
    pub used: Resources,
    /// How many there are.
    pub count: i64,
    /// Their host ports (`host_ports`), one entry per port per pod.
    pub ports: Vec<(String, String, i32)>,
}

impl Admitted {
    /// The aggregate of `pods`.
    pub fn of<'a>(pods: impl Iterator<Item = &'a Pod>) -> Admitted {
        let mut a = Admitted::default();
        for p in pods {
            a.add(&p.requests(), host_ports(p));
        }
        a
    }

    /// One more pod, with its requests and host ports.
    pub fn add(&mut self, requests: &Resources, ports: Vec<(String, String, i32)>) {
        self.used.add(requests);
        self.count += 1;
        self.ports.extend(ports);
    }

    /// A pod `add`ed before with these requests and ports finished or left.
    pub fn remove(&mut self, requests: &Resources, ports: &[(String, String, i32)]) {
        self.used.sub(requests);
        self.count -= 1;
        for p in ports {
            if let Some(i) = self.ports.iter().position(|u| u == p) {
                self.ports.swap_remove(i);
            }
        }
    }
}

/// `admit`, with `reserved`: for a pod that Borg reclamation fits against reservations, the
/// sum of the other pods' cpu / memory reservations, which replaces their requests for cpu
/// and memory in the resource fit (the scheduler's NodeResourcesFit rule).
pub fn admit_fit<'a>(
    pod: &Pod,
    node: &Node,
    others: impl Iterator<Item = &'a Pod> + Clone,
    reserved: Option<CpuMem>,
) -> Result<(), Rejection> {
    admit_against(pod, node, &Admitted::of(others), reserved)
}

/// `admit_fit` against the aggregate of the pods already admitted.
pub fn admit_against(
    pod: &Pod,
    node: &Node,
    admitted: &Admitted,
    reserved: Option<CpuMem>,
) -> Result<(), Rejection> {
    // rejectPodAdmissionBasedOnOSSelector: the node's OS label is the kubelet's GOOS (linux).
    if let Some(os) = pod.metadata.labels.get("kubernetes.io/os") {
        if os != "linux" {
            return Err(Rejection {
                reason: "PodOSSelectorNodeLabelDoesNotMatch".into(),
                message:
                    "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label"
                        .into(),
            });
        }
    }
    let alloc = Resources::from_list(node.allocatable());
    let mut used = admitted.used.clone();
    let count = admitted.count;
    let used_ports = &admitted.ports;
    if let Some(r) = reserved {
        used.milli_cpu = r.milli_cpu;
        used.memory = r.memory;
    }
    // fitsRequest, in its order.
    if count + 1 > alloc.allowed_pods {
        return Err(Rejection::insufficient(PODS, 1, count, alloc.allowed_pods));
    }
    let mut want = pod.requests();
    want.scalar
        .retain(|name, _| !is_extended(name) || alloc.scalar.contains_key(name));
    let check = |name: &str, want: i64, alloc: i64, used: i64| {
        (want > 0 && want > alloc - used).then(|| Rejection::insufficient(name, want, used, alloc))
    };
    let checks = [
        check(CPU, want.milli_cpu, alloc.milli_cpu, used.milli_cpu),
        check(MEMORY, want.memory, alloc.memory, used.memory),
        check(
            EPHEMERAL_STORAGE,
            want.ephemeral_storage,
            alloc.ephemeral_storage,
            used.ephemeral_storage,
        ),
    ];
    if let Some(r) = checks.into_iter().flatten().next() {
        return Err(r);
    }
    for (name, w) in &want.scalar {
        if let Some(r) = check(name, *w, alloc.scalar(name), used.scalar(name)) {
            return Err(r);
        }
    }
    let required = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    if !crate::api::selector::required_node_affinity_matches(
        &pod.spec.node_selector,
        required,
        &node.metadata.name,
        &node.metadata.labels,
    ) {
        return Err(Rejection::predicate(
            "NodeAffinity",
            node_affinity::ERR_REASON_POD,
        ));
    }
    if !pod.spec.node_name.is_empty() && pod.spec.node_name != node.metadata.name {
        return Err(Rejection::predicate("NodeName", node_name::ERR_REASON));
    }
    let mine = host_ports(pod);
    if mine
        .iter()
        .any(|w| used_ports.iter().any(|u| node_ports::conflict(w, u)))
    {
        return Err(Rejection::predicate("NodePorts", node_ports::ERR_REASON));
    }
    let untolerated = node.spec.taints.iter().any(|t| {
        t.effect == "NoExecute" && !pod.spec.tolerations.iter().any(|tol| tol.tolerates(t))
    });
    if untolerated {
        return Err(Rejection::predicate("TaintToleration", ERR_TAINTS));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Taint;
    use crate::api::pod::{Container, ContainerPort};
    use crate::api::Quantity;

    fn node(cpu: &str, mem: &str, pods: &str) -> Node {
        let mut n = Node::default();
        n.metadata.name = "n".into();
        for (k, v) in [("cpu", cpu), ("memory", mem), ("pods", pods)] {
            n.status
                .allocatable
                .insert(k.into(), Quantity::parse(v).unwrap());
        }
        n
    }

    fn pod(cpu: &str, mem: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "p".into();
        p.spec.node_name = "n".into();
        let mut c = Container {
            name: "c".into(),
            ..Default::default()
        };
        c.resources
            .requests
            .insert("cpu".into(), Quantity::parse(cpu).unwrap());
        c.resources
            .requests
            .insert("memory".into(), Quantity::parse(mem).unwrap());
        p.spec.containers.push(c);
        p
    }

    #[test]
    fn out_of_cpu_has_upstreams_message() {
        let running = [pod("3500m", "1Gi")];
        let r = admit(&pod("1", "1Gi"), &node("4", "8Gi", "110"), running.iter()).unwrap_err();
        assert_eq!(r.reason, "OutOfcpu");
        assert_eq!(
            r.message,
            "Node didn't have enough resource: cpu, requested: 1000, used: 3500, capacity: 4000"
        );
        assert_eq!(
            r.status_message(),
            "Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: 3500, capacity: 4000"
        );
    }

    #[test]
    fn out_of_memory_counts_bytes() {
        let running = [pod("100m", "7Gi")];
        let r = admit(
            &pod("100m", "2Gi"),
            &node("4", "8Gi", "110"),
            running.iter(),
        )
        .unwrap_err();
        assert_eq!(r.reason, "OutOfmemory");
        assert_eq!(
            r.message,
            "Node didn't have enough resource: memory, requested: 2147483648, used: 7516192768, capacity: 8589934592"
        );
    }

    #[test]
    fn out_of_pods_comes_first() {
        let running = [pod("3", "1Gi"), pod("100m", "1Gi")];
        let r = admit(&pod("2", "1Gi"), &node("4", "8Gi", "2"), running.iter()).unwrap_err();
        assert_eq!(r.reason, "OutOfpods");
        assert_eq!(
            r.message,
            "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2"
        );
    }

    #[test]
    fn fitting_pod_is_admitted() {
        let running = [pod("3", "1Gi")];
        assert_eq!(
            admit(&pod("1", "7Gi"), &node("4", "8Gi", "110"), running.iter()),
            Ok(())
        );
    }

    #[test]
    fn node_selector_and_taints_and_ports() {
        let mut p = pod("100m", "1Mi");
        p.spec.node_selector.insert("disk".into(), "ssd".into());
        let r = admit(&p, &node("4", "8Gi", "110"), [].iter()).unwrap_err();
        assert_eq!(r.reason, "NodeAffinity");
        assert_eq!(
            r.message,
            "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"
        );

        let mut n = node("4", "8Gi", "110");
        n.spec.taints.push(Taint {
            key: "k".into(),
            value: String::new(),
            effect: "NoExecute".into(),
        });
        let r = admit(&pod("100m", "1Mi"), &n, [].iter()).unwrap_err();
        assert_eq!(r.reason, "TaintToleration");
        assert_eq!(
            r.message,
            "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate"
        );
        n.spec.taints[0].effect = "NoSchedule".into();
        assert_eq!(admit(&pod("100m", "1Mi"), &n, [].iter()), Ok(()));

        let mut a = pod("100m", "1Mi");
        a.spec.containers[0].ports.push(ContainerPort {
            container_port: 80,
            host_port: Some(8080),
            ..Default::default()
        });
        let b = a.clone();
        let r = admit(&a, &node("4", "8Gi", "110"), [b].iter()).unwrap_err();
        assert_eq!(r.reason, "NodePorts");
        assert_eq!(
            r.message,
            "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"
        );
    }

    #[test]
    fn reclaimed_fit_uses_the_reservations_of_the_others() {
        // A 3-cpu pod reserving 1100m: a 2-cpu pod fits against the reservation only.
        let others = [pod("3", "4Gi")];
        let n = node("4", "16Gi", "110");
        let r = admit(&pod("2", "1Gi"), &n, others.iter()).unwrap_err();
        assert_eq!(r.reason, "OutOfcpu");
        let reserved = CpuMem {
            milli_cpu: 1100,
            memory: 2 << 30,
        };
        assert_eq!(
            admit_fit(&pod("2", "1Gi"), &n, others.iter(), Some(reserved)),
            Ok(())
        );
        let r = admit_fit(&pod("3", "1Gi"), &n, others.iter(), Some(reserved)).unwrap_err();
        assert_eq!(
            r.message,
            "Node didn't have enough resource: cpu, requested: 3000, used: 1100, capacity: 4000"
        );
    }
}
