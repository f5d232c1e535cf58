//! Score plugins of the thin pipeline: NodeResourcesFit with the LeastAllocated strategy
//! (cpu:1, memory:1), to the integer as upstream (see ../shared/scheduler-formulas.md).

use super::cache::{NodeInfo, PodRequests};

/// Upstream `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;

/// LeastAllocated (pkg/scheduler/framework/plugins/noderesources/least_allocated.go): per
/// resource `((allocatable - requested) * 100) / allocatable` (0 when requested exceeds
/// allocatable, resources with allocatable 0 skipped), then the weighted mean
/// `Σ score·w / Σ w` in integers. `requested` includes the incoming pod's non-zero requests.
pub fn least_allocated(req: &PodRequests, info: &NodeInfo) -> i64 {
    let resources = [
        (
            info.allocatable.milli_cpu,
            info.non_zero_cpu + req.non_zero_cpu,
            1i64,
        ),
        (
            info.allocatable.memory,
            info.non_zero_mem + req.non_zero_mem,
            1i64,
        ),
    ];
    let (mut sum, mut weights) = (0i64, 0i64);
    for (alloc, requested, w) in resources {
        if alloc == 0 {
            continue;
        }
        let s = if requested > alloc {
            0
        } else {
            (alloc - requested) * MAX_NODE_SCORE / alloc
        };
        sum += s * w;
        weights += w;
    }
    if weights == 0 {
        0
    } else {
        sum / weights
    }
}
