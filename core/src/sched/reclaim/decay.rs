//! How one pod's reservation moves each period (Verma et al., EuroSys 2015, §5.5): "The
//! initial reservation is set equal to the resource request (the limit); after 300 s, to allow
//! for startup transients, it decays slowly towards the actual usage plus a safety margin. The
//! reservation is rapidly increased if the usage exceeds it."
//!
//! cellsim's rules, per resource (millicores, bytes), in integers:
//! - the target is `ceil(usage * (100 + margin) / 100)`, never more than the request (Borg's
//!   limit: a reservation is an estimate of what a task will use *of its limit*);
//! - during the startup grace (and before the pod has started) the reservation is the request;
//! - when the usage exceeds the reservation, the reservation jumps to the target;
//! - otherwise it closes `decayPercent` of its gap to the target, the remaining gap rounded
//!   down, so it reaches the target exactly (from above when usage fell, from below when usage
//!   rose but stayed within the reservation).

use super::Reclamation;
use crate::api::resources::CpuMem;

/// Usage plus `margin_percent` of it, rounded up, capped at the request (both clamped at 0).
pub fn target(usage: i64, request: i64, margin_percent: u32) -> i64 {
    let with_margin = (i128::from(usage.max(0)) * (100 + i128::from(margin_percent)) + 99) / 100;
    with_margin.min(i128::from(request.max(0))) as i64
}

/// The reservation of one resource after one period. `prev` is the reservation before it
/// (the request when there was none); `in_grace`: the pod has not started, or started less
/// than `startupGrace` ago.
pub fn step(prev: i64, request: i64, usage: i64, in_grace: bool, cfg: &Reclamation) -> i64 {
    let request = request.max(0);
    if in_grace {
        return request;
    }
    let prev = prev.clamp(0, request);
    let target = target(usage, request, cfg.safety_margin_percent);
    if usage > prev {
        return target;
    }
    // Both lie in 0..=request, so the gap and the result fit in i64.
    let keep = i128::from(100 - cfg.decay_percent.min(100));
    let left = (i128::from((prev - target).abs()) * keep / 100) as i64;
    if prev > target {
        target + left
    } else {
        target - left
    }
}

/// [`step`] for cpu and memory.
pub fn reservation(
    prev: CpuMem,
    request: CpuMem,
    usage: CpuMem,
    in_grace: bool,
    cfg: &Reclamation,
) -> CpuMem {
    CpuMem {
        milli_cpu: step(
            prev.milli_cpu,
            request.milli_cpu,
            usage.milli_cpu,
            in_grace,
            cfg,
        ),
        memory: step(prev.memory, request.memory, usage.memory, in_grace, cfg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GI: i64 = 1 << 30;

    fn cfg(decay: u32, margin: u32) -> Reclamation {
        Reclamation {
            decay_percent: decay,
            safety_margin_percent: margin,
            ..Reclamation::default()
        }
    }

    #[test]
    fn target_is_usage_plus_margin_rounded_up_and_capped_at_the_request() {
        assert_eq!(target(1000, 3000, 10), 1100);
        assert_eq!(target(1001, 3000, 10), 1102, "1101.1 rounds up");
        assert_eq!(target(2900, 3000, 10), 3000, "3190 capped at the request");
        assert_eq!(target(0, 3000, 10), 0);
        assert_eq!(target(1000, 3000, 0), 1000);
        assert_eq!(
            target(2 * GI, 4 * GI, 10),
            2_362_232_013,
            "2.2Gi = 2362232012.8"
        );
        assert_eq!(target(-5, 3000, 10), 0);
        assert_eq!(target(500, -1, 10), 0);
        // No overflow at the extremes of a quantity.
        assert_eq!(target(i64::MAX / 2, i64::MAX, 100), i64::MAX - 1);
        assert_eq!(target(i64::MAX, i64::MAX, 100), i64::MAX);
    }

    #[test]
    fn the_request_holds_during_the_startup_grace() {
        let c = cfg(5, 10);
        assert_eq!(step(1200, 3000, 1000, true, &c), 3000);
        assert_eq!(step(3000, 3000, 9000, true, &c), 3000);
    }

    #[test]
    fn decay_closes_five_percent_of_the_gap_per_period() {
        // Request 3000m, usage 1000m, margin 10%: target 1100m; gaps 1900, 1805, 1714, 1628.
        let c = cfg(5, 10);
        let mut r = 3000;
        let mut seen = Vec::new();
        for _ in 0..4 {
            r = step(r, 3000, 1000, false, &c);
            seen.push(r);
        }
        assert_eq!(seen, [2905, 2814, 2728, 2646]);
        // 15 periods bring 3000m under 2000m (2000m is where a 2-CPU pod fits on 4 CPUs).
        let mut r = 3000;
        let mut periods = 0;
        while r > 2000 {
            r = step(r, 3000, 1000, false, &c);
            periods += 1;
        }
        assert_eq!((periods, r), (15, 1975));
    }

    #[test]
    fn decay_reaches_the_target_exactly() {
        let c = cfg(50, 0);
        let mut r = 1003;
        let mut seen = Vec::new();
        while r != 1000 {
            r = step(r, 3000, 1000, false, &c);
            seen.push(r);
        }
        assert_eq!(seen, [1001, 1000], "gap 3 -> 1 -> 0");
        assert_eq!(
            step(1000, 3000, 1000, false, &c),
            1000,
            "stays at the target"
        );
        assert_eq!(step(3000, 3000, 1000, false, &cfg(100, 10)), 1100);
    }

    #[test]
    fn usage_above_the_reservation_jumps_to_the_target() {
        let c = cfg(5, 10);
        assert_eq!(step(1500, 3000, 2000, false, &c), 2200);
        assert_eq!(
            step(1500, 3000, 3500, false, &c),
            3000,
            "never above the request"
        );
        assert_eq!(step(0, 2 * GI, GI, false, &c), 1_181_116_007);
    }

    #[test]
    fn usage_within_the_reservation_but_above_its_target_rises_slowly() {
        // Reservation 1100m, usage 1050m (not above it): target ceil(1155) = 1155; gap 55
        // shrinks to floor(55 * 95 / 100) = 52.
        let c = cfg(5, 10);
        assert_eq!(step(1100, 3000, 1050, false, &c), 1103);
    }

    #[test]
    fn pods_without_requests_reserve_nothing() {
        let c = cfg(5, 10);
        assert_eq!(step(0, 0, 500, false, &c), 0);
        assert_eq!(step(0, 0, 500, true, &c), 0);
    }

    #[test]
    fn both_resources_move_independently() {
        let c = cfg(5, 10);
        let req = CpuMem {
            milli_cpu: 3000,
            memory: 4 * GI,
        };
        let usage = CpuMem {
            milli_cpu: 1000,
            memory: 5 * GI,
        };
        let next = reservation(req, req, usage, false, &c);
        assert_eq!(
            next,
            CpuMem {
                milli_cpu: 2905,
                memory: 4 * GI
            }
        );
    }
}
