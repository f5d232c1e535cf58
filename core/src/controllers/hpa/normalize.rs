//! From the metrics' recommendation to the replica count the controller sets: stabilization
//! windows over past recommendations, rate limits from the scaling policies (or, without
//! `behavior`, the legacy caps), and the replica bounds.
//!
//! Upstream: pkg/controller/podautoscaler/horizontal.go (`stabilizeRecommendation`,
//! `normalizeDesiredReplicas`, `convertDesiredReplicasWithRules`, `calculateScaleUpLimit`,
//! `stabilizeRecommendationWithBehaviors`, `convertDesiredReplicasWithBehaviorRate`,
//! `calculateScaleUpLimitWithScalingRules`, `calculateScaleDownLimitWithBehaviors`,
//! `getReplicasChangePerPeriod`, `storeScaleEvent`, `markScaleEventsOutdated`). Times are
//! simulated milliseconds; `a.After(b)` is `a > b`, `a.Before(b)` is `a < b`.

use crate::api::autoscaling::ScalingRules;
use crate::binary64::F64;

/// `timestampedRecommendation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    pub replicas: i32,
    pub at: i64,
}

/// `timestampedScaleEvent`: replicas added (scale-up list) or removed (scale-down list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleEvent {
    pub change: i32,
    pub at: i64,
    pub outdated: bool,
}

/// The controller's memory of one HPA.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// `nil` until the first sync records the current size (`recordInitialRecommendation`).
    pub recommendations: Option<Vec<Recommendation>>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
}

/// A condition to set: (reason, message).
pub type Why = (&'static str, &'static str);

const SCALE_UP_STABILIZED: Why = (
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
);
const SCALE_DOWN_STABILIZED: Why = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent recommendation",
);
pub const READY_FOR_NEW_SCALE: Why = ("ReadyForNewScale", "recommended size matches current size");
const DESIRED_WITHIN_RANGE: Why = (
    "DesiredWithinRange",
    "the desired count is within the acceptable range",
);
const SCALE_UP_LIMIT: Why = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
);
const TOO_MANY_REPLICAS: Why = (
    "TooManyReplicas",
    "the desired replica count is more than the maximum replica count",
);
const SCALE_DOWN_LIMIT: Why = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
);
const TOO_FEW_REPLICAS: Why = (
    "TooFewReplicas",
    "the desired replica count is less than the minimum replica count",
);

/// `stabilizeRecommendation` (no `behavior`): the highest recommendation not older than the
/// window (`!rec.Before(cutoff)`), the newest one replacing the last too-old one.
pub fn stabilize(recs: &mut Vec<Recommendation>, desired: i32, window_ms: i64, now: i64) -> i32 {
    let cutoff = now - window_ms;
    let mut max = desired;
    let mut old = None;
    for (i, r) in recs.iter().enumerate() {
        if r.at < cutoff {
            old = Some(i);
        } else if r.replicas > max {
            max = r.replicas;
        }
    }
    let rec = Recommendation {
        replicas: desired,
        at: now,
    };
    match old {
        Some(i) => recs[i] = rec,
        None => recs.push(rec),
    }
    max
}

/// `convertDesiredReplicasWithRules` (no `behavior`): within [min, max], and at most
/// `calculateScaleUpLimit` = max(2 × current, 4).
pub fn convert_with_rules(current: i32, desired: i32, min: i32, max: i32) -> (i32, Why) {
    let scale_up_limit = current.saturating_mul(2).max(4);
    let (maximum, why) = if max > scale_up_limit {
        (scale_up_limit, SCALE_UP_LIMIT)
    } else {
        (max, TOO_MANY_REPLICAS)
    };
    if desired < min {
        return (min, TOO_FEW_REPLICAS);
    }
    if desired > maximum {
        return (maximum, why);
    }
    (desired, DESIRED_WITHIN_RANGE)
}

/// `stabilizeRecommendationWithBehaviors`: clamp the current size between the lowest
/// recommendation of the scale-up window and the highest of the scale-down window (both
/// including this one, strictly newer than the cutoff); record this recommendation in place of
/// one older than both windows. Returns the stabilized size and the AbleToScale reason for a
/// changed recommendation.
pub fn stabilize_with_behaviors(
    recs: &mut Vec<Recommendation>,
    current: i32,
    desired: i32,
    up_window_s: i32,
    down_window_s: i32,
    now: i64,
) -> (i32, Why) {
    let up_cutoff = now - i64::from(up_window_s) * 1000;
    let down_cutoff = now - i64::from(down_window_s) * 1000;
    let (mut up, mut down) = (desired, desired);
    let mut old = None;
    for (i, r) in recs.iter().enumerate() {
        if r.at > up_cutoff {
            up = up.min(r.replicas);
        }
        if r.at > down_cutoff {
            down = down.max(r.replicas);
        }
        if r.at < up_cutoff && r.at < down_cutoff {
            old = Some(i);
        }
    }
    let stabilized = current.max(up).min(down);
    let rec = Recommendation {
        replicas: desired,
        at: now,
    };
    match old {
        Some(i) => recs[i] = rec,
        None => recs.push(rec),
    }
    let why = if desired >= current {
        SCALE_UP_STABILIZED
    } else {
        SCALE_DOWN_STABILIZED
    };
    (stabilized, why)
}

