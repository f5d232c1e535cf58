//! DefaultPreemption (PostFilter): when no node fits, find nodes where evicting lower-priority
//! pods would let the pod fit, pick one, and nominate it.
//!
//! Upstream v1.35: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go
//! (eligibility, candidate count, SelectVictimsOnNode, PDB grouping) and
//! pkg/scheduler/framework/preemption/preemption.go (Preempt, findCandidates,
//! DryRunPreemption, SelectCandidate, pickOneNodeForPreemption). The scheduler — not this
//! plugin — evicts the victims (upstream `prepareCandidate`) and sets `nominatedNodeName`.
//!
//! The dry run filters a copy of each node and of the cycle state, kept in step through the
//! PreFilter extensions (RemovePod / AddPod), and honours the node's nominated pods as
//! upstream's SelectVictimsOnNode does (RunFilterPluginsWithNominatedPods).
//!
//! Not modelled: extenders, the async-preemption PreEnqueue gate (deletions here are
//! immediate), pod groups.

use crate::api::policy::PodDisruptionBudget;
use crate::api::selector::{as_selector, Selector};
use crate::sched::fit_error;
use crate::sched::framework::{
    Code, CycleState, NodeInfo, NodeToStatus, Nominating, Plugin, PodInfo, Point, PostFilterInput,
    Snapshot, Status,
};
use crate::sched::profile::Profile;
use cellsim_derive::CompactDeserialize;
use std::cmp::Ordering;
use std::rc::Rc;

pub const NAME: &str = "DefaultPreemption";

/// `DefaultPreemptionArgs` (defaults from pkg/scheduler/apis/config/v1/defaults.go).
#[derive(CompactDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Args {
    pub min_candidate_nodes_percentage: i32,
    pub min_candidate_nodes_absolute: i32,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    }
}

/// Upstream `ValidateDefaultPreemptionArgs` (field errors aggregated as `errors.Aggregate`
/// prints them: one bare, several in brackets).
pub fn validate_args(a: &Args) -> Result<(), String> {
    let pct = "minCandidateNodesPercentage";
    let abs = "minCandidateNodesAbsolute";
    let mut errs: Vec<String> = Vec::new();
    let p = a.min_candidate_nodes_percentage;
    let n = a.min_candidate_nodes_absolute;
    if !(0..=100).contains(&p) {
        errs.push(format!(
            "{pct}: Invalid value: {p}: not in valid range [0, 100]"
        ));
    }
    if n < 0 {
        errs.push(format!(
            "{abs}: Invalid value: {n}: not in valid range [0, inf)"
        ));
    }
    if p == 0 && n == 0 {
        errs.push(format!(
            "{pct}: Invalid value: 0: cannot be zero at the same time as {abs}"
        ));
        errs.push(format!(
            "{abs}: Invalid value: 0: cannot be zero at the same time as {pct}"
        ));
    }
    match errs.len() {
        0 => Ok(()),
        1 => Err(errs.remove(0)),
        _ => Err(format!("[{}]", errs.join(", "))),
    }
}

pub struct DefaultPreemption {
    pub args: Args,
}

impl DefaultPreemption {
    pub fn new(args: Option<&crate::yaml::Node>) -> Result<DefaultPreemption, String> {
        let a: Args = crate::sched::plugins::helper::decode_args("DefaultPreemptionArgs", args)?;
        validate_args(&a)?;
        Ok(DefaultPreemption { args: a })
    }

    /// Upstream `calculateNumCandidates`: `numNodes * pct / 100`, at least the absolute
    /// minimum, at most `numNodes` (int32 arithmetic).
    pub fn calculate_num_candidates(&self, num_nodes: i32) -> i32 {
        let mut n = num_nodes * self.args.min_candidate_nodes_percentage / 100;
        if n < self.args.min_candidate_nodes_absolute {
            n = self.args.min_candidate_nodes_absolute;
        }
        if n > num_nodes {
            n = num_nodes;
        }
        n
    }
}

/// The victims on one candidate node (upstream `extenderv1.Victims`), most important first.
#[derive(Clone, Debug)]
pub struct Victims {
    pub pods: Vec<Rc<PodInfo>>,
    pub num_pdb_violations: i64,
}

/// Upstream `Candidate`: a node (snapshot index) and its victims.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub node: usize,
    pub name: String,
    pub victims: Victims,
}

/// A PDB as preemption reads it: its namespace, selector and `status.disruptionsAllowed`.
#[derive(Clone, Debug)]
pub struct PdbState {
    pub namespace: String,
    /// `None`: nil, empty or invalid selector — upstream's preemption code treats those as
    /// matching nothing.
    pub selector: Option<Selector>,
    pub disruptions_allowed: i32,
}

/// Upstream `GetPodStartTime`: `status.startTime`, or "now" when unset (later than any set
/// start time).
fn start_time(p: &PodInfo) -> u64 {
    p.pod.status.started_at.unwrap_or(u64::MAX)
}

/// Upstream `util.MoreImportantPod`: higher priority first, then the earlier start time.
pub fn more_important(a: &PodInfo, b: &PodInfo) -> bool {
    if a.priority != b.priority {
        return a.priority > b.priority;
    }
    start_time(a) < start_time(b)
}

fn importance_order(a: &Rc<PodInfo>, b: &Rc<PodInfo>) -> Ordering {
    if more_important(a, b) {
        Ordering::Less
    } else if more_important(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// `status.disruptionsAllowed` as the disruption controller computes it
/// (pkg/controller/disruption): healthy pods minus desired healthy, floored at 0. Pods are the
/// PDB's matching pods on nodes; healthy = Ready and not terminating. Deviation: the expected
/// count for percentages / maxUnavailable is the number of matching pods, not the owning
/// controllers' scale.
pub fn pdb_states(snap: &Snapshot) -> Vec<PdbState> {
    snap.pdbs.values().map(|pdb| pdb_state(pdb, snap)).collect()
}

pub fn pdb_state(pdb: &PodDisruptionBudget, snap: &Snapshot) -> PdbState {
    let namespace = if pdb.metadata.namespace.is_empty() {
        "default".to_string()
    } else {
        pdb.metadata.namespace.clone()
    };
    let selector = pdb
        .spec
        .selector
        .as_ref()
        .filter(|s| !s.is_empty())
        .and_then(|s| as_selector(s).ok());
    let mut expected = 0i64;
    let mut healthy = 0i64;
    if let Some(sel) = &selector {
        for n in &snap.nodes {
            for p in &n.pods {
                if p.namespace == namespace && sel.matches(&p.labels) {
                    expected += 1;
                    if p.pod.status.ready && !p.is_terminating() {
                        healthy += 1;
                    }
                }
            }
        }
    }
    let desired = if let Some(ma) = &pdb.spec.max_unavailable {
        let mu = ma.scaled_value(expected, true).unwrap_or(0);
        (expected - mu).max(0)
    } else if let Some(mi) = &pdb.spec.min_available {
        mi.scaled_value(expected, true).unwrap_or(0)
    } else {
        // Upstream defaults minAvailable to 1 when neither is set.
        1
    };
    PdbState {
        namespace,
        selector,
        disruptions_allowed: (healthy - desired).max(0) as i32,
    }
}

/// Upstream `filterPodsWithPDBViolation`: split (stably) into the pods whose eviction would
/// take a matching PDB's allowance below zero, and the others.
pub fn filter_pods_with_pdb_violation(
    pods: &[Rc<PodInfo>],
    pdbs: &[PdbState],
) -> (Vec<Rc<PodInfo>>, Vec<Rc<PodInfo>>) {
    let mut allowed: Vec<i32> = pdbs.iter().map(|p| p.disruptions_allowed).collect();
    let mut violating = Vec::new();
    let mut non_violating = Vec::new();
    for p in pods {
        let mut violated = false;
        // A pod with no labels matches no PDB.
        if !p.labels.is_empty() {
            for (i, pdb) in pdbs.iter().enumerate() {
                if pdb.namespace != p.namespace {
                    continue;
                }
                let Some(sel) = &pdb.selector else { continue };
                if !sel.matches(&p.labels) {
                    continue;
                }
                // (status.disruptedPods is not modelled: no pod is in it.)
                allowed[i] -= 1;
                if allowed[i] < 0 {
                    violated = true;
                }
            }
        }
        if violated {
            violating.push(p.clone());
        } else {
            non_violating.push(p.clone());
        }
    }
    (violating, non_violating)
}

/// What the dry run filters with (upstream: the Evaluator's framework handle and cycle
/// state): the profile's Filter plugins and PreFilter extensions, the state PreFilter
/// computed, the PreFilter plugins that returned Skip, the pod and the snapshot.
pub struct DryRun<'a> {
    pub profile: &'a Profile,
    pub state: &'a CycleState,
    pub skip: &'a [&'static str],
    pub pod: &'a PodInfo,
    pub snap: &'a Snapshot,
}

