//! Decoding and validating a KubeSchedulerConfiguration from the scenario's YAML, with
//! upstream's validation messages (pkg/scheduler/apis/config/validation) located at the
//! offending node.

use super::expand::{expand, merge, Plugins};
use super::{ProfileSpec, SchedulerConfig};
use crate::api::validate::{self, mark_at};
use crate::collections::OrdMap;
use crate::yaml::{self, LoadError};
use cellsim_derive::CompactDeserialize;

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    profiles: Option<Vec<RawProfile>>,
    #[serde(default)]
    percentage_of_nodes_to_score: Option<i32>,
    #[serde(default)]
    pod_initial_backoff_seconds: Option<i64>,
    #[serde(default)]
    pod_max_backoff_seconds: Option<i64>,
    // Accepted for compatibility with real kube-scheduler configs; no meaning in simulation,
    // so never read.
    #[serde(default)]
    #[allow(dead_code)]
    parallelism: Option<i32>,
    #[serde(default)]
    #[allow(dead_code)]
    leader_election: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    client_connection: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    health_bind_address: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    metrics_bind_address: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    enable_profiling: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    enable_contention_profiling: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    delay_cache_until_active: Option<bool>,
    #[serde(default)]
    extenders: Option<Vec<serde_json::Value>>,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    scheduler_name: Option<String>,
    #[serde(default)]
    percentage_of_nodes_to_score: Option<i32>,
    #[serde(default)]
    plugins: Option<Plugins>,
    #[serde(default)]
    plugin_config: Vec<RawPluginConfig>,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPluginConfig {
    name: String,
    /// Whether `args` is given (and not null); the args themselves are read from the YAML node
    /// (`plugin_args_node`), so they decode through the same deserializer as the rest.
    #[serde(default)]
    args: Option<serde::de::IgnoredAny>,
}

/// `args` of a pluginConfig entry as written, without the TypeMeta real configurations carry
/// (`apiVersion`, `kind: NodeResourcesFitArgs`), and that `kind` if present.
fn plugin_args_node(args: &yaml::Node) -> (yaml::Node, Option<&yaml::Node>) {
    match &args.value {
        yaml::Value::Map(entries) => {
            let is = |k: &yaml::Node, name: &str| k.scalar_text().is_some_and(|t| t == name);
            let kind = entries.iter().find(|(k, _)| is(k, "kind")).map(|(_, v)| v);
            let rest = entries
                .iter()
                .filter(|(k, _)| !is(k, "apiVersion") && !is(k, "kind"))
                .cloned()
                .collect();
            (yaml::Node::new(args.mark, yaml::Value::Map(rest)), kind)
        }
        _ => (args.clone(), None),
    }
}