/// `getReplicasChangePerPeriod`: the replicas changed by events strictly newer than `period`.
pub fn change_per_period(period_s: i32, events: &[ScaleEvent], now: i64) -> i32 {
    let cutoff = now - i64::from(period_s) * 1000;
    events
        .iter()
        .filter(|e| e.at > cutoff)
        .fold(0i32, |sum, e| sum.wrapping_add(e.change))
}

/// `calculateScaleUpLimitWithScalingRules`: per policy, the size at the start of its period
/// plus what it allows; Max (default) or Min of them; Disabled: the current size.
pub fn scale_up_limit(
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    rules: &ScalingRules,
    now: i64,
) -> i32 {
    let select = rules.select_policy.as_str();
    if select == "Disabled" {
        return current;
    }
    let min = select == "Min";
    let mut result = if min { i32::MAX } else { i32::MIN };
    for p in &rules.policies {
        let start = current
            .wrapping_sub(change_per_period(p.period_seconds, up, now))
            .wrapping_add(change_per_period(p.period_seconds, down, now));
        let proposed = match p.kind.as_str() {
            "Pods" => start.wrapping_add(p.value),
            // Rounded up, or a small percentage would never add a replica:
            // int32(math.Ceil(float64(start) * (1 + float64(value)/100))).
            _ => F64::from_i64(start.into())
                .mul(F64::from_i64(1).add(F64::from_ratio(p.value.into(), 100)))
                .ceil() as i32,
        };
        result = if min {
            result.min(proposed)
        } else {
            result.max(proposed)
        };
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors`: per policy, the size at the start of its period minus
/// what it allows; Max (default: the most change, i.e. the lowest size) or Min; Disabled: the
/// current size.
pub fn scale_down_limit(
    current: i32,
    up: &[ScaleEvent],
    down: &[ScaleEvent],
    rules: &ScalingRules,
    now: i64,
) -> i32 {
    let select = rules.select_policy.as_str();
    if select == "Disabled" {
        return current;
    }
    let min = select == "Min";
    let mut result = if min { i32::MIN } else { i32::MAX };
    for p in &rules.policies {
        let start = current
            .wrapping_sub(change_per_period(p.period_seconds, up, now))
            .wrapping_add(change_per_period(p.period_seconds, down, now));
        let proposed = match p.kind.as_str() {
            "Pods" => start.wrapping_sub(p.value),
            // int32(float64(start) * (1 - float64(value)/100)): truncated.
            _ => F64::from_i64(start.into())
                .mul(F64::from_i64(1).sub(F64::from_ratio(p.value.into(), 100)))
                .trunc() as i32,
        };
        result = if min {
            result.max(proposed)
        } else {
            result.min(proposed)
        };
    }
    result
}

/// `convertDesiredReplicasWithBehaviorRate`: the rate limits of the direction, then the bounds.
#[allow(clippy::too_many_arguments)]
pub fn convert_with_behavior_rate(
    current: i32,
    desired: i32,
    min: i32,
    max: i32,
    up_rules: &ScalingRules,
    down_rules: &ScalingRules,
    history: &History,
    now: i64,
) -> (i32, Why) {
    let (up, down) = (&history.scale_up_events, &history.scale_down_events);
    if desired > current {
        // No further scale-up until the events of the period age out.
        let limit = scale_up_limit(current, up, down, up_rules, now).max(current);
        let (maximum, why) = if max > limit {
            (limit, SCALE_UP_LIMIT)
        } else {
            (max, TOO_MANY_REPLICAS)
        };
        if desired > maximum {
            return (maximum, why);
        }
    } else if desired < current {
        let limit = scale_down_limit(current, up, down, down_rules, now).min(current);
        let (minimum, why) = if min < limit {
            (limit, SCALE_DOWN_LIMIT)
        } else {
            (min, TOO_FEW_REPLICAS)
        };
        if desired < minimum {
            return (minimum, why);
        }
    }
    (desired, DESIRED_WITHIN_RANGE)
}

/// `storeScaleEvent` (only with `behavior`): record the change, reusing the slot of an event
/// older than the direction's longest policy period.
pub fn store_scale_event(
    history: &mut History,
    rules: &ScalingRules,
    prev: i32,
    new: i32,
    now: i64,
) {
    let longest = rules
        .policies
        .iter()
        .map(|p| p.period_seconds)
        .max()
        .unwrap_or(0)
        .max(0);
    let (events, change) = if new > prev {
        (&mut history.scale_up_events, new - prev)
    } else {
        (&mut history.scale_down_events, prev - new)
    };
    let cutoff = now - i64::from(longest) * 1000;
    for e in events.iter_mut() {
        if e.at < cutoff {
            e.outdated = true;
        }
    }
    let event = ScaleEvent {
        change,
        at: now,
        outdated: false,
    };
    match events.iter().rposition(|e| e.outdated) {
        Some(i) => events[i] = event,
        None => events.push(event),
    }
}
