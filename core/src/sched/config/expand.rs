//! Plugin-set merging and multiPoint expansion, as upstream: `mergePluginSet`
//! (apis/config/v1/default_plugins.go) merges a profile's sets into the defaults; then
//! `expandMultiPointPlugins` (framework/runtime/framework.go) turns `multiPoint` into each
//! extension point the plugin implements, and `getScoreWeights` picks the weights.

use super::{ProfileSpec, DEFAULT_MULTIPOINT};
use crate::sched::framework::Point;
use crate::sched::registry::points_of;
use cellsim_derive::CompactDeserialize;

/// Upstream `framework.MaxTotalScore` (math.MaxInt64) and `MaxNodeScore`.
const MAX_TOTAL_SCORE: i64 = i64::MAX;
const MAX_NODE_SCORE: i64 = 100;

#[derive(CompactDeserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginRef {
    pub name: String,
    #[serde(default)]
    pub weight: Option<i64>,
}

#[derive(CompactDeserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginSet {
    #[serde(default)]
    pub enabled: Vec<PluginRef>,
    #[serde(default)]
    pub disabled: Vec<PluginRef>,
}

/// `plugins` of a profile: `multiPoint` and one set per extension point.
#[derive(CompactDeserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plugins {
    #[serde(default)]
    pub multi_point: PluginSet,
    #[serde(default)]
    pub pre_enqueue: PluginSet,
    #[serde(default)]
    pub queue_sort: PluginSet,
    #[serde(default)]
    pub pre_filter: PluginSet,
    #[serde(default)]
    pub filter: PluginSet,
    #[serde(default)]
    pub post_filter: PluginSet,
    #[serde(default)]
    pub pre_score: PluginSet,
    #[serde(default)]
    pub score: PluginSet,
    #[serde(default)]
    pub reserve: PluginSet,
    #[serde(default)]
    pub permit: PluginSet,
    #[serde(default)]
    pub pre_bind: PluginSet,
    #[serde(default)]
    pub bind: PluginSet,
    #[serde(default)]
    pub post_bind: PluginSet,
}

impl Plugins {
    pub fn set(&self, p: Point) -> &PluginSet {
        match p {
            Point::PreEnqueue => &self.pre_enqueue,
            Point::QueueSort => &self.queue_sort,
            Point::PreFilter => &self.pre_filter,
            Point::Filter => &self.filter,
            Point::PostFilter => &self.post_filter,
            Point::PreScore => &self.pre_score,
            Point::Score => &self.score,
            Point::Reserve => &self.reserve,
            Point::Permit => &self.permit,
            Point::PreBind => &self.pre_bind,
            Point::Bind => &self.bind,
            Point::PostBind => &self.post_bind,
        }
    }

    fn set_mut(&mut self, p: Point) -> &mut PluginSet {
        match p {
            Point::PreEnqueue => &mut self.pre_enqueue,
            Point::QueueSort => &mut self.queue_sort,
            Point::PreFilter => &mut self.pre_filter,
            Point::Filter => &mut self.filter,
            Point::PostFilter => &mut self.post_filter,
            Point::PreScore => &mut self.pre_score,
            Point::Score => &mut self.score,
            Point::Reserve => &mut self.reserve,
            Point::Permit => &mut self.permit,
            Point::PreBind => &mut self.pre_bind,
            Point::Bind => &mut self.bind,
            Point::PostBind => &mut self.post_bind,
        }
    }
}

fn default_plugins() -> Plugins {
    Plugins {
        multi_point: PluginSet {
            enabled: DEFAULT_MULTIPOINT
                .iter()
                .map(|(n, w)| PluginRef {
                    name: n.to_string(),
                    weight: *w,
                })
                .collect(),
            disabled: Vec::new(),
        },
        ..Default::default()
    }
}

/// Upstream `mergePluginSet`.
pub fn merge_plugin_set(default: &PluginSet, custom: &PluginSet) -> PluginSet {
    let mut disabled: Vec<PluginRef> = Vec::new();
    let mut disabled_names: Vec<&str> = Vec::new();
    for d in custom.disabled.iter().chain(default.disabled.iter()) {
        disabled.push(PluginRef {
            name: d.name.clone(),
            weight: None,
        });
        disabled_names.push(&d.name);
    }
    let mut replaced: Vec<usize> = Vec::new();
    let mut enabled = Vec::new();
    if !disabled_names.contains(&"*") {
        for d in &default.enabled {
            if disabled_names.contains(&d.name.as_str()) {
                continue;
            }
            // A default re-configured by the user is replaced in place, keeping its order.
            match custom.enabled.iter().position(|c| c.name == d.name) {
                Some(i) => {
                    replaced.push(i);
                    enabled.push(custom.enabled[i].clone());
                }
                None => enabled.push(d.clone()),
            }
        }
    }
    for (i, c) in custom.enabled.iter().enumerate() {
        if !replaced.contains(&i) {
            enabled.push(c.clone());
        }
    }
    PluginSet { enabled, disabled }
}

