//! NodeResourcesFit (PreFilter, Filter, PreScore, Score) and the three scoring strategies:
//! LeastAllocated (default), MostAllocated, RequestedToCapacityRatio (upstream noderesources:
//! fit.go, least_allocated.go, most_allocated.go, requested_to_capacity_ratio.go,
//! resource_allocation.go).

use crate::api::resources::{Resources, CPU, EPHEMERAL_STORAGE, MEMORY};
use crate::sched::events::{hint, passes_on_empty, ClusterEvent, QueueingHint};
use crate::sched::framework::{
    CycleState, NodeInfo, Plugin, PodInfo, Point, Snapshot, Status, MAX_NODE_SCORE,
};
use cellsim_derive::CompactDeserialize;

#[derive(CompactDeserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceSpec {
    pub name: String,
    #[serde(default)]
    pub weight: i64,
}

#[derive(CompactDeserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UtilizationShapePoint {
    pub utilization: i64,
    pub score: i64,
}

#[derive(CompactDeserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RtcrArgs {
    #[serde(default)]
    shape: Vec<UtilizationShapePoint>,
}

#[derive(CompactDeserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StrategyArgs {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    resources: Option<Vec<ResourceSpec>>,
    #[serde(default)]
    requested_to_capacity_ratio: Option<RtcrArgs>,
}

#[derive(CompactDeserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FitArgs {
    #[serde(default)]
    ignored_resources: Vec<String>,
    #[serde(default)]
    ignored_resource_groups: Vec<String>,
    #[serde(default)]
    scoring_strategy: Option<StrategyArgs>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    LeastAllocated,
    MostAllocated,
    /// Shape points with scores already scaled to 0..=100.
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

#[derive(Debug)]
pub struct NodeResourcesFit {
    ignored: Vec<String>,
    ignored_groups: Vec<String>,
    pub strategy: Strategy,
    pub resources: Vec<ResourceSpec>,
    /// `resources` resolved once (no name matching per node).
    kinds: Vec<ResKind>,
}

/// A configured resource, resolved from its name once at plugin construction.
#[derive(Clone, Debug, PartialEq)]
pub enum ResKind {
    Cpu,
    Memory,
    EphemeralStorage,
    Scalar(String),
}

impl ResKind {
    pub fn of(name: &str) -> ResKind {
        match name {
            CPU => ResKind::Cpu,
            MEMORY => ResKind::Memory,
            EPHEMERAL_STORAGE => ResKind::EphemeralStorage,
            other => ResKind::Scalar(other.to_string()),
        }
    }

    pub fn resolve(resources: &[ResourceSpec]) -> Vec<ResKind> {
        resources.iter().map(|r| ResKind::of(&r.name)).collect()
    }
}

/// Upstream `MaxCustomPriorityScore` (shape scores are 0..=10) and `MaxUtilization`.
const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;
const MAX_UTILIZATION: i64 = 100;
/// Upstream `MaxResourceWeight` for scoringStrategy resources.
const MAX_RESOURCE_WEIGHT: i64 = 100;

fn default_resources() -> Vec<ResourceSpec> {
    vec![
        ResourceSpec {
            name: CPU.into(),
            weight: 1,
        },
        ResourceSpec {
            name: MEMORY.into(),
            weight: 1,
        },
    ]
}

/// Upstream `validateResources`: weights in 1..=100, names unique (path in the message).
pub fn validate_resources(path: &str, rs: &[ResourceSpec]) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, r) in rs.iter().enumerate() {
        if r.weight <= 0 || r.weight > MAX_RESOURCE_WEIGHT {
            return Err(format!("{path}[{i}].weight: Invalid value: {}: resource weight of {} should be in range [1, 100]", r.weight, r.name));
        }
        if seen.contains(&r.name.as_str()) {
            return Err(format!("{path}[{i}].name: Duplicate value: {:?}", r.name));
        }
        seen.push(&r.name);
    }
    Ok(())
}

