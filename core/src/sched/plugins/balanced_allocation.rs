//! NodeResourcesBalancedAllocation (PreScore, Score): prefer nodes whose resource fractions
//! stay balanced after placing the pod — v1.35's formula: `(1 - std(fractions)) * 100`
//! (upstream noderesources/balanced_allocation.go). Real requests, no non-zero defaults; a
//! pod requesting none of the resources is skipped.

use super::node_resources_fit::{
    requested_of, validate_resources, with_node_amounts, ResKind, ResourceSpec,
};
use crate::api::resources::{CPU, MEMORY};
use crate::sched::framework::{
    CycleState, NodeInfo, Plugin, PodInfo, Point, Snapshot, Status, MAX_NODE_SCORE,
};
use cellsim_derive::CompactDeserialize;

#[derive(CompactDeserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Args {
    #[serde(default)]
    resources: Option<Vec<ResourceSpec>>,
}

pub struct BalancedAllocation {
    /// The configured resources, resolved once (no name matching per node).
    kinds: Vec<ResKind>,
}

const STATE: &str = "PreScoreNodeResourcesBalancedAllocation";

impl BalancedAllocation {
    pub fn new(args: Option<&crate::yaml::Node>) -> Result<BalancedAllocation, String> {
        let a: Args = crate::sched::plugins::helper::decode_args(
            "NodeResourcesBalancedAllocationArgs",
            args,
        )?;
        let resources = match a.resources {
            Some(r) if !r.is_empty() => r,
            _ => vec![
                ResourceSpec {
                    name: CPU.into(),
                    weight: 1,
                },
                ResourceSpec {
                    name: MEMORY.into(),
                    weight: 1,
                },
            ],
        };
        validate_resources("resources", &resources)?;
        Ok(BalancedAllocation {
            kinds: ResKind::resolve(&resources),
        })
    }
}

/// Upstream `balancedResourceScorer` (v1.35). The fractions are recomputed in a second pass
/// rather than stored (same values, same order of summation: no allocation).
fn balanced_score(requested: &[i64], allocatable: &[i64]) -> i64 {
    let fraction = |i: usize| (requested[i] as f64 / allocatable[i] as f64).min(1.0);
    let used = || (0..requested.len()).filter(|&i| allocatable[i] != 0);
    let mut total = 0.0f64;
    let mut count = 0usize;
    let (mut first, mut second) = (0.0f64, 0.0f64);
    for i in used() {
        let f = fraction(i);
        total += f;
        match count {
            0 => first = f,
            1 => second = f,
            _ => {}
        }
        count += 1;
    }
    let std = match count {
        0 | 1 => 0.0,
        2 => libm::fabs((first - second) / 2.0),
        n => {
            let mean = total / n as f64;
            let sum: f64 = used().map(fraction).map(|f| (f - mean) * (f - mean)).sum();
            libm::sqrt(sum / n as f64)
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl Plugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[Point::PreScore, Point::Score]
    }

    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[usize],
        _: &Snapshot,
    ) -> Status {
        let req: Vec<i64> = self
            .kinds
            .iter()
            .map(|k| requested_of(k, pod, false))
            .collect();
        if req.iter().all(|&v| v == 0) {
            return Status::skip();
        }
        state.write(STATE, req);
        Status::success()
    }

    fn score(
        &self,
        state: &CycleState,
        _: &PodInfo,
        node: &NodeInfo,
        _: &Snapshot,
    ) -> Result<i64, Status> {
        let pod_req: &Vec<i64> = state
            .read(STATE)
            .ok_or_else(|| Status::error("balanced allocation prescore state missing"))?;
        Ok(with_node_amounts(
            &self.kinds,
            node,
            pod_req,
            false,
            balanced_score,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::balanced_score;

    #[test]
    fn two_and_three_resources() {
        // cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5: std 0.125 → 87.
        assert_eq!(balanced_score(&[3000, 5000], &[4000, 10000]), 87);
        assert_eq!(balanced_score(&[0, 0], &[4000, 10000]), 100);
        // Over-requested fractions are capped at 1.
        assert_eq!(balanced_score(&[8000, 5000], &[4000, 10000]), 75);
        // Three resources: population standard deviation of (0.5, 0.5, 1.0) = 0.2357 → 76.
        assert_eq!(balanced_score(&[1, 1, 2], &[2, 2, 2]), 76);
    }
}
