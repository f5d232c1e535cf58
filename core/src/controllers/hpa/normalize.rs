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
            _ => (F64::from_i64(start.into())
                * (F64::from_i64(1) + F64::from_ratio(p.value.into(), 100)))
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
            _ => (F64::from_i64(start.into())
                * (F64::from_i64(1) - F64::from_ratio(p.value.into(), 100)))
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

#[cfg(test)]
mod tests {
    //! Rows of upstream's horizontal_test.go (v1.35): `TestScalingWithRules`,
    //! `TestNormalizeDesiredReplicas`, `TestNormalizeDesiredReplicasWithBehavior`,
    //! `TestStoreScaleEvents`.
    use super::*;
    use crate::api::autoscaling::{HpaBehavior, HpaScalingPolicy, HpaScalingRules};

    const NOW: i64 = 1_767_225_600_000;
    const MIN: i64 = 60_000;

    /// `generateScalingRules`: a Pods and/or a Percent policy, Max, the window.
    fn rules(
        pods: i32,
        pods_period: i32,
        percent: i32,
        percent_period: i32,
        window: i32,
    ) -> HpaScalingRules {
        let mut policies = Vec::new();
        if pods != 0 {
            policies.push(HpaScalingPolicy {
                kind: "Pods".into(),
                value: pods,
                period_seconds: pods_period,
            });
        }
        if percent != 0 {
            policies.push(HpaScalingPolicy {
                kind: "Percent".into(),
                value: percent,
                period_seconds: percent_period,
            });
        }
        HpaScalingRules {
            stabilization_window_seconds: Some(window),
            select_policy: Some("Max".into()),
            policies: Some(policies),
            tolerance: None,
        }
    }