impl NodeResourcesFit {
    pub fn new(args: Option<&crate::yaml::Node>) -> Result<NodeResourcesFit, String> {
        let a: FitArgs = crate::sched::plugins::helper::decode_args("NodeResourcesFitArgs", args)?;
        let s = a.scoring_strategy.unwrap_or_default();
        // Defaulting (SetDefaults_NodeResourcesFitArgs): LeastAllocated on cpu:1, memory:1.
        let resources = match s.resources {
            Some(r) if !r.is_empty() => r,
            _ => default_resources(),
        };
        let strategy = match s.kind.as_deref().unwrap_or("LeastAllocated") {
            "LeastAllocated" => Strategy::LeastAllocated,
            "MostAllocated" => Strategy::MostAllocated,
            "RequestedToCapacityRatio" => {
                let shape = s.requested_to_capacity_ratio.map(|r| r.shape).unwrap_or_default();
                validate_shape(&shape)?;
                Strategy::RequestedToCapacityRatio(
                    shape.iter().map(|p| (p.utilization, p.score * MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE)).collect(),
                )
            }
            other => {
                return Err(format!(
                    "scoringStrategy.type: Unsupported value: {other:?}: supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""
                ))
            }
        };
        validate_resources("scoringStrategy.resources", &resources)?;
        Ok(NodeResourcesFit {
            ignored: a.ignored_resources,
            ignored_groups: a.ignored_resource_groups,
            strategy,
            kinds: ResKind::resolve(&resources),
            resources,
        })
    }

    fn is_ignored(&self, name: &str) -> bool {
        self.ignored.iter().any(|i| i == name)
            || name
                .split_once('/')
                .is_some_and(|(group, _)| self.ignored_groups.iter().any(|g| g == group))
    }

    /// The pod's request per configured resource, with the non-zero defaults for cpu/memory
    /// (the scorer counts `NonZeroRequested`).
    fn pod_requests(&self, pod: &PodInfo) -> Vec<i64> {
        self.kinds
            .iter()
            .map(|k| requested_of(k, pod, true))
            .collect()
    }
}

/// Upstream `ValidateRequestedToCapacityRatioArgs` shape checks.
fn validate_shape(shape: &[UtilizationShapePoint]) -> Result<(), String> {
    if shape.is_empty() {
        return Err("scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified".into());
    }
    for (i, p) in shape.iter().enumerate() {
        if !(0..=MAX_UTILIZATION).contains(&p.utilization) {
            return Err(format!("scoringStrategy.requestedToCapacityRatio.shape[{i}].utilization: Invalid value: {}: not in valid range [0, 100]", p.utilization));
        }
        if i > 0 && p.utilization <= shape[i - 1].utilization {
            return Err(format!("scoringStrategy.requestedToCapacityRatio.shape[{i}].utilization: Invalid value: {}: utilization values must be sorted in increasing order", p.utilization));
        }
        if !(0..=MAX_CUSTOM_PRIORITY_SCORE).contains(&p.score) {
            return Err(format!("scoringStrategy.requestedToCapacityRatio.shape[{i}].score: Invalid value: {}: not in valid range [0, 10]", p.score));
        }
    }
    Ok(())
}

/// A pod's request of one resource; `non_zero` applies the scheduler's cpu/memory defaults.
pub fn requested_of(kind: &ResKind, pod: &PodInfo, non_zero: bool) -> i64 {
    match kind {
        ResKind::Cpu if non_zero => pod.non_zero_cpu,
        ResKind::Memory if non_zero => pod.non_zero_mem,
        ResKind::Cpu => pod.requests.milli_cpu,
        ResKind::Memory => pod.requests.memory,
        ResKind::EphemeralStorage => pod.requests.ephemeral_storage,
        ResKind::Scalar(other) => pod.requests.scalar(other),
    }
}