/// Merge a profile's `plugins` into the defaults (upstream `mergePlugins`).
pub fn merge(custom: Option<&Plugins>) -> Plugins {
    let mut out = default_plugins();
    let Some(c) = custom else { return out };
    out.multi_point = merge_plugin_set(&out.multi_point, &c.multi_point);
    for p in Point::ALL {
        let merged = merge_plugin_set(out.set(p), c.set(p));
        *out.set_mut(p) = merged;
    }
    out
}

/// Build the per-point plugin lists and weights (upstream NewFramework's `updatePluginList`,
/// `expandMultiPointPlugins` and `getScoreWeights`). Errors carry upstream's messages.
pub fn expand(scheduler_name: &str, plugins: &Plugins) -> Result<ProfileSpec, String> {
    let mut points: crate::collections::OrdMap<Point, Vec<String>> =
        crate::collections::OrdMap::new();
    for p in Point::ALL {
        let set = plugins.set(p);
        let mut specific: Vec<String> = Vec::new();
        for e in &set.enabled {
            let implements = points_of(&e.name)
                .ok_or_else(|| format!("{} plugin {:?} does not exist", p.config_name(), e.name))?;
            if !implements.contains(&p) {
                return Err(format!(
                    "plugin {:?} does not extend {} plugin",
                    e.name,
                    p.config_name()
                ));
            }
            if specific.contains(&e.name) {
                return Err(format!(
                    "plugin {:?} already registered as {:?}",
                    e.name,
                    p.config_name()
                ));
            }
            specific.push(e.name.clone());
        }
        let disabled: Vec<&str> = set.disabled.iter().map(|d| d.name.as_str()).collect();
        let list = if disabled.contains(&"*") {
            specific
        } else {
            let mut overrides: Vec<&str> = Vec::new();
            let mut multi: Vec<String> = Vec::new();
            for e in &plugins.multi_point.enabled {
                let implements = points_of(&e.name)
                    .ok_or_else(|| format!("plugin {:?} does not exist", e.name))?;
                if !implements.contains(&p) || disabled.contains(&e.name.as_str()) {
                    continue;
                }
                if specific.contains(&e.name) {
                    overrides.push(&e.name);
                    continue;
                }
                if multi.contains(&e.name) {
                    return Err(format!(
                        "plugin {:?} already registered as {:?}",
                        e.name,
                        p.config_name()
                    ));
                }
                multi.push(e.name.clone());
            }
            // Order: overrides (in the point's own order), multiPoint-only, then the rest.
            let mut out: Vec<String> = specific
                .iter()
                .filter(|n| overrides.contains(&n.as_str()))
                .cloned()
                .collect();
            out.extend(multi);
            out.extend(
                specific
                    .iter()
                    .filter(|n| !overrides.contains(&n.as_str()))
                    .cloned(),
            );
            out
        };
        points.insert(p, list);
    }
    if points[&Point::QueueSort].len() != 1 {
        return Err(format!(
            "only one queue sort plugin required for profile with scheduler name {scheduler_name:?}, but got {}",
            points[&Point::QueueSort].len()
        ));
    }
    if points[&Point::Bind].is_empty() {
        return Err(format!(
            "at least one bind plugin is needed for profile with scheduler name {scheduler_name:?}"
        ));
    }
    // getScoreWeights: the score set's own weights take precedence over multiPoint's; 0 → 1.
    let mut score_weights = crate::collections::OrdMap::new();
    let mut total: i64 = 0;
    for e in plugins
        .score
        .enabled
        .iter()
        .chain(plugins.multi_point.enabled.iter())
    {
        if !points_of(&e.name).is_some_and(|pts| pts.contains(&Point::Score))
            || score_weights.contains_key(&e.name)
        {
            continue;
        }
        let w = match e.weight.unwrap_or(0) {
            0 => 1,
            w => w,
        };
        if w.saturating_mul(MAX_NODE_SCORE) > MAX_TOTAL_SCORE - total {
            return Err("total score of Score plugins could overflow".into());
        }
        total += w * MAX_NODE_SCORE;
        score_weights.insert(e.name.clone(), w);
    }
    Ok(ProfileSpec {
        scheduler_name: scheduler_name.to_string(),
        percentage_of_nodes_to_score: None,
        points,
        score_weights,
        plugin_args: crate::collections::OrdMap::new(),
    })
}

