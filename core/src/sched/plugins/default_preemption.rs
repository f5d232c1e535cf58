//! DefaultPreemption (PostFilter): when no node fits, find nodes where evicting lower-priority
//! pods would let the pod fit, pick one, and nominate it.
//!
//! Upstream v1.35: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go
//! (eligibility, candidate count, SelectVictimsOnNode, PDB grouping) and
//! pkg/scheduler/framework/preemption/preemption.go (Preempt, findCandidates,
//! DryRunPreemption, SelectCandidate, pickOneNodeForPreemption). The scheduler — not this
//! plugin — evicts the victims (upstream `prepareCandidate`) and sets `nominatedNodeName`.
//!
//! Not modelled: extenders, the async-preemption PreEnqueue gate (deletions here are
//! immediate), PreFilter extensions (AddPod/RemovePod) during the dry run, pod groups.

use crate::api::policy::PodDisruptionBudget;
use crate::api::selector::{as_selector, Selector};
use crate::sched::fit_error;
use crate::sched::framework::{
    Code, NodeInfo, NodeToStatus, Nominating, Plugin, PodInfo, Point, PostFilterInput, Snapshot,
    Status,
};
use serde::Deserialize;
use std::cmp::Ordering;
use std::rc::Rc;

pub const NAME: &str = "DefaultPreemption";

/// `DefaultPreemptionArgs` (defaults from pkg/scheduler/apis/config/v1/defaults.go).
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
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
    pub fn new(args: Option<&serde_json::Value>) -> Result<DefaultPreemption, String> {
        let a: Args = match args {
            None => Args::default(),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| format!("DefaultPreemptionArgs: {e}"))?,
        };
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

/// Upstream `SelectVictimsOnNode`: remove every lower-priority pod, check the pod fits, then
/// reprieve victims — PDB-violating ones first, each group most important first — while it
/// still fits. `fits` runs the Filter plugins against the hypothetical node.
pub fn select_victims_on_node(
    pod: &PodInfo,
    node: &NodeInfo,
    pdbs: &[PdbState],
    fits: &mut dyn FnMut(&NodeInfo) -> Status,
) -> Result<Victims, Status> {
    let mut ni = node.clone();
    // isPreemptionAllowed: the victim has lower priority (IsEligiblePod is `true` by default).
    let mut potential: Vec<Rc<PodInfo>> = ni
        .pods
        .iter()
        .filter(|p| p.priority < pod.priority)
        .cloned()
        .collect();
    for p in &potential {
        ni.remove_pod(&p.key);
    }
    if potential.is_empty() {
        return Err(Status::unresolvable(
            "No preemption victims found for incoming pod",
        ));
    }
    let s = fits(&ni);
    if !s.is_success() {
        return Err(s);
    }
    potential.sort_by(importance_order);
    let (violating, non_violating) = filter_pods_with_pdb_violation(&potential, pdbs);
    let mut victims: Vec<Rc<PodInfo>> = Vec::new();
    let mut num_violating = 0i64;
    let mut reprieve = |p: &Rc<PodInfo>, ni: &mut NodeInfo, victims: &mut Vec<Rc<PodInfo>>| {
        ni.add_pod(p.clone());
        let ok = fits(ni).is_success();
        if !ok {
            ni.remove_pod(&p.key);
            victims.push(p.clone());
        }
        ok
    };
    for p in &violating {
        if !reprieve(p, &mut ni, &mut victims) {
            num_violating += 1;
        }
    }
    for p in &non_violating {
        reprieve(p, &mut ni, &mut victims);
    }
    if !violating.is_empty() && !non_violating.is_empty() {
        victims.sort_by(importance_order);
    }
    Ok(Victims {
        pods: victims,
        num_pdb_violations: num_violating,
    })
}

/// Upstream `DryRunPreemption`, sequentially: check the potential nodes from `offset`
/// round-robin; stop once there is a non-violating candidate and `candidates_num` in all.
/// Each of the two candidate lists holds at most `candidates_num` (upstream `candidateList`).
/// Returns non-violating candidates then violating ones, and the statuses of nodes that
/// failed.
pub fn dry_run_preemption(
    pod: &PodInfo,
    potential: &[usize],
    snap: &Snapshot,
    pdbs: &[PdbState],
    offset: usize,
    candidates_num: usize,
    fits: &mut dyn FnMut(&NodeInfo) -> Status,
) -> (Vec<Candidate>, NodeToStatus, Vec<Status>) {
    let mut non_violating: Vec<Candidate> = Vec::new();
    let mut violating: Vec<Candidate> = Vec::new();
    let mut statuses = NodeToStatus::new(snap.nodes.len());
    let mut errs = Vec::new();
    for i in 0..potential.len() {
        let idx = potential[(offset + i) % potential.len()];
        let node = &snap.nodes[idx];
        let status = match select_victims_on_node(pod, node, pdbs, fits) {
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
                if p.priority < pod.priority
                    && p.is_terminating()
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
            let mut fits = |ni: &NodeInfo| {
                input
                    .profile
                    .run_filters_on(input.state, input.skip, pod, ni, snap)
            };
            dry_run_preemption(pod, &potential, snap, &pdbs, offset, num, &mut fits)
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