/// Upstream `calculateResourceAllocatableRequest`: (allocatable, requested on the node
/// including the pod). An extended resource the pod does not request gives (0, 0) and drops
/// out of the score.
#[inline]
pub fn allocatable_and_requested(
    kind: &ResKind,
    node: &NodeInfo,
    pod_request: i64,
    non_zero: bool,
) -> (i64, i64) {
    let req: &Resources = &node.requested;
    match kind {
        ResKind::Cpu => (
            node.allocatable.milli_cpu,
            if non_zero {
                node.non_zero_cpu
            } else {
                req.milli_cpu
            }
            .saturating_add(pod_request),
        ),
        ResKind::Memory => (
            node.allocatable.memory,
            if non_zero {
                node.non_zero_mem
            } else {
                req.memory
            }
            .saturating_add(pod_request),
        ),
        ResKind::EphemeralStorage => (
            node.allocatable.ephemeral_storage,
            req.ephemeral_storage.saturating_add(pod_request),
        ),
        ResKind::Scalar(other) => {
            if pod_request == 0 {
                (0, 0)
            } else {
                (
                    node.allocatable.scalar(other),
                    req.scalar(other).saturating_add(pod_request),
                )
            }
        }
    }
}

/// `a * MAX_NODE_SCORE / b` for `0 <= a`, `0 < b`, exact: in i64 when the product fits (the
/// usual case), else in i128 (allocatable may be as large as a quantity allows).
fn scaled(a: i64, b: i64) -> i64 {
    match a.checked_mul(MAX_NODE_SCORE) {
        Some(p) => p / b,
        None => (a as i128 * MAX_NODE_SCORE as i128 / b as i128) as i64,
    }
}

/// Upstream `calculateResourceAllocatableRequest` over every configured resource: calls `f`
/// with (requested, allocatable) per resource, both 0 where allocatable is 0. Up to eight
/// resources live on the stack (the per-node scoring path allocates nothing).
#[inline]
pub fn with_node_amounts<R>(
    resources: &[ResKind],
    node: &NodeInfo,
    pod_req: &[i64],
    non_zero: bool,
    f: impl FnOnce(&[i64], &[i64]) -> R,
) -> R {
    const STACK: usize = 8;
    let n = resources.len();
    let fill = |requested: &mut [i64], allocatable: &mut [i64]| {
        for (i, r) in resources.iter().enumerate() {
            let (a, q) = allocatable_and_requested(r, node, pod_req[i], non_zero);
            if a == 0 {
                continue;
            }
            allocatable[i] = a;
            requested[i] = q;
        }
    };
    if n <= STACK {
        let (mut rq, mut al) = ([0i64; STACK], [0i64; STACK]);
        fill(&mut rq[..n], &mut al[..n]);
        f(&rq[..n], &al[..n])
    } else {
        let (mut rq, mut al) = (vec![0i64; n], vec![0i64; n]);
        fill(&mut rq, &mut al);
        f(&rq, &al)
    }
}

/// Upstream `leastRequestedScore`.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    if requested >= 0 && capacity > 0 {
        // The usual case: 0 <= capacity - requested <= capacity, exact in i64.
        return scaled(capacity - requested, capacity);
    }
    // The score never overflows: the difference is taken in i128.
    let diff = capacity as i128 - requested as i128;
    match i64::try_from(diff) {
        Ok(d) if capacity > 0 => scaled(d, capacity),
        _ => (diff * MAX_NODE_SCORE as i128 / capacity as i128) as i64,
    }
}

/// Upstream `mostRequestedScore`.
fn most_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    let r = requested.min(capacity);
    if r >= 0 && capacity > 0 {
        scaled(r, capacity)
    } else {
        (r as i128 * MAX_NODE_SCORE as i128 / capacity as i128) as i64
    }
}

/// Upstream `helper.BuildBrokenLinearFunction`.
fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, &(u, s)) in shape.iter().enumerate() {
        if p <= u {
            if i == 0 {
                return s;
            }
            let (pu, ps) = shape[i - 1];
            return ps + (s - ps) * (p - pu) / (u - pu);
        }
    }
    shape.last().map_or(0, |&(_, s)| s)
}