    /// `generateEventsUniformDistribution`: each event in the middle of its share of the last
    /// `period` seconds (the offset truncated to whole seconds).
    fn events(changes: &[i32], period: i64) -> Vec<ScaleEvent> {
        let n = changes.len() as i64;
        changes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // period - seg*(i+1) + seg/2 with seg = period/n, in float upstream; the
                // tables only use periods that divide evenly.
                let seg2 = period * 2 / n;
                let back = (2 * period - seg2 * (i as i64 + 1) + seg2 / 2) / 2;
                ScaleEvent {
                    change: *c,
                    at: NOW - back * 1000,
                    outdated: false,
                }
            })
            .collect()
    }

    #[test]
    fn scaling_with_rules() {
        type Row = (
            &'static str,
            Vec<ScaleEvent>,
            Vec<ScaleEvent>,
            i32,
            i32,
            Option<HpaScalingRules>,
            Option<HpaScalingRules>,
            i32,
            i32,
            i32,
            &'static str,
        );
        let rows: Vec<Row> = vec![
            (
                "prenormalized desired replicas within range",
                vec![],
                vec![],
                3,
                8,
                None,
                None,
                5,
                7,
                7,
                "DesiredWithinRange",
            ),
            (
                "prenormalized desired replicas < minReplicas",
                vec![],
                vec![],
                2,
                8,
                None,
                None,
                3,
                1,
                2,
                "TooFewReplicas",
            ),
            (
                "within range when minReplicas is 0",
                vec![],
                vec![],
                0,
                10,
                None,
                None,
                1,
                0,
                0,
                "DesiredWithinRange",
            ),
            (
                "maxReplicas is the limit because maxReplicas < scaleUpLimit",
                vec![],
                vec![],
                1,
                10,
                None,
                None,
                20,
                1000,
                10,
                "TooManyReplicas",
            ),
            (
                "desired replica count is more than the maximum replica count",
                vec![],
                vec![],
                100,
                150,
                None,
                None,
                100,
                1000,
                150,
                "TooManyReplicas",
            ),
            (
                "scaleUpLimit with user policies",
                vec![],
                vec![],
                1,
                2000,
                Some(rules(0, 0, 1, 60, 0)),
                None,
                3,
                1000,
                4,
                "ScaleUpLimit",
            ),
            (
                "scaleDownLimit with user defined policies",
                vec![],
                vec![],
                3,
                2000,
                None,
                Some(rules(20, 60, 0, 0, 0)),
                1000,
                3,
                980,
                "ScaleDownLimit",
            ),
            (
                "scaleUp with default behavior",
                vec![],
                vec![],
                1,
                1000,
                None,
                None,
                10,
                50,
                20,
                "ScaleUpLimit",
            ),
            (
                "scaleUp with pods policy larger than percent policy",
                vec![],
                vec![],
                1,
                1000,
                Some(rules(100, 60, 100, 60, 0)),
                None,
                10,
                500,
                110,
                "ScaleUpLimit",
            ),
            (
                "scaleUp with percent policy larger than pods policy",
                vec![],
                vec![],
                1,
                1000,
                Some(rules(2, 60, 100, 60, 0)),
                None,
                10,
                500,
                20,
                "ScaleUpLimit",
            ),
            (
                "scaleUp with spec MaxReplicas limitation with large pod policy",
                vec![],
                vec![],
                1,
                1000,
                Some(rules(100, 60, 0, 0, 0)),
                None,
                10,
                50,
                50,
                "DesiredWithinRange",
            ),
            (
                "scaleUp with spec MaxReplicas limitation with large percent policy",
                vec![],
                vec![],
                1,
                1000,
                Some(rules(10000, 60, 0, 0, 0)),
                None,
                10,
                50,
                50,
                "DesiredWithinRange",
            ),
            (
                "scaleUp with pod policy limitation",
                vec![],
                vec![],
                1,
                1000,
                Some(rules(30, 60, 0, 0, 0)),
                None,
                10,
                50,
                40,
                "ScaleUpLimit",
            ),
            (
                "scaleUp with percent policy limitation",
                vec![],
                vec![],
                1,
                1000,
                Some(rules(0, 0, 200, 60, 0)),
                None,
                10,
                50,
                30,
                "ScaleUpLimit",
            ),
            (
                "scaleDown with percent policy larger than pod policy",
                vec![],
                vec![],
                1,
                1000,
                None,
                Some(rules(20, 60, 1, 60, 300)),
                100,
                2,
                80,
                "ScaleDownLimit",
            ),
            (
                "scaleDown with pod policy larger than percent policy",
                vec![],
                vec![],
                1,
                1000,
                None,
                Some(rules(2, 60, 1, 60, 300)),
                100,
                2,
                98,
                "ScaleDownLimit",
            ),
            (
                "scaleDown with spec MinReplicas=nil limitation with large pod policy",
                vec![],
                vec![],
                1,
                1000,
                None,
                Some(rules(100, 60, 0, 0, 300)),
                10,
                0,
                1,
                "TooFewReplicas",
            ),
            (
                "scaleDown with spec MinReplicas limitation with large percent policy",
                vec![],
                vec![],
                5,
                1000,
                None,
                Some(rules(0, 0, 100, 60, 300)),
                10,
                2,
                5,
                "TooFewReplicas",
            ),
            (
                "scaleDown with pod policy limitation",
                vec![],
                vec![],
                1,
                1000,
                None,
                Some(rules(5, 60, 0, 0, 300)),
                10,
                2,
                5,
                "ScaleDownLimit",
            ),
            (
                "scaleDown with percent policy limitation",
                vec![],
                vec![],
                1,
                1000,
                None,
                Some(rules(0, 0, 50, 60, 300)),
                10,
                5,
                5,
                "DesiredWithinRange",
            ),
            (
                "scaleUp, large pod policy and events",
                events(&[1, 5, 9], 120),
                vec![],
                1,
                200,
                Some(rules(300, 60, 0, 0, 0)),
                None,
                100,
                500,
                200,
                "TooManyReplicas",
            ),
            (
                "scaleUp, large percent policy and events",
                events(&[1, 5, 9], 120),
                vec![],
                1,
                200,
                Some(rules(0, 0, 10000, 60, 0)),
                None,
                100,
                500,
                200,
                "TooManyReplicas",
            ),
            (
                "scaleUp with a lot of recent scale up events",
                events(&[1, 5, 9], 120),
                vec![],
                1,
                1000,
                Some(rules(5, 120, 0, 0, 0)),
                None,
                100,
                500,
                100,
                "ScaleUpLimit",
            ),
            (
                "scaleUp with pod policy and previous scale up events",
                events(&[1, 5, 9], 120),
                vec![],
                1,
                1000,
                Some(rules(150, 120, 0, 0, 0)),
                None,
                100,
                500,
                235,
                "ScaleUpLimit",
            ),
            (
                "scaleUp with percent policy and previous scale up events",
                events(&[1, 5, 9], 120),
                vec![],
                1,
                1000,
                Some(rules(0, 0, 200, 120, 0)),
                None,
                100,
                500,
                255,
                "ScaleUpLimit",
            ),
            (
                "scaleUp with percent policy and previous scale up and down events",
                events(&[4], 120),
                events(&[2], 120),
                1,
                1000,
                Some(rules(0, 0, 300, 300, 0)),
                None,
                6,
                24,
                16,
                "ScaleUpLimit",
            ),
            (
                "scaleDown with default policy and previous events",
                vec![],
                events(&[1, 5, 9], 120),
                1,
                1000,
                None,
                None,
                10,
                5,
                5,
                "DesiredWithinRange",
            ),
            (
                "scaleDown, MinReplicas=nil, large pod policy and previous events",
                vec![],
                events(&[1, 5, 9], 120),
                1,
                1000,
                None,
                Some(rules(115, 120, 0, 0, 300)),
                100,
                0,
                1,
                "TooFewReplicas",
            ),
            (
                "scaleDown, MinReplicas, large pod policy and previous events",
                vec![],
                events(&[1, 5, 9], 120),
                5,
                1000,
                None,
                Some(rules(130, 120, 0, 0, 300)),
                100,
                0,
                5,
                "TooFewReplicas",
            ),
            (
                "scaleDown, MinReplicas, large percent policy and previous events",
                vec![],
                events(&[1, 5, 9], 120),
                5,
                1000,
                None,
                Some(rules(0, 0, 100, 120, 300)),
                100,
                2,
                5,
                "TooFewReplicas",
            ),
            (
                "scaleDown with pod policy limitation and previous events",
                vec![],
                events(&[1, 5, 9], 120),
                1,
                1000,
                None,
                Some(rules(5, 120, 0, 0, 300)),
                100,
                2,
                100,
                "ScaleDownLimit",
            ),
            (
                "scaleDown with percent policy limitation and previous events",
                vec![],
                events(&[2, 4, 6], 120),
                1,
                1000,
                None,
                Some(rules(0, 0, 50, 120, 300)),
                100,
                0,
                56,
                "ScaleDownLimit",
            ),
            (
                "scaleDown with percent policy and previous scale up and down events",
                events(&[2], 120),
                events(&[4], 120),
                1,
                1000,
                None,
                Some(rules(0, 0, 50, 180, 0)),
                10,
                1,
                6,
                "ScaleDownLimit",
            ),
            (
                "scaleDown with previous events preventing further scale down",
                vec![],
                events(&[10, 10, 10], 120),
                1,
                1000,
                None,
                Some(rules(0, 0, 10, 120, 300)),
                100,
                0,
                100,
                "ScaleDownLimit",
            ),
            (
                "scaleDown with previous events still allowing more scale down",
                vec![],
                events(&[10, 10, 10], 120),
                1,
                1000,
                None,
                Some(rules(0, 0, 1000, 120, 300)),
                10,
                5,
                5,
                "DesiredWithinRange",
            ),
            (
                "'outdated' flag for one behavior for up",
                events(&[8, 12, 9, 11], 120),
                vec![],
                1,
                1000,
                Some(rules(1000, 60, 0, 0, 0)),
                None,
                100,
                200,
                200,
                "DesiredWithinRange",
            ),
            (
                "events not 'outdated' for two policies for up",
                events(&[8, 12, 9, 11], 120),
                vec![],
                1,
                1000,
                Some(rules(1000, 120, 100, 60, 0)),
                None,
                100,
                200,
                200,
                "DesiredWithinRange",
            ),
            (
                "events 'outdated' for two policies for up",
                events(&[8, 12, 9, 11], 120),
                vec![],
                1,
                1000,
                Some(rules(1000, 30, 100, 60, 0)),
                None,
                100,
                200,
                200,
                "DesiredWithinRange",
            ),
            (
                "'outdated' flag for one behavior for down",
                vec![],
                events(&[8, 12, 9, 11], 120),
                1,
                1000,
                None,
                Some(rules(1000, 60, 0, 0, 300)),
                100,
                5,
                5,
                "DesiredWithinRange",
            ),
            (
                "events not 'outdated' for two policies for down",
                vec![],
                events(&[8, 12, 9, 11], 120),
                1,
                1000,
                None,
                Some(rules(1000, 120, 100, 60, 300)),
                100,
                5,
                5,
                "DesiredWithinRange",
            ),
            (
                "events 'outdated' for two policies for down",
                vec![],
                events(&[8, 12, 9, 11], 120),
                1,
                1000,
                None,
                Some(rules(1000, 30, 100, 60, 300)),
                100,
                5,
                5,
                "DesiredWithinRange",
            ),
        ];
        for (name, up, down, min, max, up_rules, down_rules, current, desired, want, why) in rows {
            let behavior = HpaBehavior {
                scale_up: up_rules,
                scale_down: down_rules,
            };
            let history = History {
                recommendations: None,
                scale_up_events: up,
                scale_down_events: down,
            };
            let got = convert_with_behavior_rate(
                current,
                desired,
                min,
                max,
                &behavior.scale_up_rules(),
                &behavior.scale_down_rules(),
                &history,
                NOW,
            );
            assert_eq!((got.0, got.1 .0), (want, why), "{name}");
        }
    }

    fn rec(replicas: i32, ago: i64) -> Recommendation {
        Recommendation {
            replicas,
            at: NOW - ago,
        }
    }

    #[test]
    fn normalize_desired_replicas_without_behavior() {
        // (name, log, prenormalized, stabilized, log length after)
        let rows = [
            ("empty log", vec![], 5, 5, 1),
            ("stabilize", vec![rec(4, 2 * MIN), rec(5, MIN)], 3, 5, 3),
            ("no stabilize", vec![rec(1, 2 * MIN), rec(2, MIN)], 3, 3, 3),
            (
                "no stabilize - old recommendations",
                vec![rec(10, 10 * MIN), rec(9, 9 * MIN)],
                3,
                3,
                2,
            ),
            (
                "stabilize - old recommendations",
                vec![
                    rec(10, 10 * MIN),
                    rec(4, MIN),
                    rec(5, 2 * MIN),
                    rec(9, 9 * MIN),
                ],
                3,
                5,
                4,
            ),
        ];
        for (name, mut log, desired, want, len) in rows {
            assert_eq!(stabilize(&mut log, desired, 5 * MIN, NOW), want, "{name}");
            assert_eq!(log.len(), len, "{name}");
        }
    }

    #[test]
    fn normalize_desired_replicas_with_behavior() {
        // (name, log, current, prenormalized, stabilized, log after, up window, down window)
        type Row = (
            &'static str,
            Vec<Recommendation>,
            i32,
            i32,
            i32,
            Option<Vec<i32>>,
            i32,
            i32,
        );
        let rows: Vec<Row> = vec![
            (
                "empty recommendations for scaling down",
                vec![],
                100,
                5,
                5,
                Some(vec![5]),
                0,
                0,
            ),
            (
                "simple scale down stabilization",
                vec![rec(4, 2 * MIN), rec(5, MIN)],
                100,
                3,
                5,
                Some(vec![4, 5, 3]),
                0,
                180,
            ),
            (
                "simple scale up stabilization",
                vec![rec(4, 2 * MIN), rec(5, MIN)],
                1,
                7,
                4,
                Some(vec![4, 5, 7]),
                300,
                0,
            ),
            (
                "no scale down stabilization",
                vec![rec(1, 2 * MIN), rec(2, MIN)],
                100,
                3,
                3,
                Some(vec![1, 2, 3]),
                300,
                0,
            ),
            (
                "no scale up stabilization",
                vec![rec(4, 2 * MIN), rec(5, MIN)],
                1,
                3,
                3,
                Some(vec![4, 5, 3]),
                0,
                300,
            ),
            (
                "no scale down stabilization, reuse recommendation element",
                vec![rec(10, 10 * MIN), rec(9, 9 * MIN)],
                100,
                3,
                3,
                Some(vec![10, 3]),
                0,
                0,
            ),
            (
                "no scale up stabilization, reuse recommendation element",
                vec![rec(10, 10 * MIN), rec(9, 9 * MIN)],
                1,
                100,
                100,
                Some(vec![10, 100]),
                0,
                0,
            ),
            (
                "scale down stabilization, reuse one of obsolete recommendation element",
                vec![
                    rec(10, 10 * MIN),
                    rec(4, MIN),
                    rec(5, 2 * MIN),
                    rec(9, 9 * MIN),
                ],
                100,
                3,
                5,
                Some(vec![10, 4, 5, 3]),
                0,
                180,
            ),
            (
                "scale up stabilization, reuse one of obsolete recommendation element",
                vec![
                    rec(10, 100 * MIN),
                    rec(6, MIN),
                    rec(5, 2 * MIN),
                    rec(9, 3 * MIN),
                ],
                1,
                100,
                5,
                Some(vec![100, 6, 5, 9]),
                300,
                0,
            ),
            (
                "scale up and down stabilization, no scale up when rec goes down",
                vec![rec(2, 100 * MIN), rec(3, 3 * MIN)],
                2,
                1,
                2,
                None,
                300,
                300,
            ),
            (
                "scale up and down stabilization, no scale down when rec goes up",
                vec![rec(2, 100 * MIN), rec(1, 3 * MIN)],
                2,
                3,
                2,
                None,
                300,
                300,
            ),
        ];
        for (name, mut log, current, desired, want, after, up, down) in rows {
            let (got, _) = stabilize_with_behaviors(&mut log, current, desired, up, down, NOW);
            assert_eq!(got, want, "{name}");
            if let Some(after) = after {
                assert_eq!(
                    log.iter().map(|r| r.replicas).collect::<Vec<_>>(),
                    after,
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn store_scale_events() {
        let ev = |change, ago_s: i64| ScaleEvent {
            change,
            at: NOW - ago_s * 1000,
            outdated: false,
        };
        // (name, previous events, rules, change in the last 60 s before, events after as
        // (change, outdated))
        type Row = (
            &'static str,
            Vec<ScaleEvent>,
            HpaScalingRules,
            i32,
            Vec<(i32, bool)>,
        );
        let rows: Vec<Row> = vec![
            (
                "empty entries with two-policy-behavior",
                vec![],
                rules(10, 60, 100, 60, 0),
                0,
                vec![(5, false)],
            ),
            (
                "one outdated entry to be replaced with behavior",
                vec![ev(7, 61)],
                rules(10, 60, 100, 60, 0),
                0,
                vec![(5, false)],
            ),
            (
                "one actual entry to be not touched with behavior",
                vec![ev(7, 58)],
                rules(10, 60, 100, 60, 0),
                7,
                vec![(7, false), (5, false)],
            ),
            (
                "two entries, one of them to be replaced",
                vec![ev(7, 61), ev(6, 59)],
                rules(10, 60, 0, 0, 0),
                6,
                vec![(5, false), (6, false)],
            ),
            (
                "replace one entry, use policies with different periods",
                vec![ev(8, 29), ev(6, 59), ev(7, 61), ev(9, 61)],
                rules(10, 60, 100, 30, 0),
                14,
                vec![(8, false), (6, false), (7, true), (5, false)],
            ),
            (
                "two entries, both actual",
                vec![ev(7, 58), ev(6, 59)],
                rules(10, 120, 100, 30, 0),
                13,
                vec![(7, false), (6, false), (5, false)],
            ),
        ];
        for (name, prev, r, before, after) in rows {
            let behavior = HpaBehavior {
                scale_up: Some(r.clone()),
                scale_down: Some(r),
            };
            for up in [true, false] {
                let mut h = History::default();
                let events = if up {
                    &mut h.scale_up_events
                } else {
                    &mut h.scale_down_events
                };
                *events = prev.clone();
                assert_eq!(change_per_period(60, events, NOW), before, "{name}");
                let (rules, new) = if up {
                    (behavior.scale_up_rules(), 15)
                } else {
                    (behavior.scale_down_rules(), 5)
                };
                store_scale_event(&mut h, &rules, 10, new, NOW);
                let events = if up {
                    &h.scale_up_events
                } else {
                    &h.scale_down_events
                };
                let got: Vec<(i32, bool)> = events.iter().map(|e| (e.change, e.outdated)).collect();
                assert_eq!(got, after, "{name} (up: {up})");
            }
        }
    }

    #[test]
    fn legacy_limits() {
        // calculateScaleUpLimit: max(2 * current, 4).
        assert_eq!(convert_with_rules(1, 10, 1, 100), (4, SCALE_UP_LIMIT));
        assert_eq!(convert_with_rules(5, 50, 1, 100), (10, SCALE_UP_LIMIT));
        assert_eq!(convert_with_rules(5, 50, 1, 8), (8, TOO_MANY_REPLICAS));
        assert_eq!(convert_with_rules(5, 0, 2, 8), (2, TOO_FEW_REPLICAS));
    }
}