/// The default profile under a scheduler name.
pub fn default_profile(scheduler_name: &str) -> ProfileSpec {
    expand(scheduler_name, &merge(None)).expect("the default plugins expand")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(spec: &ProfileSpec, p: Point) -> Vec<&str> {
        spec.points[&p].iter().map(String::as_str).collect()
    }

    #[test]
    fn default_profile_matches_upstream() {
        let d = default_profile("default-scheduler");
        assert_eq!(
            names(&d, Point::Filter),
            [
                "NodeUnschedulable",
                "NodeName",
                "TaintToleration",
                "NodeAffinity",
                "NodePorts",
                "NodeResourcesFit",
                "VolumeRestrictions",
                "EBSLimits",
                "GCEPDLimits",
                "NodeVolumeLimits",
                "AzureDiskLimits",
                "VolumeBinding",
                "VolumeZone",
                "PodTopologySpread",
                "InterPodAffinity"
            ]
        );
        assert_eq!(
            names(&d, Point::Score),
            [
                "TaintToleration",
                "NodeAffinity",
                "NodeResourcesFit",
                "VolumeBinding",
                "PodTopologySpread",
                "InterPodAffinity",
                "NodeResourcesBalancedAllocation",
                "ImageLocality"
            ]
        );
        assert_eq!(d.score_weights["TaintToleration"], 3);
        assert_eq!(d.score_weights["NodeAffinity"], 2);
        assert_eq!(d.score_weights["VolumeBinding"], 1);
        assert_eq!(names(&d, Point::QueueSort), ["PrioritySort"]);
        assert_eq!(names(&d, Point::PostFilter), ["DefaultPreemption"]);
        assert_eq!(names(&d, Point::Bind), ["DefaultBinder"]);
    }

    #[test]
    fn single_plugin_profile_like_the_conformance_harness() {
        let custom = Plugins {
            multi_point: PluginSet {
                enabled: vec![],
                disabled: vec![PluginRef {
                    name: "*".into(),
                    weight: None,
                }],
            },
            queue_sort: PluginSet {
                enabled: vec![PluginRef {
                    name: "PrioritySort".into(),
                    weight: None,
                }],
                disabled: vec![],
            },
            bind: PluginSet {
                enabled: vec![PluginRef {
                    name: "DefaultBinder".into(),
                    weight: None,
                }],
                disabled: vec![],
            },
            pre_score: PluginSet {
                enabled: vec![PluginRef {
                    name: "TaintToleration".into(),
                    weight: None,
                }],
                disabled: vec![],
            },
            score: PluginSet {
                enabled: vec![PluginRef {
                    name: "TaintToleration".into(),
                    weight: Some(1),
                }],
                disabled: vec![],
            },
            ..Default::default()
        };
        let s = expand("default-scheduler", &merge(Some(&custom))).unwrap();
        assert!(names(&s, Point::Filter).is_empty());
        assert_eq!(names(&s, Point::Score), ["TaintToleration"]);
        assert_eq!(s.score_weights["TaintToleration"], 1);
    }

    #[test]
    fn score_override_keeps_position_and_takes_weight() {
        // Upstream TestMergePlugins: a default re-enabled at score with a weight overrides it.
        let custom = Plugins {
            score: PluginSet {
                enabled: vec![PluginRef {
                    name: "ImageLocality".into(),
                    weight: Some(5),
                }],
                disabled: vec![],
            },
            ..Default::default()
        };
        let s = expand("x", &merge(Some(&custom))).unwrap();
        assert_eq!(
            names(&s, Point::Score)[0],
            "ImageLocality",
            "overrides come first"
        );
        assert_eq!(s.score_weights["ImageLocality"], 5);
        let bad = Plugins {
            filter: PluginSet {
                enabled: vec![PluginRef {
                    name: "ImageLocality".into(),
                    weight: None,
                }],
                disabled: vec![],
            },
            ..Default::default()
        };
        assert!(expand("x", &merge(Some(&bad)))
            .unwrap_err()
            .contains("does not extend filter"));
        let bad = Plugins {
            queue_sort: PluginSet {
                enabled: vec![],
                disabled: vec![PluginRef {
                    name: "*".into(),
                    weight: None,
                }],
            },
            ..Default::default()
        };
        assert!(expand("x", &merge(Some(&bad)))
            .unwrap_err()
            .contains("only one queue sort plugin"));
    }
}