/// Score from (requested, allocatable) per resource and weights, per strategy.
pub fn strategy_score(
    strategy: &Strategy,
    resources: &[ResourceSpec],
    requested: &[i64],
    allocatable: &[i64],
) -> i64 {
    let (mut sum, mut weights) = (0i64, 0i64);
    for i in 0..requested.len() {
        if allocatable[i] == 0 {
            continue;
        }
        let w = resources[i].weight;
        match strategy {
            Strategy::LeastAllocated => {
                sum = sum.saturating_add(least_requested(requested[i], allocatable[i]) * w);
                weights += w;
            }
            Strategy::MostAllocated => {
                sum += most_requested(requested[i], allocatable[i]) * w;
                weights += w;
            }
            Strategy::RequestedToCapacityRatio(shape) => {
                let u = if requested[i] > allocatable[i] {
                    MAX_UTILIZATION
                } else {
                    (requested[i] as i128 * MAX_UTILIZATION as i128 / allocatable[i] as i128) as i64
                };
                let s = broken_linear(shape, u);
                // Resources scoring 0 are left out of the weighted mean (upstream).
                if s > 0 {
                    sum += s * w;
                    weights += w;
                }
            }
        }
    }
    if weights == 0 {
        return 0;
    }
    match strategy {
        // math.Round(nodeScore / weightSum) for non-negative values, in integers.
        Strategy::RequestedToCapacityRatio(_) => (2 * sum + weights) / (2 * weights),
        _ => sum / weights,
    }
}