impl DryRun<'_> {
    /// Upstream `RunFilterPluginsWithNominatedPods` against the hypothetical node and state:
    /// a node's nominated pods of higher or equal priority keep the space they were
    /// promised (with AddPod on a further copy of the state).
    fn fits(&self, state: &CycleState, ni: &NodeInfo) -> Status {
        self.profile
            .run_filters_with_nominated_pods(state, self.skip, self.pod, ni, self.snap)
    }

    /// SelectVictimsOnNode's `removePod`: off the node, then RemovePod on the state.
    fn remove_pod(
        &self,
        state: &mut CycleState,
        ni: &mut NodeInfo,
        p: &PodInfo,
    ) -> Result<(), Status> {
        ni.remove_pod(&p.key);
        let s = self
            .profile
            .run_pre_filter_extension_remove_pod(state, self.skip, self.pod, p, ni);
        if s.is_success() {
            Ok(())
        } else {
            Err(s)
        }
    }

    /// SelectVictimsOnNode's `addPod`: onto the node, then AddPod on the state.
    fn add_pod(
        &self,
        state: &mut CycleState,
        ni: &mut NodeInfo,
        p: &Rc<PodInfo>,
    ) -> Result<(), Status> {
        ni.add_pod(p.clone());
        let s = self
            .profile
            .run_pre_filter_extension_add_pod(state, self.skip, self.pod, p, ni);
        if s.is_success() {
            Ok(())
        } else {
            Err(s)
        }
    }
}

/// Upstream `SelectVictimsOnNode` (default_preemption.go) on a copy of the node and of the
/// cycle state (`state`, cloned by the caller as upstream's DryRunPreemption does): remove
/// every lower-priority pod (RemovePod keeps PodTopologySpread / InterPodAffinity state in
/// step), check the pod fits, then reprieve victims — PDB-violating ones first, each group
/// most important first — adding each back (AddPod) and keeping it while the pod still fits.
pub fn select_victims_on_node(
    dr: &DryRun,
    state: &mut CycleState,
    node: &NodeInfo,
    pdbs: &[PdbState],
) -> Result<Victims, Status> {
    let mut potential = potential_victims(dr, node);
    if potential.is_empty() {
        return Err(no_victims());
    }
    // Upstream copies the NodeInfo (`Snapshot()`) before looking for victims; the copy is
    // only needed once there are some to remove, and cloning it (with its Node) for every
    // node of a full cluster was a third of a run with pods left pending.
    let mut ni = node.clone();
    for p in &potential {
        dr.remove_pod(state, &mut ni, p).map_err(as_error)?;
    }
    let s = dr.fits(state, &ni);
    if !s.is_success() {
        return Err(s);
    }
    crate::sort::sort_by(&mut potential, importance_order);
    let (violating, non_violating) = filter_pods_with_pdb_violation(&potential, pdbs);
    let mut victims: Vec<Rc<PodInfo>> = Vec::new();
    let mut num_violating = 0i64;
    // reprievePod: Ok(true) when the pod stays; Err on a failed extension.
    let reprieve = |p: &Rc<PodInfo>,
                    state: &mut CycleState,
                    ni: &mut NodeInfo,
                    victims: &mut Vec<Rc<PodInfo>>|
     -> Result<bool, Status> {
        dr.add_pod(state, ni, p)?;
        let ok = dr.fits(state, ni).is_success();
        if !ok {
            dr.remove_pod(state, ni, p)?;
            victims.push(p.clone());
        }
        Ok(ok)
    };
    for p in &violating {
        if !reprieve(p, state, &mut ni, &mut victims).map_err(as_error)? {
            num_violating += 1;
        }
    }
    for p in &non_violating {
        reprieve(p, state, &mut ni, &mut victims).map_err(as_error)?;
    }
    if !violating.is_empty() && !non_violating.is_empty() {
        crate::sort::sort_by(&mut victims, importance_order);
    }
    Ok(Victims {
        pods: victims,
        num_pdb_violations: num_violating,
    })
}

/// The pods on `node` the preemptor may evict. isPreemptionAllowed: the victim has lower
/// priority (IsEligiblePod is `true` by default); with Borg's policies, never a victim in the
/// production band for a production pod.
fn potential_victims(dr: &DryRun, node: &NodeInfo) -> Vec<Rc<PodInfo>> {
    node.pods
        .iter()
        .filter(|p| evictable(dr, p))
        .cloned()
        .collect()
}

fn evictable(dr: &DryRun, p: &PodInfo) -> bool {
    crate::sched::borg::preemption_allowed(dr.snap.borg.as_ref(), dr.pod.priority, p.priority)
}

/// Upstream selectVictimsOnNode's answer when nothing on the node may be evicted (the node's
/// state did not change, so it is not evaluated again).
fn no_victims() -> Status {
    Status::unresolvable("No preemption victims found for incoming pod")
}

/// Upstream `fwk.AsStatus(err)` of a failed extension: an Error with its message.
fn as_error(s: Status) -> Status {
    Status {
        code: Code::Error,
        ..s
    }
}

/// Upstream `DryRunPreemption`, sequentially: check the potential nodes from `offset`
/// round-robin, each on its own copy of the cycle state (`State.Clone()`); stop once there
/// is a non-violating candidate and `candidates_num` in all. Each of the two candidate lists
/// holds at most `candidates_num` (upstream `candidateList`). Returns non-violating
/// candidates then violating ones, and the statuses of nodes that failed.
pub fn dry_run_preemption(
    dr: &DryRun,
    potential: &[usize],
    pdbs: &[PdbState],
    offset: usize,
    candidates_num: usize,
) -> (Vec<Candidate>, NodeToStatus, Vec<Status>) {
    let snap = dr.snap;
    let mut non_violating: Vec<Candidate> = Vec::new();
    let mut violating: Vec<Candidate> = Vec::new();
    let mut statuses = NodeToStatus::new(snap.nodes.len());
    let mut errs = Vec::new();
    for i in 0..potential.len() {
        let idx = potential[(offset + i) % potential.len()];
        let node = &snap.nodes[idx];
        // The cycle state is copied per node (upstream `state.Clone()`) only where there is
        // something to evict; elsewhere selectVictimsOnNode answers before reading it.
        let found = if node.pods.iter().any(|p| evictable(dr, p)) {
            select_victims_on_node(dr, &mut dr.state.clone(), node, pdbs)
        } else {
            Err(no_victims())
        };
        let status = match found {
            Ok(v) if !v.pods.is_empty() => {
                let c = Candidate {
                    node: idx,
                    name: node.name.clone(),
                    victims: v,
                };
                let list = if c.victims.num_pdb_violations == 0 {
                    &mut non_violating
                } else {
                    &mut violating
                };
                if list.len() < candidates_num {
                    list.push(c);
                }
                if !non_violating.is_empty()
                    && non_violating.len() + violating.len() >= candidates_num
                {
                    break;
                }
                continue;
            }
            Ok(_) => Status::error(format!(
                "expected at least one victim pod on node {:?}",
                node.name
            )),
            Err(s) => s,
        };
        if status.code == Code::Error {
            errs.push(status.clone());
        }
        statuses.set(idx, status);
    }
    non_violating.extend(violating);
    (non_violating, statuses, errs)
}

