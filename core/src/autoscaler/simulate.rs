//! The autoscaler's scheduling simulation: would a pod fit a node (an existing one with what
//! it holds, or a new one made from a pool's template)? Upstream runs the scheduler's Filter
//! plugins on the node's `NodeInfo`; this checks the node-local ones that decide between
//! pools — NodeResourcesFit (cpu, memory, pods, extended resources), NodeAffinity
//! (`nodeSelector` and required node affinity), TaintToleration (NoSchedule and NoExecute) and
//! NodeUnschedulable — not inter-pod affinity or topology spread.

use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::api::resources::Resources;

/// A node as the simulation sees it: its labels and taints, and what is left on it.
#[derive(Clone, Debug)]
pub struct SimNode {
    pub name: String,
    pub pool: Option<String>,
    pub node: Node,
    pub allocatable: Resources,
    pub requested: Resources,
    pub pods: i64,
}

impl SimNode {
    pub fn new(node: &Node) -> SimNode {
        SimNode {
            name: node.metadata.name.clone(),
            pool: node.metadata.labels.get("cellsim.dev/pool").cloned(),
            node: node.clone(),
            allocatable: Resources::from_list(node.allocatable()),
            requested: Resources::default(),
            pods: 0,
        }
    }

    /// Whether `pod` (requesting `r`) passes the node-local filters here.
    pub fn fits(&self, pod: &Pod, r: &Resources) -> bool {
        if self.node.spec.unschedulable {
            // NodeUnschedulable: only pods tolerating the unschedulable taint.
            let t = crate::api::node::Taint {
                key: "node.kubernetes.io/unschedulable".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
            };
            if !pod.spec.tolerations.iter().any(|x| x.tolerates(&t)) {
                return false;
            }
        }
        let free = |a: i64, used: i64| a.saturating_sub(used);
        if r.milli_cpu > free(self.allocatable.milli_cpu, self.requested.milli_cpu)
            || r.memory > free(self.allocatable.memory, self.requested.memory)
            || self.pods + 1 > self.allocatable.allowed_pods
            || r.scalar.iter().any(|(k, v)| {
                *v > 0 && *v > free(self.allocatable.scalar(k), self.requested.scalar(k))
            })
        {
            return false;
        }
        let labels = &self.node.metadata.labels;
        if !crate::api::selector::set_selects(&pod.spec.node_selector, labels) {
            return false;
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
        if let Some(req) = required {
            if !req.matches(&self.name, labels) {
                return false;
            }
        }
        self.node
            .spec
            .taints
            .iter()
            .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
            .all(|t| pod.spec.tolerations.iter().any(|x| x.tolerates(t)))
    }

    pub fn add(&mut self, r: &Resources) {
        self.requested.add(r);
        self.pods += 1;
    }
}

/// First fit of `pods` onto `nodes` (in order), then onto up to `new_nodes` nodes made by
/// `template` (numbered from `next_index`). Returns the indexes of the pods placed and how many
/// new nodes were used.
pub fn bin_pack(
    pods: &[(&Pod, Resources)],
    nodes: &mut Vec<SimNode>,
    template: Option<(&dyn Fn(u32) -> Node, u32)>,
    new_nodes: u32,
) -> (Vec<usize>, u32) {
    let mut placed = Vec::new();
    let mut added = 0;
    for (i, (pod, r)) in pods.iter().enumerate() {
        if let Some(n) = nodes.iter_mut().find(|n| n.fits(pod, r)) {
            n.add(r);
            placed.push(i);
            continue;
        }
        if let Some((make, next)) = &template {
            if added < new_nodes {
                let mut n = SimNode::new(&make(next + added));
                if n.fits(pod, r) {
                    n.add(r);
                    nodes.push(n);
                    added += 1;
                    placed.push(i);
                }
            }
        }
    }
    (placed, added)
}