const STATE: &str = "PreScoreNodeResourcesFit";

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[
            Point::PreFilter,
            Point::Filter,
            Point::PreScore,
            Point::Score,
        ]
    }

    fn pre_filter(&self, _: &mut CycleState, _: &PodInfo, _: &Snapshot) -> Status {
        Status::success()
    }

    /// Upstream EventsToRegister (v1.35, queueing hints on): Pod Delete | UpdatePodScaleDown
    /// and Node Add | UpdateNodeAllocatable. A deleted pod helps when it was assigned or
    /// nominated (`isSchedulableAfterPodEvent`); a scaled-down pod when a resource the pod
    /// requests went down (`isSchedulableAfterPodScaleDown`; a lowered Borg reservation counts
    /// as one); a node when the pod fits it empty and, for an update, when the allocatable of
    /// a requested resource or the pod count grew (`isSchedulableAfterNodeChange`,
    /// `haveAnyRequestedResourcesIncreased`).
    fn queueing_hint(
        &self,
        pod: &PodInfo,
        event: &ClusterEvent,
        snap: &Snapshot,
    ) -> Option<QueueingHint> {
        let r = &pod.requests;
        match event {
            ClusterEvent::PodDeleted(p) => {
                hint(!p.spec.node_name.is_empty() || !p.status.nominated_node_name.is_empty())
            }
            ClusterEvent::AssignedPodUpdated { old, new } => {
                let (o, n) = (PodInfo::new(old), PodInfo::new(new));
                let down = |want: i64, before: i64, after: i64| want > 0 && after < before;
                hint(
                    down(r.milli_cpu, o.requests.milli_cpu, n.requests.milli_cpu)
                        || down(r.memory, o.requests.memory, n.requests.memory)
                        || down(
                            r.ephemeral_storage,
                            o.requests.ephemeral_storage,
                            n.requests.ephemeral_storage,
                        )
                        || r.scalar
                            .iter()
                            .any(|(k, v)| down(*v, o.requests.scalar(k), n.requests.scalar(k)))
                        || down(r.milli_cpu, o.reserved.milli_cpu, n.reserved.milli_cpu)
                        || down(r.memory, o.reserved.memory, n.reserved.memory),
                )
            }
            ClusterEvent::NodeAdded(n) => hint(passes_on_empty(self, pod, n, snap)),
            ClusterEvent::NodeUpdated { old, new } => {
                if !passes_on_empty(self, pod, new, snap) {
                    return hint(false);
                }
                let (a, b) = (
                    Resources::from_list(old.allocatable()),
                    Resources::from_list(new.allocatable()),
                );
                let up = |want: i64, before: i64, after: i64| want > 0 && after > before;
                hint(
                    b.allowed_pods > a.allowed_pods
                        || up(r.milli_cpu, a.milli_cpu, b.milli_cpu)
                        || up(r.memory, a.memory, b.memory)
                        || up(
                            r.ephemeral_storage,
                            a.ephemeral_storage,
                            b.ephemeral_storage,
                        )
                        || r.scalar
                            .iter()
                            .any(|(k, v)| up(*v, a.scalar(k), b.scalar(k))),
                )
            }
            _ => None,
        }
    }

    /// Upstream `fitsRequest`: the pod count, then cpu, memory, ephemeral storage and each
    /// requested scalar resource (in name order), against allocatable minus requested.
    ///
    /// With Borg resource reclamation on (`spec.borg.reclamation`), a pod below the
    /// production band is fitted against the *reservations* of the pods on the node for cpu
    /// and memory, so it can run in reclaimed resources; production and monitoring pods keep
    /// the requests and never rely on them (Verma et al., EuroSys 2015, §5.5). Scores keep
    /// the requests for every pod (see docs/scenario-format.md, `spec.borg.reclamation`).
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, snap: &Snapshot) -> Status {
        let mut reasons = Vec::new();
        let mut unresolvable = false;
        let a = &node.allocatable;
        let used = &node.requested;
        let (used_cpu, used_mem) = if snap
            .borg
            .as_ref()
            .is_some_and(|b| b.fits_against_reservations(pod.priority))
        {
            (node.reserved.milli_cpu, node.reserved.memory)
        } else {
            (used.milli_cpu, used.memory)
        };
        if node.pods.len() as i64 + 1 > a.allowed_pods {
            reasons.push("Too many pods".to_string());
        }
        let r = &pod.requests;
        let mut check = |name: &str, want: i64, alloc: i64, used: i64| {
            if want > 0 && want > alloc.saturating_sub(used) {
                reasons.push(format!("Insufficient {name}"));
                // More than the node has in total: no preemption can help.
                if want > alloc {
                    unresolvable = true;
                }
            }
        };
        check(CPU, r.milli_cpu, a.milli_cpu, used_cpu);
        check(MEMORY, r.memory, a.memory, used_mem);
        check(
            EPHEMERAL_STORAGE,
            r.ephemeral_storage,
            a.ephemeral_storage,
            used.ephemeral_storage,
        );
        for (name, want) in &r.scalar {
            if self.is_ignored(name) {
                continue;
            }
            check(name, *want, a.scalar(name), used.scalar(name));
        }
        if reasons.is_empty() {
            Status::success()
        } else if unresolvable {
            Status::with_reasons(
                crate::sched::framework::Code::UnschedulableAndUnresolvable,
                reasons,
            )
        } else {
            Status::with_reasons(crate::sched::framework::Code::Unschedulable, reasons)
        }
    }

    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[usize],
        _: &Snapshot,
    ) -> Status {
        state.write(STATE, self.pod_requests(pod));
        Status::success()
    }

    fn score(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        _: &Snapshot,
    ) -> Result<i64, Status> {
        let owned;
        let pod_req: &Vec<i64> = match state.read(STATE) {
            Some(v) => v,
            None => {
                owned = self.pod_requests(pod);
                &owned
            }
        };
        Ok(with_node_amounts(
            &self.kinds,
            node,
            pod_req,
            true,
            |requested, allocatable| {
                strategy_score(&self.strategy, &self.resources, requested, allocatable)
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Node;
    use crate::api::pod::{Container, Pod};
    use crate::api::resources::CpuMem;
    use crate::api::Quantity;
    use crate::sched::borg::BorgPolicy;
    use std::rc::Rc;

    fn pod(name: &str, priority: i32, cpu: i64, reserved_cpu: Option<i64>) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.spec.priority = Some(priority);
        let mut c = Container::default();
        c.resources
            .requests
            .insert(CPU.into(), Quantity::from_milli(cpu));
        c.resources
            .requests
            .insert(MEMORY.into(), Quantity::from_value(1 << 30, true));
        p.spec.containers.push(c);
        p.status.reservation = reserved_cpu.map(|c| CpuMem {
            milli_cpu: c,
            memory: 1 << 30,
        });
        p
    }

    #[test]
    fn non_prod_pods_fit_against_reservations_when_reclamation_is_on() {
        let mut n = Node::default();
        n.metadata.name = "n".into();
        n.status
            .allocatable
            .insert(CPU.into(), Quantity::from_milli(4000));
        n.status
            .allocatable
            .insert(MEMORY.into(), Quantity::from_value(16 << 30, true));
        n.status
            .allocatable
            .insert("pods".into(), Quantity::from_value(110, false));
        let mut snap = Snapshot::default();
        snap.set_node(n);
        // A production pod requests 3 CPUs; reclamation brought its reservation to 1.1.
        snap.add_pod(
            "n",
            Rc::new(PodInfo::new(&pod("web", 20_000, 3000, Some(1100)))),
        );
        let fit = NodeResourcesFit::new(None).unwrap();
        let verdict = |snap: &Snapshot, p: Pod| {
            let info = PodInfo::new(&p);
            let st = fit.filter(&CycleState::default(), &info, &snap.nodes[0], snap);
            (st.is_success(), st.reasons.join(", "))
        };
        let ok = (true, String::new());
        let no = (false, "Insufficient cpu".to_string());
        assert_eq!(snap.nodes[0].reserved.milli_cpu, 1100);
        assert_eq!(snap.nodes[0].requested.milli_cpu, 3000);
        // Plain kube-scheduler, and Borg without reclamation: requests.
        assert_eq!(verdict(&snap, pod("batch", 200, 2000, None)), no);
        snap.set_borg(Some(BorgPolicy::default()));
        assert_eq!(verdict(&snap, pod("batch", 200, 2000, None)), no);
        snap.set_borg(Some(BorgPolicy {
            reclamation: Some(Default::default()),
            ..BorgPolicy::default()
        }));
        assert_eq!(verdict(&snap, pod("batch", 200, 2000, None)), ok);
        assert_eq!(verdict(&snap, pod("best-effort", 0, 2900, None)), ok);
        assert_eq!(
            verdict(&snap, pod("big-batch", 200, 3000, None)),
            no,
            "1100m + 3000m > 4000m"
        );
        // Production never relies on reclaimed resources.
        assert_eq!(verdict(&snap, pod("prod", 20_000, 2000, None)), no);
    }

    #[test]
    fn broken_linear_function() {
        // Upstream TestBrokenLinearFunction rows (scores scaled by 10).
        let shape = [(10, 10), (30, 50), (70, 20)];
        for (p, want) in [
            (0, 10),
            (10, 10),
            (15, 20),
            (30, 50),
            (50, 35),
            (70, 20),
            (100, 20),
        ] {
            assert_eq!(broken_linear(&shape, p), want, "p={p}");
        }
    }

    #[test]
    fn args_validation() {
        let bad = serde_json::json!({"scoringStrategy": {"type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 0}]}});
        assert!(
            NodeResourcesFit::new(Some(&crate::yaml::Node::from_json(&bad)))
                .unwrap_err()
                .contains("should be in range [1, 100]")
        );
        let bad = serde_json::json!({"scoringStrategy": {"type": "Bogus"}});
        assert!(
            NodeResourcesFit::new(Some(&crate::yaml::Node::from_json(&bad)))
                .unwrap_err()
                .contains("Unsupported value")
        );
        let bad = serde_json::json!({"scoringStrategy": {"type": "RequestedToCapacityRatio", "requestedToCapacityRatio": {"shape": [{"utilization": 50, "score": 1}, {"utilization": 40, "score": 2}]}}});
        assert!(
            NodeResourcesFit::new(Some(&crate::yaml::Node::from_json(&bad)))
                .unwrap_err()
                .contains("increasing order")
        );
        assert_eq!(
            NodeResourcesFit::new(None).unwrap().strategy,
            Strategy::LeastAllocated
        );
    }
}