/// Upstream `GetEarliestPodStartTime`: the earliest start time among the highest-priority
/// victims.
fn earliest_start_of_highest(v: &Victims) -> Option<u64> {
    let first = v.pods.first()?;
    let mut earliest = start_time(first);
    let mut max_prio = first.priority;
    for p in &v.pods {
        if p.priority == max_prio {
            earliest = earliest.min(start_time(p));
        } else if p.priority > max_prio {
            max_prio = p.priority;
            earliest = start_time(p);
        }
    }
    Some(earliest)
}

/// Upstream `pickOneNodeForPreemption` with the default score functions, in order: fewest
/// PDB violations; lowest highest-victim priority; smallest sum of victim priorities (each
/// shifted by MaxInt32+1); fewest victims; latest earliest-start of the highest-priority
/// victims; then the first remaining (upstream: first in Go map order, i.e. arbitrary; here
/// the candidate order). Returns an index into `candidates`.
pub fn pick_one_node_for_preemption(candidates: &[Candidate]) -> Option<usize> {
    if candidates.is_empty() {
        return None;
    }
    let score_fns: [&dyn Fn(&Victims) -> i64; 5] = [
        &|v| -v.num_pdb_violations,
        &|v| -(v.pods.first().map_or(0, |p| p.priority) as i64),
        &|v| {
            -v.pods
                .iter()
                .map(|p| p.priority as i64 + (i32::MAX as i64 + 1))
                .sum::<i64>()
        },
        &|v| -(v.pods.len() as i64),
        &|v| earliest_start_of_highest(v).map_or(i64::MIN, |t| t.min(i64::MAX as u64) as i64),
    ];
    let mut all: Vec<usize> = (0..candidates.len()).collect();
    for f in score_fns {
        let mut selected: Vec<usize> = Vec::new();
        let mut max = i64::MIN;
        for &c in &all {
            let s = f(&candidates[c].victims);
            if s > max {
                max = s;
                selected.clear();
            }
            if s == max {
                selected.push(c);
            }
        }
        if selected.len() == 1 {
            return Some(selected[0]);
        }
        all = selected;
    }
    all.first().copied()
}

/// Upstream `SelectCandidate`.
pub fn select_candidate(candidates: &[Candidate]) -> Option<usize> {
    match candidates.len() {
        0 => None,
        1 => Some(0),
        _ => pick_one_node_for_preemption(candidates),
    }
}

/// Upstream `PodEligibleToPreemptOthers`.
pub fn pod_eligible_to_preempt_others(
    pod: &PodInfo,
    snap: &Snapshot,
    statuses: &NodeToStatus,
) -> Result<(), String> {
    if pod.pod.spec.preemption_policy.as_deref() == Some("Never") {
        return Err("not eligible due to preemptionPolicy=Never.".into());
    }
    let nom = &pod.pod.status.nominated_node_name;
    if !nom.is_empty() {
        let idx = snap.index.get(nom).copied();
        let nom_status = match idx {
            Some(i) => statuses.get(i),
            None => &statuses.absent,
        };
        // A nominated node the filters now call unresolvable: try preempting again.
        if nom_status.code == Code::UnschedulableAndUnresolvable {
            return Ok(());
        }
        if let Some(i) = idx {
            for p in &snap.nodes[i].pods {
                // isPreemptionAllowed && podTerminatingByPreemption.
                if crate::sched::borg::preemption_allowed(
                    snap.borg.as_ref(),
                    pod.priority,
                    p.priority,
                ) && p.is_terminating()
                    && snap.preempted.contains(&p.key)
                {
                    return Err(
                        "not eligible due to a terminating pod on the nominated node.".into(),
                    );
                }
            }
        }
    }
    Ok(())
}

impl DefaultPreemption {
    /// Upstream `Evaluator.Preempt`; the status message is without the `preemption: ` prefix.
    pub fn preempt(
        &self,
        input: &PostFilterInput,
        rand: &mut dyn FnMut(u64) -> u64,
    ) -> (Nominating, Status) {
        let (pod, snap) = (input.pod, input.snap);
        // 1) Eligibility.
        if let Err(msg) = pod_eligible_to_preempt_others(pod, snap, input.statuses) {
            return (Nominating::Noop, Status::unschedulable(msg));
        }
        // 2) findCandidates: nodes that failed with Unschedulable only.
        if snap.nodes.is_empty() {
            return (Nominating::Noop, Status::error("no nodes available"));
        }
        let potential = input.statuses.nodes_for_code(Code::Unschedulable);
        let (candidates, mut statuses, errs) = if potential.is_empty() {
            (Vec::new(), NodeToStatus::new(snap.nodes.len()), Vec::new())
        } else {
            let pdbs = pdb_states(snap);
            // GetOffsetAndNumCandidates: rand.Int31n(numNodes) from the run's random source.
            let offset = rand(potential.len() as u64) as usize;
            let num = self.calculate_num_candidates(potential.len() as i32).max(0) as usize;
            let dr = DryRun {
                profile: input.profile,
                state: input.state,
                skip: input.skip,
                pod,
                snap,
            };
            dry_run_preemption(&dr, &potential, &pdbs, offset, num)
        };
        if candidates.is_empty() && !errs.is_empty() {
            let msg: Vec<String> = errs.iter().flat_map(|s| s.reasons.clone()).collect();
            return (
                Nominating::Noop,
                Status::error(if msg.len() == 1 {
                    msg[0].clone()
                } else {
                    format!("[{}]", msg.join(", "))
                }),
            );
        }
        if candidates.is_empty() {
            // A FitError over all nodes; nodes without a dry-run status are "not helpful".
            statuses.absent = Status::unresolvable("Preemption is not helpful for scheduling");
            let failed: Vec<(usize, Status)> = (0..snap.nodes.len())
                .map(|i| (i, statuses.get(i).clone()))
                .collect();
            let msg = fit_error(snap.nodes.len(), None, &failed, None);
            return (Nominating::Clear, Status::unschedulable(msg));
        }
        // 3) Extenders: none. 4) The best candidate.
        let Some(best) = select_candidate(&candidates) else {
            return (
                Nominating::Noop,
                Status::unschedulable("no candidate node for preemption"),
            );
        };
        let c = &candidates[best];
        // 5) prepareCandidate is the scheduler's (evict victims, clear lower nominations).
        (
            Nominating::Node {
                node: c.node,
                victims: c.victims.pods.iter().map(|p| p.key.clone()).collect(),
            },
            Status::success(),
        )
    }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }

    fn points(&self) -> &'static [Point] {
        &[Point::PostFilter]
    }

    /// Upstream `DefaultPreemption.PostFilter`: a non-empty message gets `preemption: `.
    fn post_filter(
        &self,
        input: &PostFilterInput,
        rand: &mut dyn FnMut(u64) -> u64,
    ) -> (Nominating, Status) {
        let (r, mut s) = self.preempt(input, rand);
        let msg = s.reasons.join(", ");
        if !msg.is_empty() {
            s.reasons = vec![format!("preemption: {msg}")];
        }
        (r, s)
    }
}

#[cfg(test)]
mod tests {
    //! Rows transcribed from upstream default_preemption_test.go (TestSelectBestCandidate,
    //! TestDryRunPreemption — including the InterPodAffinity and PodTopologySpread rows that
    //! need the PreFilter extensions —, TestPreempt, TestPodEligibleToPreemptOthers,
    //! TestPostFilter, TestDefaultPreemptionArgs validation) with upstream's resource sizes
    //! and priorities.
    use super::*;
    use crate::api::node::Node;
    use crate::api::pod::{Container, Pod};
    use crate::api::Quantity;
    use crate::collections::OrdMap;
    use crate::sched::framework::CycleState;
    use crate::sched::profile::Profile;

    const NEG: i32 = -100;
    const LOW: i32 = 0;
    const MID: i32 = 100;
    const HIGH: i32 = 1000;
    const VERY_HIGH: i32 = 10000;
    /// (milliCPU, memory): upstream smallRes / mediumRes / largeRes / veryLargeRes.
    const SMALL: (i64, i64) = (100, 100);
    const MEDIUM: (i64, i64) = (200, 200);
    const LARGE: (i64, i64) = (300, 300);
    const VERY_LARGE: (i64, i64) = (500, 500);