/// Decode `spec.scheduler` (the YAML node of a KubeSchedulerConfiguration).
pub fn decode(file: &str, node: &yaml::Node) -> Result<SchedulerConfig, LoadError> {
    let mut ignored = Vec::new();
    let raw: Raw = yaml::decode_node(file, node, &mut ignored)?;
    let err = |path: &str, msg: String| LoadError::new(file, mark_at(node, path), msg);
    if let Some(v) = raw.api_version.as_deref() {
        if v != "kubescheduler.config.k8s.io/v1" {
            return Err(err(
                "apiVersion",
                format!("unsupported apiVersion {v:?}: expected kubescheduler.config.k8s.io/v1"),
            ));
        }
    }
    if let Some(k) = raw.kind.as_deref() {
        if k != "KubeSchedulerConfiguration" {
            return Err(err(
                "kind",
                format!("unsupported kind {k:?}: expected KubeSchedulerConfiguration"),
            ));
        }
    }
    if raw.extenders.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(err(
            "extenders",
            "extenders are not supported by cellsim (they are HTTP callouts)".into(),
        ));
    }
    validate_pct("percentageOfNodesToScore", raw.percentage_of_nodes_to_score)
        .map_err(|m| err("percentageOfNodesToScore", m))?;
    // Defaults (SetDefaults_KubeSchedulerConfiguration): 1s initial, 10s max backoff.
    let initial = raw.pod_initial_backoff_seconds.unwrap_or(1);
    let max = raw.pod_max_backoff_seconds.unwrap_or(10);
    if initial <= 0 {
        return Err(err(
            "podInitialBackoffSeconds",
            format!("podInitialBackoffSeconds: Invalid value: {initial}: must be greater than 0"),
        ));
    }
    if max < initial {
        return Err(err("podMaxBackoffSeconds", format!("podMaxBackoffSeconds: Invalid value: {max}: must be greater than or equal to PodInitialBackoffSeconds")));
    }
    // Defaulting: no profiles means one default profile.
    let raw_profiles = raw.profiles.unwrap_or_else(|| {
        vec![RawProfile {
            scheduler_name: None,
            percentage_of_nodes_to_score: None,
            plugins: None,
            plugin_config: Vec::new(),
        }]
    });
    if raw_profiles.is_empty() {
        return Err(err("profiles", "profiles: Required value".into()));
    }
    let mut profiles: Vec<ProfileSpec> = Vec::new();
    let mut seen: OrdMap<String, usize> = OrdMap::new();
    for (i, rp) in raw_profiles.into_iter().enumerate() {
        let at = |f: &str| format!("profiles.{i}{}{f}", if f.is_empty() { "" } else { "." });
        let path = format!("profiles[{i}]");
        // Defaulting: the first profile's name defaults to default-scheduler.
        let name = rp.scheduler_name.clone().unwrap_or_else(|| {
            if i == 0 {
                "default-scheduler".into()
            } else {
                String::new()
            }
        });
        if name.is_empty() {
            return Err(err(
                &at("schedulerName"),
                format!("{path}.schedulerName: Required value"),
            ));
        }
        if let Some(j) = seen.insert(name.clone(), i) {
            return Err(err(
                &at("schedulerName"),
                format!("{path}.schedulerName: Duplicate value: profiles[{j}].schedulerName"),
            ));
        }
        validate_pct(
            &format!("{path}.percentageOfNodesToScore"),
            rp.percentage_of_nodes_to_score,
        )
        .map_err(|m| err(&at("percentageOfNodesToScore"), m))?;
        if let Some(pl) = &rp.plugins {
            for (p, set) in [("score", &pl.score), ("multiPoint", &pl.multi_point)] {
                for (k, e) in set.enabled.iter().enumerate() {
                    // Score weights must be in [0, 100] (v1 validation; 0 means "default to 1").
                    if let Some(w) = e.weight {
                        if !(0..=100).contains(&w) {
                            return Err(err(
                                &at(&format!("plugins.{p}.enabled.{k}.weight")),
                                format!("{path}.plugins.{p}.enabled[{k}].weight: Invalid value: {w}: must be in the range [0, 100]"),
                            ));
                        }
                    }
                }
            }
        }
        let mut spec = expand(&name, &merge(rp.plugins.as_ref()))
            .map_err(|m| err(&at("plugins"), format!("{path}.plugins: {m}")))?;
        spec.percentage_of_nodes_to_score = rp.percentage_of_nodes_to_score;
        for (k, pc) in rp.plugin_config.into_iter().enumerate() {
            let pc_at = at(&format!("pluginConfig.{k}"));
            if spec.plugin_args.contains_key(&pc.name) {
                return Err(err(
                    &pc_at,
                    format!("{path}.pluginConfig[{k}]: Duplicate value: {:?}", pc.name),
                ));
            }
            if crate::sched::registry::points_of(&pc.name).is_none() {
                return Err(err(
                    &pc_at,
                    format!(
                        "{path}.pluginConfig[{k}].name: plugin {:?} does not exist",
                        pc.name
                    ),
                ));
            }
            let args_at = format!("{pc_at}.args");
            let (args, kind) = match pc.args {
                Some(_) => plugin_args_node(validate::node_at(node, &args_at)),
                None => (
                    yaml::Node::new(mark_at(node, &pc_at), yaml::Value::Map(Vec::new())),
                    None,
                ),
            };
            // Real configurations carry the args' own TypeMeta (`apiVersion`,
            // `kind: NodeResourcesFitArgs`); the kind must name this plugin's args type.
            if let Some(kind) = kind {
                let want = format!("{}Args", pc.name);
                if kind.as_str() != Some(want.as_str()) {
                    // As JSON prints it: a string quoted, anything else as written.
                    let shown = match kind.as_str() {
                        Some(text) => format!("{text:?}"),
                        None => kind.key_text(),
                    };
                    return Err(err(
                        &format!("{args_at}.kind"),
                        format!("{path}.pluginConfig[{k}].args: kind {shown} does not match plugin {:?} (expected {want:?})", pc.name),
                    ));
                }
            }
            // The plugin's constructor is its args validation (upstream validation_pluginargs).
            crate::sched::registry::build(&pc.name, Some(&args))
                .map_err(|m| err(&args_at, format!("{path}.pluginConfig[{k}].args: {m}")))?;
            spec.plugin_args.insert(pc.name, args);
        }
        profiles.push(spec);
    }
    // validateCommonQueueSort: every profile must use the same queue sort plugin.
    let first = profiles[0].points[&crate::sched::framework::Point::QueueSort].clone();
    for (i, p) in profiles.iter().enumerate().skip(1) {
        if p.points[&crate::sched::framework::Point::QueueSort] != first {
            return Err(err(
                &format!("profiles.{i}.plugins"),
                format!(
                    "profiles[{i}].plugins.queueSort: Invalid value: has to match for all profiles"
                ),
            ));
        }
    }
    Ok(SchedulerConfig {
        profiles,
        percentage_of_nodes_to_score: raw.percentage_of_nodes_to_score,
        pod_initial_backoff_seconds: initial,
        pod_max_backoff_seconds: max,
    })
}

/// Upstream `validatePercentageOfNodesToScore`.
fn validate_pct(path: &str, v: Option<i32>) -> Result<(), String> {
    match v {
        Some(p) if !(0..=100).contains(&p) => Err(format!(
            "{path}: Invalid value: {p}: not in valid range [0-100]"
        )),
        _ => Ok(()),
    }
}
