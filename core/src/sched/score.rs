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
            info.non_zero_cpu.saturating_add(req.non_zero_cpu),
            1i64,
        ),
        (
            info.allocatable.memory,
            info.non_zero_mem.saturating_add(req.non_zero_mem),
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
            // In 128 bits: `alloc * 100` overflows 64 bits for a node of 2^63/100 milli-CPUs
            // or more (upstream's int64 would wrap); the result is in 0..=100 either way.
            let free = i128::from(alloc) - i128::from(requested);
            (free * i128::from(MAX_NODE_SCORE) / i128::from(alloc)) as i64
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