    fn pod(name: &str, node: &str, prio: i32, req: (i64, i64), start: u64) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.uid = name.into();
        p.spec.node_name = node.into();
        p.spec.priority = Some(prio);
        let mut c = Container::default();
        c.resources
            .requests
            .insert("cpu".into(), Quantity::from_milli(req.0));
        c.resources
            .requests
            .insert("memory".into(), Quantity::from_value(req.1, false));
        p.spec.containers.push(c);
        if !node.is_empty() {
            p.status.started_at = Some(start);
        }
        p
    }

    fn node(name: &str, cap: (i64, i64)) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        let c = &mut n.status.capacity;
        c.insert("cpu".into(), Quantity::from_milli(cap.0));
        c.insert("memory".into(), Quantity::from_value(cap.1, false));
        c.insert("pods".into(), Quantity::from_value(110, false));
        n
    }

    fn snapshot(nodes: &[&str], pods: &[Pod]) -> Snapshot {
        let mut s = Snapshot::default();
        for n in nodes {
            s.set_node(node(n, VERY_LARGE));
        }
        for p in pods {
            s.add_pod(&p.spec.node_name.clone(), Rc::new(PodInfo::new(p)));
        }
        s
    }

    fn profile(args: Option<serde_json::Value>) -> Profile {
        let fit = crate::sched::registry::build("NodeResourcesFit", None).unwrap();
        let dp: Rc<dyn Plugin> = Rc::new(
            DefaultPreemption::new(args.as_ref().map(crate::yaml::Node::from_json).as_ref())
                .unwrap(),
        );
        let mut points = OrdMap::new();
        points.insert(Point::PreFilter, vec![fit.clone()]);
        points.insert(Point::Filter, vec![fit]);
        points.insert(Point::PostFilter, vec![dp]);
        Profile::from_parts("default-scheduler", None, points, OrdMap::new())
    }

    fn prefilter(prof: &Profile, p: &PodInfo, snap: &Snapshot) -> CycleState {
        let mut state = CycleState::default();
        for pl in prof.plugins(Point::PreFilter) {
            pl.pre_filter(&mut state, p, snap);
        }
        state
    }

    /// Upstream TestSelectBestCandidate's harness: dry-run over every node with the default
    /// args, then SelectCandidate.
    fn select_best(nodes: &[&str], preemptor: Pod, pods: &[Pod]) -> Option<String> {
        let snap = snapshot(nodes, pods);
        let prof = profile(None);
        let p = PodInfo::new(&preemptor);
        let state = prefilter(&prof, &p, &snap);
        let all: Vec<usize> = (0..snap.nodes.len()).collect();
        let dr = DryRun {
            profile: &prof,
            state: &state,
            skip: &[],
            pod: &p,
            snap: &snap,
        };
        let (cands, _, _) = dry_run_preemption(&dr, &all, &[], 0, all.len());
        select_candidate(&cands).map(|i| cands[i].name.clone())
    }

    fn pp() -> Pod {
        pod("p", "", HIGH, VERY_LARGE, 0)
    }

    #[test]
    fn select_best_candidate_fits_on_both_nodes() {
        // "a pod that fits on both nodes when lower priority pods are preempted"
        let got = select_best(
            &["node1", "node2"],
            pod("p", "", HIGH, LARGE, 0),
            &[
                pod("p1", "node1", MID, LARGE, 0),
                pod("p2", "node2", MID, LARGE, 0),
            ],
        );
        assert!(matches!(got.as_deref(), Some("node1") | Some("node2")));
    }

    #[test]
    fn select_best_candidate_min_highest_priority() {
        // "node with min highest priority pod is picked"
        let got = select_best(
            &["node1", "node2", "node3"],
            pp(),
            &[
                pod("p1.1", "node1", MID, MEDIUM, 0),
                pod("p1.2", "node1", MID, LARGE, 0),
                pod("p2.1", "node2", MID, MEDIUM, 0),
                pod("p2.2", "node2", LOW, MEDIUM, 0),
                pod("p3.1", "node3", LOW, MEDIUM, 0),
                pod("p3.2", "node3", LOW, MEDIUM, 0),
            ],
        );
        assert_eq!(got.as_deref(), Some("node3"));
    }

    #[test]
    fn select_best_candidate_min_sum_of_priorities() {
        // "when highest priorities are the same, minimum sum of priorities is picked"
        let got = select_best(
            &["node1", "node2", "node3"],
            pp(),
            &[
                pod("p1.1", "node1", MID, MEDIUM, 0),
                pod("p1.2", "node1", MID, LARGE, 0),
                pod("p2.1", "node2", MID, LARGE, 0),
                pod("p2.2", "node2", LOW, MEDIUM, 0),
                pod("p3.1", "node3", MID, MEDIUM, 0),
                pod("p3.2", "node3", MID, MEDIUM, 0),
            ],
        );
        assert_eq!(got.as_deref(), Some("node2"));
    }

    #[test]
    fn select_best_candidate_min_number_of_pods() {
        // "when highest priority and sum are the same, minimum number of pods is picked"
        let got = select_best(
            &["node1", "node2", "node3"],
            pp(),
            &[
                pod("p1.1", "node1", MID, SMALL, 0),
                pod("p1.2", "node1", NEG, SMALL, 0),
                pod("p1.3", "node1", MID, SMALL, 0),
                pod("p1.4", "node1", NEG, SMALL, 0),
                pod("p2.1", "node2", MID, LARGE, 0),
                pod("p2.2", "node2", NEG, MEDIUM, 0),
                pod("p3.1", "node3", MID, MEDIUM, 0),
                pod("p3.2", "node3", NEG, SMALL, 0),
                pod("p3.3", "node3", LOW, SMALL, 0),
            ],
        );
        assert_eq!(got.as_deref(), Some("node2"));
    }

    #[test]
    fn select_best_candidate_sum_of_adjusted_priorities() {
        // "sum of adjusted priorities is considered"
        let got = select_best(
            &["node1", "node2", "node3"],
            pp(),
            &[
                pod("p1.1", "node1", MID, SMALL, 0),
                pod("p1.2", "node1", NEG, SMALL, 0),
                pod("p1.3", "node1", NEG, SMALL, 0),
                pod("p2.1", "node2", MID, LARGE, 0),
                pod("p2.2", "node2", NEG, MEDIUM, 0),
                pod("p3.1", "node3", MID, MEDIUM, 0),
                pod("p3.2", "node3", NEG, SMALL, 0),
                pod("p3.3", "node3", LOW, SMALL, 0),
            ],
        );
        assert_eq!(got.as_deref(), Some("node2"));
    }

    #[test]
    fn select_best_candidate_non_overlapping() {
        // "non-overlapping lowest high priority, sum priorities, and number of pods"
        let got = select_best(
            &["node1", "node2", "node3", "node4"],
            pod("p", "", VERY_HIGH, VERY_LARGE, 0),
            &[
                pod("p1.1", "node1", MID, SMALL, 0),
                pod("p1.2", "node1", LOW, SMALL, 0),
                pod("p1.3", "node1", LOW, SMALL, 0),
                pod("p2.1", "node2", HIGH, LARGE, 0),
                pod("p3.1", "node3", MID, MEDIUM, 0),
                pod("p3.2", "node3", LOW, SMALL, 0),
                pod("p3.3", "node3", LOW, SMALL, 0),
                pod("p3.4", "node3", LOW, MEDIUM, 0),
                pod("p4.1", "node4", MID, MEDIUM, 0),
                pod("p4.2", "node4", MID, SMALL, 0),
                pod("p4.3", "node4", MID, SMALL, 0),
                pod("p4.4", "node4", NEG, SMALL, 0),
            ],
        );
        assert_eq!(got.as_deref(), Some("node1"));
    }

    #[test]
    fn select_best_candidate_start_time_per_node() {
        // "same priority, same number of victims, different start time for each node's pod"
        let got = select_best(
            &["node1", "node2", "node3"],
            pp(),
            &[
                pod("p1.1", "node1", MID, MEDIUM, 2),
                pod("p1.2", "node1", MID, MEDIUM, 2),
                pod("p2.1", "node2", MID, MEDIUM, 3),
                pod("p2.2", "node2", MID, MEDIUM, 3),
                pod("p3.1", "node3", MID, MEDIUM, 1),
                pod("p3.2", "node3", MID, MEDIUM, 1),
            ],
        );
        assert_eq!(got.as_deref(), Some("node2"));
    }

    #[test]
    fn select_best_candidate_start_time_all_pods() {
        // "same priority, same number of victims, different start time for all pods"
        let got = select_best(
            &["node1", "node2", "node3"],
            pp(),
            &[
                pod("p1.1", "node1", MID, MEDIUM, 4),
                pod("p1.2", "node1", MID, MEDIUM, 2),
                pod("p2.1", "node2", MID, MEDIUM, 5),
                pod("p2.2", "node2", MID, MEDIUM, 1),
                pod("p3.1", "node3", MID, MEDIUM, 3),
                pod("p3.2", "node3", MID, MEDIUM, 6),
            ],
        );
        assert_eq!(got.as_deref(), Some("node3"));
    }

    #[test]
    fn select_best_candidate_different_priority_start_time() {
        // "different priority, same number of victims, different start time for all pods"
        let got = select_best(
            &["node1", "node2", "node3"],
            pp(),
            &[
                pod("p1.1", "node1", LOW, MEDIUM, 4),
                pod("p1.2", "node1", MID, MEDIUM, 2),
                pod("p2.1", "node2", MID, MEDIUM, 6),
                pod("p2.2", "node2", LOW, MEDIUM, 1),
                pod("p3.1", "node3", LOW, MEDIUM, 3),
                pod("p3.2", "node3", MID, MEDIUM, 5),
            ],
        );
        assert_eq!(got.as_deref(), Some("node2"));
    }

    /// TestDryRunPreemption's harness: candidates as (node, sorted victim names, violations).
    fn dry_run(
        nodes: &[&str],
        preemptor: Pod,
        pods: &[Pod],
        pdbs: &[PdbState],
        args: Option<serde_json::Value>,
        offset: usize,
    ) -> Vec<(String, Vec<String>, i64)> {
        let snap = snapshot(nodes, pods);
        let prof = profile(args.clone());
        candidates(&prof, &snap, &preemptor, pdbs, args, offset)
    }

    /// DryRunPreemption over every node of `snap` with the profile's PreFilter state (and
    /// Skip list): candidates as (node, sorted victim names, violations).
    fn candidates(
        prof: &Profile,
        snap: &Snapshot,
        preemptor: &Pod,
        pdbs: &[PdbState],
        args: Option<serde_json::Value>,
        offset: usize,
    ) -> Vec<(String, Vec<String>, i64)> {
        let p = PodInfo::new(preemptor);
        let (state, skip) = prefilter_with_skip(prof, &p, snap);
        let all: Vec<usize> = (0..snap.nodes.len()).collect();
        let dp = DefaultPreemption::new(args.as_ref().map(crate::yaml::Node::from_json).as_ref())
            .unwrap();
        let num = dp.calculate_num_candidates(all.len() as i32) as usize;
        let dr = DryRun {
            profile: prof,
            state: &state,
            skip: &skip,
            pod: &p,
            snap,
        };
        let (cands, _, _) = dry_run_preemption(&dr, &all, pdbs, offset, num);
        let mut out: Vec<(String, Vec<String>, i64)> = cands
            .iter()
            .map(|c| {
                let mut v: Vec<String> = c
                    .victims
                    .pods
                    .iter()
                    .map(|p| p.pod.metadata.name.clone())
                    .collect();
                v.sort();
                (c.name.clone(), v, c.victims.num_pdb_violations)
            })
            .collect();
        out.sort();
        out
    }

    fn prefilter_with_skip(
        prof: &Profile,
        p: &PodInfo,
        snap: &Snapshot,
    ) -> (CycleState, Vec<&'static str>) {
        let mut state = CycleState::default();
        let mut skip = Vec::new();
        for pl in prof.plugins(Point::PreFilter) {
            let s = pl.pre_filter(&mut state, p, snap);
            if s.is_skip() {
                skip.push(pl.name());
            } else {
                assert!(s.is_success(), "{}: {s:?}", pl.name());
            }
        }
        (state, skip)
    }

    /// `RegisterPluginAsExtensions(name, ..., "PreFilter", "Filter")` for each of `names`,
    /// and DefaultPreemption.
    fn profile_with(names: &[&str]) -> Profile {
        let plugins: Vec<Rc<dyn Plugin>> = names
            .iter()
            .map(|n| crate::sched::registry::build(n, None).unwrap())
            .collect();
        let dp: Rc<dyn Plugin> = Rc::new(DefaultPreemption::new(None).unwrap());
        let mut points = OrdMap::new();
        points.insert(Point::PreFilter, plugins.clone());
        points.insert(Point::Filter, plugins);
        points.insert(Point::PostFilter, vec![dp]);
        Profile::from_parts("default-scheduler", None, points, OrdMap::new())
    }

    /// The nodes of TestDryRunPreemption / TestPreempt: "name/zone/region" becomes the
    /// labels hostname, zone and region; capacity veryLargeRes.
    fn topology_snapshot(specs: &[&str], pods: &[Pod]) -> Snapshot {
        let mut s = Snapshot::default();
        for spec in specs {
            let parts: Vec<&str> = spec.split('/').collect();
            let mut n = node(parts[0], VERY_LARGE);
            for (k, v) in ["hostname", "zone", "region"].iter().zip(&parts) {
                n.metadata.labels.insert(k.to_string(), v.to_string());
            }
            s.set_node(n);
        }
        for p in pods {
            s.add_pod(&p.spec.node_name.clone(), Rc::new(PodInfo::new(p)));
        }
        s
    }

    fn with_label(mut p: Pod, k: &str) -> Pod {
        p.metadata.labels.insert(k.into(), String::new());
        p
    }

    /// `SpreadConstraint(1, key, DoNotSchedule, Exists("foo"))`.
    fn spread_foo(mut p: Pod, key: &str) -> Pod {
        p.spec.topology_spread_constraints.push(
            serde_json::from_value(serde_json::json!({
                "maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
            }))
            .unwrap(),
        );
        p
    }

    fn cand(n: &str, v: &[&str], viol: i64) -> (String, Vec<String>, i64) {
        (n.into(), v.iter().map(|s| s.to_string()).collect(), viol)
    }

    #[test]
    fn dry_run_fits_on_both_nodes_when_lower_priority_preempted() {
        // "a pod that fits on both nodes when lower priority pods are preempted"
        let got = dry_run(
            &["node1", "node2"],
            pod("p", "", HIGH, LARGE, 0),
            &[
                pod("p1", "node1", MID, VERY_LARGE, 0),
                pod("p2", "node2", MID, VERY_LARGE, 0),
            ],
            &[],
            None,
            0,
        );
        assert_eq!(
            got,
            vec![cand("node1", &["p1"], 0), cand("node2", &["p2"], 0)]
        );
    }

    #[test]
    fn dry_run_higher_priority_pods_no_preemption() {
        // "a pod that would fit on the nodes, but other pods running are higher priority, no
        // preemption would happen"
        let got = dry_run(
            &["node1", "node2"],
            pod("p", "", LOW, LARGE, 0),
            &[
                pod("p1", "node1", MID, VERY_LARGE, 0),
                pod("p2", "node2", MID, VERY_LARGE, 0),
            ],
            &[],
            None,
            0,
        );
        assert!(got.is_empty());
    }

    #[test]
    fn dry_run_medium_preempted_small_low_stays() {
        // "medium priority pod is preempted, but lower priority one stays as it is small"
        let got = dry_run(
            &["node1", "node2"],
            pod("p", "", HIGH, LARGE, 0),
            &[
                pod("p1.1", "node1", LOW, SMALL, 0),
                pod("p1.2", "node1", MID, LARGE, 0),
                pod("p2", "node2", HIGH, VERY_LARGE, 0),
            ],
            &[],
            None,
            0,
        );
        assert_eq!(got, vec![cand("node1", &["p1.2"], 0)]);
    }

    #[test]
    fn dry_run_mixed_priority_pods() {
        // "mixed priority pods are preempted"
        let got = dry_run(
            &["node1", "node2"],
            pod("p", "", HIGH, LARGE, 0),
            &[
                pod("p1.1", "node1", MID, SMALL, 0),
                pod("p1.2", "node1", LOW, SMALL, 0),
                pod("p1.3", "node1", MID, MEDIUM, 0),
                pod("p1.4", "node1", HIGH, SMALL, 0),
                pod("p2", "node2", HIGH, VERY_LARGE, 0),
            ],
            &[],
            None,
            0,
        );
        assert_eq!(got, vec![cand("node1", &["p1.2", "p1.3"], 0)]);
    }

    #[test]
    fn dry_run_mixed_priority_later_start_time() {
        // "mixed priority pods are preempted, pick later StartTime one when priorities are equal"
        let got = dry_run(
            &["node1", "node2"],
            pod("p", "", HIGH, LARGE, 0),
            &[
                pod("p1.1", "node1", LOW, SMALL, 5),
                pod("p1.2", "node1", LOW, SMALL, 4),
                pod("p1.3", "node1", MID, SMALL, 3),
                pod("p1.4", "node1", HIGH, SMALL, 2),
                pod("p2", "node2", HIGH, LARGE, 1),
            ],
            &[],
            None,
            0,
        );
        assert_eq!(got, vec![cand("node1", &["p1.1", "p1.2"], 0)]);
    }

    fn labeled(mut p: Pod) -> Pod {
        p.metadata.labels.insert("app".into(), "foo".into());
        p.metadata.namespace = "default".into();
        p
    }

    fn pdb_foo(allowed: i32) -> PdbState {
        let mut ls = crate::api::selector::LabelSelector::default();
        ls.match_labels.insert("app".into(), "foo".into());
        PdbState {
            namespace: "default".into(),
            selector: Some(as_selector(&ls).unwrap()),
            disruptions_allowed: allowed,
        }
    }

    #[test]
    fn dry_run_violation_of_same_pdb() {
        // "preemption with violation of same pdb"
        let got = dry_run(
            &["node1"],
            pod("p", "", HIGH, VERY_LARGE, 0),
            &[
                labeled(pod("p1.1", "node1", LOW, MEDIUM, 0)),
                labeled(pod("p1.2", "node1", LOW, MEDIUM, 0)),
            ],
            &[pdb_foo(1)],
            None,
            0,
        );
        assert_eq!(got, vec![cand("node1", &["p1.1", "p1.2"], 1)]);
    }

    #[test]
    fn dry_run_limited_to_two_candidates() {
        // "all nodes are possible candidates, but DefaultPreemptionArgs limits to 2"
        let nodes = ["node1", "node2", "node3", "node4", "node5"];
        let pods: Vec<Pod> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| pod(&format!("p{}", i + 1), n, MID, VERY_LARGE, 0))
            .collect();
        let args =
            serde_json::json!({"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 1});
        let got = dry_run(
            &nodes,
            pod("p", "", HIGH, LARGE, 0),
            &pods,
            &[],
            Some(args),
            0,
        );
        assert_eq!(
            got,
            vec![cand("node1", &["p1"], 0), cand("node2", &["p2"], 0)]
        );
    }

    #[test]
    fn dry_run_offset_wraps_around() {
        // "preemption offset across multiple scheduling cycles and wrap around": offset 4 of
        // 5 nodes, 2 candidates → node5 then node1.
        let nodes = ["node1", "node2", "node3", "node4", "node5"];
        let pods: Vec<Pod> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| pod(&format!("p{}", i + 1), n, MID, VERY_LARGE, 0))
            .collect();
        let args =
            serde_json::json!({"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 1});
        let got = dry_run(
            &nodes,
            pod("p", "", HIGH, LARGE, 0),
            &pods,
            &[],
            Some(args),
            4,
        );
        assert_eq!(
            got,
            vec![cand("node1", &["p1"], 0), cand("node5", &["p5"], 0)]
        );
    }

    #[test]
    fn dry_run_looks_past_num_candidates_for_non_violating() {
        // "preemption looks past numCandidates until a non-PDB violating node is found"
        let nodes = ["node1", "node2", "node3", "node4", "node5"];
        let pods = vec![
            labeled(pod("p1", "node1", MID, VERY_LARGE, 0)),
            pod("p2", "node2", MID, VERY_LARGE, 0),
            labeled(pod("p3", "node3", MID, VERY_LARGE, 0)),
            pod("p4", "node4", MID, VERY_LARGE, 0),
            labeled(pod("p5", "node5", MID, VERY_LARGE, 0)),
        ];
        let args =
            serde_json::json!({"minCandidateNodesPercentage": 20, "minCandidateNodesAbsolute": 1});
        let got = dry_run(
            &nodes,
            pod("p", "", HIGH, LARGE, 0),
            &pods,
            &[pdb_foo(0)],
            Some(args),
            0,
        );
        assert_eq!(
            got,
            vec![cand("node1", &["p1"], 1), cand("node2", &["p2"], 0)]
        );
    }

    #[test]
    fn pick_one_prefers_fewer_pdb_violations() {
        // pickOneNodeForPreemption criterion 1 (upstream comment "A node with a minimum number
        // of PDB is preferable").
        let v = |prio: i32| Rc::new(PodInfo::new(&pod("v", "n", prio, SMALL, 0)));
        let cands = vec![
            Candidate {
                node: 0,
                name: "a".into(),
                victims: Victims {
                    pods: vec![v(LOW)],
                    num_pdb_violations: 1,
                },
            },
            Candidate {
                node: 1,
                name: "b".into(),
                victims: Victims {
                    pods: vec![v(MID), v(MID)],
                    num_pdb_violations: 0,
                },
            },
        ];
        assert_eq!(pick_one_node_for_preemption(&cands), Some(1));
        assert_eq!(select_candidate(&cands[..1]), Some(0));
        assert_eq!(select_candidate(&[]), None);
    }

    #[test]
    fn dry_run_pod_with_anti_affinity_is_preempted() {
        // TestDryRunPreemption "pod with anti-affinity is preempted": p1.1's required
        // anti-affinity (foo, hostname) blocks node1 for the foo-labelled pod until RemovePod
        // takes it out of the state; reprieving it (AddPod) fails again, so it is the victim
        // while p1.2 is reprieved.
        let prof = profile_with(&["NodeResourcesFit", "InterPodAffinity"]);
        let mut p11 = with_label(pod("p1.1", "node1", LOW, SMALL, 0), "foo");
        p11.spec.affinity = Some(
            serde_json::from_value(serde_json::json!({"podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{
                    "labelSelector": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]},
                    "topologyKey": "hostname"}]}}))
            .unwrap(),
        );
        let pods = [
            p11,
            pod("p1.2", "node1", MID, SMALL, 0),
            pod("p1.3", "node1", HIGH, SMALL, 0),
            pod("p2", "node2", HIGH, SMALL, 0),
        ];
        let snap = topology_snapshot(&["node1", "node2"], &pods);
        let preemptor = with_label(pod("p", "", HIGH, SMALL, 0), "foo");
        assert_eq!(
            candidates(&prof, &snap, &preemptor, &[], None, 0),
            vec![cand("node1", &["p1.1"], 0)]
        );
    }

    #[test]
    fn dry_run_honours_nominated_pods() {
        // SelectVictimsOnNode filters with RunFilterPluginsWithNominatedPods: a pod of the
        // same priority already nominated to node1 (after preempting there) keeps its space,
        // so evicting p1 would not make room for a second pod and only node2 is a candidate.
        let pods = [
            pod("p1", "node1", LOW, LARGE, 0),
            pod("p2", "node2", LOW, LARGE, 0),
        ];
        let mut snap = snapshot(&["node1", "node2"], &pods);
        let mut first = pod("first", "", HIGH, LARGE, 0);
        first.status.nominated_node_name = "node1".into();
        snap.set_nominated(&first);
        let prof = profile(None);
        assert_eq!(
            candidates(&prof, &snap, &pod("p", "", HIGH, LARGE, 0), &[], None, 0),
            vec![cand("node2", &["p2"], 0)]
        );
        // A lower-priority nomination yields: both nodes are candidates.
        let mut snap = snapshot(&["node1", "node2"], &pods);
        first.spec.priority = Some(MID);
        snap.set_nominated(&first);
        assert_eq!(
            candidates(&prof, &snap, &pod("p", "", HIGH, LARGE, 0), &[], None, 0),
            vec![cand("node1", &["p1"], 0), cand("node2", &["p2"], 0)]
        );
    }

    fn spread_preemptor() -> Pod {
        let p = with_label(pod("p", "", HIGH, (0, 0), 0), "foo");
        spread_foo(spread_foo(p, "zone"), "hostname")
    }

    #[test]
    fn dry_run_resolves_pod_topology_spread_filter_failure() {
        // TestDryRunPreemption "preemption to resolve pod topology spread filter failure":
        // zones 3/2 and hosts 2/1/2 (maxSkew 1 on both). RemovePod lowers node-a's and
        // node-b's domains so the pod fits; reprieving puts back all but one pod each.
        let prof = profile_with(&["PodTopologySpread"]);
        let f = |n: &str, node: &str, prio: i32| with_label(pod(n, node, prio, (0, 0), 0), "foo");
        let pods = [
            f("pod-a1", "node-a", MID),
            f("pod-a2", "node-a", LOW),
            f("pod-b1", "node-b", LOW),
            f("pod-x1", "node-x", HIGH),
            f("pod-x2", "node-x", HIGH),
        ];
        let snap = topology_snapshot(&["node-a/zone1", "node-b/zone1", "node-x/zone2"], &pods);
        assert_eq!(
            candidates(&prof, &snap, &spread_preemptor(), &[], None, 0),
            vec![
                cand("node-a", &["pod-a2"], 0),
                cand("node-b", &["pod-b1"], 0)
            ]
        );
    }

    #[test]
    fn preempt_for_topology_spread_constraints() {
        // TestPreempt "preemption for topology spread constraints": only node-b has a
        // lower-priority pod; evicting it makes the spread satisfiable.
        let prof = profile_with(&["PodTopologySpread"]);
        let f = |n: &str, node: &str, prio: i32| {
            let mut p = with_label(pod(n, node, prio, (0, 0), 0), "foo");
            p.metadata.namespace = "default".into();
            p
        };
        let pods = [
            f("p-a1", "node-a", HIGH),
            f("p-a2", "node-a", HIGH),
            f("p-b1", "node-b", LOW),
            f("p-x1", "node-x", HIGH),
            f("p-x2", "node-x", HIGH),
        ];
        let snap = topology_snapshot(&["node-a/zone1", "node-b/zone1", "node-x/zone2"], &pods);
        let mut preemptor = spread_preemptor();
        preemptor.metadata.namespace = "default".into();
        let p = PodInfo::new(&preemptor);
        let (state, skip) = prefilter_with_skip(&prof, &p, &snap);
        let st = NodeToStatus {
            per_node: vec![Some(Status::unschedulable("x")); 3],
            absent: Status::with_reasons(Code::UnschedulableAndUnresolvable, Vec::new()),
        };
        let input = PostFilterInput {
            state: &state,
            skip: &skip,
            pod: &p,
            snap: &snap,
            statuses: &st,
            profile: &prof,
        };
        let (r, s) = DefaultPreemption::new(None)
            .unwrap()
            .post_filter(&input, &mut |_| 0);
        assert!(s.is_success(), "{s:?}");
        assert_eq!(
            r,
            Nominating::Node {
                node: snap.index["node-b"],
                victims: vec!["default/p-b1".into()]
            }
        );
    }

    /// A PreFilter plugin whose extensions fail on nodes labelled error=true (upstream
    /// default_preemption_test.go `TestPlugin`).
    struct FailingExtensions;

    impl Plugin for FailingExtensions {
        fn name(&self) -> &'static str {
            "test-plugin"
        }
        fn points(&self) -> &'static [Point] {
            &[Point::PreFilter, Point::Filter]
        }
        fn pre_filter(&self, _: &mut CycleState, _: &PodInfo, _: &Snapshot) -> Status {
            Status::success()
        }
        fn add_pod(&self, _: &mut CycleState, p: &PodInfo, _: &PodInfo, n: &NodeInfo) -> Status {
            match n.labels().get("error").map(String::as_str) {
                Some("true") => {
                    Status::error(format!("failed to add pod: {}", p.pod.metadata.name))
                }
                _ => Status::success(),
            }
        }
        fn remove_pod(&self, _: &mut CycleState, p: &PodInfo, _: &PodInfo, n: &NodeInfo) -> Status {
            match n.labels().get("error").map(String::as_str) {
                Some("true") => {
                    Status::error(format!("failed to remove pod: {}", p.pod.metadata.name))
                }
                _ => Status::success(),
            }
        }
    }

    #[test]
    fn dry_run_extension_errors_and_skipped_plugins() {
        // A failing RemovePod makes the node an Error status (upstream wraps it as
        // `running RemovePod on PreFilter plugin "test-plugin": ...`); a plugin whose
        // PreFilter returned Skip is not asked (RunPreFilterExtension*: skipped plugins).
        let tp: Rc<dyn Plugin> = Rc::new(FailingExtensions);
        let fit = crate::sched::registry::build("NodeResourcesFit", None).unwrap();
        let mut points = OrdMap::new();
        points.insert(Point::PreFilter, vec![fit.clone(), tp.clone()]);
        points.insert(Point::Filter, vec![fit, tp]);
        let prof = Profile::from_parts("default-scheduler", None, points, OrdMap::new());
        let mut n = node("node1", VERY_LARGE);
        n.metadata.labels.insert("error".into(), "true".into());
        let mut snap = Snapshot::default();
        snap.set_node(n);
        let victim = pod("p1", "node1", LOW, SMALL, 0);
        snap.add_pod("node1", Rc::new(PodInfo::new(&victim)));
        let p = PodInfo::new(&pod("p", "", HIGH, VERY_LARGE, 0));
        let (state, none) = prefilter_with_skip(&prof, &p, &snap);
        assert!(none.is_empty());
        for (skip, want) in [(vec![], Code::Error), (vec!["test-plugin"], Code::Success)] {
            let dr = DryRun {
                profile: &prof,
                state: &state,
                skip: &skip,
                pod: &p,
                snap: &snap,
            };
            let (cands, statuses, errs) = dry_run_preemption(&dr, &[0], &[], 0, 1);
            if want == Code::Error {
                assert!(cands.is_empty());
                assert_eq!(statuses.get(0).code, Code::Error);
                assert_eq!(
                    errs[0].reasons,
                    vec!["running RemovePod on PreFilter plugin \"test-plugin\": failed to remove pod: p"]
                );
            } else {
                assert_eq!(cands.len(), 1, "{statuses:?}");
                assert!(errs.is_empty());
            }
        }
    }

    fn eligible(preemptor: Pod, pods: &[Pod], nominated_status: Option<Status>) -> bool {
        let mut snap = snapshot(&["node1"], pods);
        for p in pods {
            if p.metadata.deletion_at.is_some() {
                snap.preempted.insert(p.key());
            }
        }
        let mut st = NodeToStatus::new(1);
        if let Some(s) = nominated_status {
            st.set(0, s);
        }
        pod_eligible_to_preempt_others(&PodInfo::new(&preemptor), &snap, &st).is_ok()
    }

    fn terminating(mut p: Pod) -> Pod {
        p.metadata.deletion_at = Some(1);
        p
    }

    #[test]
    fn eligible_pod_with_nominated_node_unresolvable() {
        // "Pod with nominated node" (nominated node status UnschedulableAndUnresolvable)
        let mut p = pod("p", "", HIGH, SMALL, 0);
        p.status.nominated_node_name = "node1".into();
        let victims = [terminating(pod("p1", "node1", LOW, SMALL, 0))];
        assert!(eligible(
            p,
            &victims,
            Some(Status::unresolvable("node(s) had untolerated taint"))
        ));
    }

    #[test]
    fn not_eligible_victim_pods_terminating() {
        // "victim Pods terminating, feature PodDisruptionConditions is enabled"
        let mut p = pod("p", "", HIGH, SMALL, 0);
        p.status.nominated_node_name = "node1".into();
        let victims = [terminating(pod("p1", "node1", LOW, SMALL, 0))];
        assert!(!eligible(
            p,
            &victims,
            Some(Status::unschedulable("Insufficient cpu"))
        ));
    }

    #[test]
    fn eligible_non_victim_pods_terminating() {
        // "non-victim Pods terminating": the terminating pod has higher priority.
        let mut p = pod("p", "", HIGH, SMALL, 0);
        p.status.nominated_node_name = "node1".into();
        let others = [terminating(pod("p1", "node1", VERY_HIGH, SMALL, 0))];
        assert!(eligible(
            p,
            &others,
            Some(Status::unschedulable("Insufficient cpu"))
        ));
    }

    #[test]
    fn not_eligible_preempt_never() {
        // "Pod with 'PreemptNever' preemption policy"
        let mut p = pod("p", "", HIGH, SMALL, 0);
        p.spec.preemption_policy = Some("Never".into());
        let snap = snapshot(&["node1"], &[]);
        let err = pod_eligible_to_preempt_others(&PodInfo::new(&p), &snap, &NodeToStatus::new(1));
        assert_eq!(
            err,
            Err("not eligible due to preemptionPolicy=Never.".to_string())
        );
    }

    /// TestPostFilter's harness: run the plugin over the given per-node filter statuses.
    fn post_filter(
        nodes: &[&str],
        preemptor: Pod,
        pods: &[Pod],
        statuses: Vec<Option<Status>>,
    ) -> (Nominating, Status) {
        let snap = snapshot(nodes, pods);
        let prof = profile(None);
        let p = PodInfo::new(&preemptor);
        let state = prefilter(&prof, &p, &snap);
        let st = NodeToStatus {
            per_node: statuses,
            absent: Status::with_reasons(Code::UnschedulableAndUnresolvable, Vec::new()),
        };
        let input = PostFilterInput {
            state: &state,
            skip: &[],
            pod: &p,
            snap: &snap,
            statuses: &st,
            profile: &prof,
        };
        let dp = DefaultPreemption::new(None).unwrap();
        dp.post_filter(&input, &mut |_| 0)
    }

    fn insufficient_cpu() -> Option<Status> {
        Some(Status::unschedulable("Insufficient cpu"))
    }

    #[test]
    fn post_filter_higher_priority_made_schedulable() {
        // "pod with higher priority can be made schedulable"
        let (r, s) = post_filter(
            &["node1"],
            pod("p", "", HIGH, LARGE, 0),
            &[pod("p1", "node1", MID, VERY_LARGE, 0)],
            vec![insufficient_cpu()],
        );
        assert!(s.is_success());
        assert_eq!(
            r,
            Nominating::Node {
                node: 0,
                victims: vec!["default/p1".into()]
            }
        );
    }

    #[test]
    fn post_filter_tied_priority_unschedulable() {
        // "pod with tied priority is still unschedulable"
        let (r, s) = post_filter(
            &["node1"],
            pod("p", "", MID, LARGE, 0),
            &[pod("p1", "node1", MID, VERY_LARGE, 0)],
            vec![insufficient_cpu()],
        );
        assert_eq!(r, Nominating::Clear);
        assert_eq!(s.code, Code::Unschedulable);
        assert_eq!(
            s.reasons,
            vec!["preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."]
        );
    }

    #[test]
    fn post_filter_absent_status_is_unresolvable() {
        // "preemption should respect absent NodeToStatusMap entry meaning
        // UnschedulableAndUnresolvable"
        let (_, s) = post_filter(
            &["node1"],
            pod("p", "", HIGH, LARGE, 0),
            &[pod("p1", "node1", MID, VERY_LARGE, 0)],
            vec![None],
        );
        assert_eq!(
            s.reasons,
            vec![
                "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
            ]
        );
    }

    #[test]
    fn post_filter_not_enough_resource_after_removal() {
        // "no candidate nodes found, no enough resource after removing low priority pods"
        let mut big = pod("p", "", HIGH, VERY_LARGE, 0);
        big.spec.containers[0]
            .resources
            .requests
            .insert("cpu".into(), Quantity::from_milli(600));
        let (_, s) = post_filter(
            &["node1", "node2"],
            big,
            &[
                pod("p1", "node1", MID, VERY_LARGE, 0),
                pod("p2", "node2", MID, VERY_LARGE, 0),
            ],
            vec![insufficient_cpu(), insufficient_cpu()],
        );
        assert_eq!(
            s.reasons,
            vec!["preemption: 0/2 nodes are available: 2 Insufficient cpu."]
        );
    }

    #[test]
    fn post_filter_mixed_reasons() {
        // "no candidate nodes found with mixed reasons, no lower priority pod and no enough CPU
        // resource"
        let mut big = pod("p", "", HIGH, VERY_LARGE, 0);
        big.spec.containers[0]
            .resources
            .requests
            .insert("cpu".into(), Quantity::from_milli(600));
        let (_, s) = post_filter(
            &["node1", "node2"],
            big,
            &[
                pod("p1", "node1", MID, VERY_LARGE, 0),
                pod("p2", "node2", HIGH, VERY_LARGE, 0),
            ],
            vec![insufficient_cpu(), insufficient_cpu()],
        );
        assert_eq!(
            s.reasons,
            vec!["preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod."]
        );
    }

    #[test]
    fn post_filter_mixed_unresolvable_nodes() {
        // "no candidate nodes found with mixed reason, 2 UnschedulableAndUnresolvable nodes and
        // 2 nodes don't have enough CPU resource"
        let mut big = pod("p", "", HIGH, VERY_LARGE, 0);
        big.spec.containers[0]
            .resources
            .requests
            .insert("cpu".into(), Quantity::from_milli(600));
        let (_, s) = post_filter(
            &["node1", "node2", "node3", "node4"],
            big,
            &[
                pod("p1", "node1", MID, VERY_LARGE, 0),
                pod("p2", "node2", MID, VERY_LARGE, 0),
            ],
            vec![
                insufficient_cpu(),
                insufficient_cpu(),
                Some(Status::unresolvable(
                    "node(s) didn't match Pod's node affinity",
                )),
                None,
            ],
        );
        assert_eq!(
            s.reasons,
            vec!["preemption: 0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for scheduling."]
        );
    }

    #[test]
    fn calculate_num_candidates_rows() {
        // TestGetOffsetAndNumCandidates / calculateNumCandidates.
        let dp = |p: i32, a: i32| DefaultPreemption {
            args: Args {
                min_candidate_nodes_percentage: p,
                min_candidate_nodes_absolute: a,
            },
        };
        assert_eq!(dp(10, 100).calculate_num_candidates(10), 10);
        assert_eq!(dp(40, 1).calculate_num_candidates(10), 4);
        assert_eq!(dp(10, 100).calculate_num_candidates(5000), 500);
        assert_eq!(dp(10, 100).calculate_num_candidates(1000), 100);
        assert_eq!(dp(0, 3).calculate_num_candidates(10), 3);
    }

    #[test]
    fn args_validation_messages() {
        // upstream TestValidateDefaultPreemptionArgs rows.
        let v = |p: i32, a: i32| {
            validate_args(&Args {
                min_candidate_nodes_percentage: p,
                min_candidate_nodes_absolute: a,
            })
        };
        assert_eq!(v(10, 100), Ok(()));
        assert_eq!(
            v(-1, 100),
            Err(
                "minCandidateNodesPercentage: Invalid value: -1: not in valid range [0, 100]"
                    .into()
            )
        );
        assert_eq!(
            v(900, 100),
            Err(
                "minCandidateNodesPercentage: Invalid value: 900: not in valid range [0, 100]"
                    .into()
            )
        );
        assert_eq!(
            v(20, -1),
            Err("minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)".into())
        );
        assert_eq!(
            v(0, 0),
            Err("[minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute, minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage]".into())
        );
        assert!(DefaultPreemption::new(Some(&crate::yaml::Node::from_json(
            &serde_json::json!({"minCandidateNodesAbsolute": -1})
        )))
        .is_err());
    }
}
