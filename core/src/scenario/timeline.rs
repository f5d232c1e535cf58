//! Timeline actions: at a simulated time, do one thing to the cluster.

use crate::api::object::{decode, Decoded};
use crate::api::{Kind, Object};
use crate::collections::OrdSet;
use crate::time::Duration;
use crate::yaml::{self, LoadError, Mark};
use cellsim_derive::CompactDeserialize;

/// A decoded timeline entry.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: Duration,
    pub action: Action,
    pub mark: Mark,
    /// Where the action's target is written (the `node` of `cordon`, the `pool` of `addNodes`),
    /// for errors about it; the action's key when it has no single target.
    pub target: Mark,
}

#[derive(Debug, Clone)]
pub enum Action {
    /// Create or replace objects (as `kubectl apply`).
    Apply(Vec<Object>),
    /// Delete an object (as `kubectl delete --cascade=...`).
    Delete {
        target: ObjectRef,
        propagation: crate::sim::objects::Propagation,
    },
    /// Set `spec.replicas` of a Deployment, ReplicaSet or StatefulSet (as `kubectl scale`).
    Scale {
        target: ObjectRef,
        replicas: i32,
    },
    /// Mark a node unschedulable (as `kubectl cordon`).
    Cordon(String),
    Uncordon(String),
    /// The node stops: its kubelet stops heartbeating and its containers stop.
    FailNode(String),
    RecoverNode(String),
    /// Add `count` nodes to a pool, continuing its numbering.
    AddNodes {
        pool: String,
        count: u32,
    },
    /// Cordon the node, then evict its pods through the eviction API, retrying evictions a
    /// disruption budget blocks (as `kubectl drain --ignore-daemonsets --delete-emptydir-data
    /// --force`).
    Drain(String),
    /// The machines are gone and their Node objects deleted (as `kubectl delete node`).
    RemoveNodes(Vec<String>),
    /// Set the image of a container (or of all, `*`) of a workload's pod template (as
    /// `kubectl set image`).
    SetImage {
        target: ObjectRef,
        container: String,
        image: String,
    },
    /// Roll a Deployment back to the previous revision (`to_revision` 0) or to `to_revision`
    /// (as `kubectl rollout undo`).
    RolloutUndo {
        target: ObjectRef,
        to_revision: i64,
    },
    /// Change the rate of a `traffic` entry (by its name) from now on.
    SetTraffic {
        name: String,
        rps: crate::api::Quantity,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Apply(_) => "apply",
            Action::Delete { .. } => "delete",
            Action::Scale { .. } => "scale",
            Action::Cordon(_) => "cordon",
            Action::Uncordon(_) => "uncordon",
            Action::FailNode(_) => "failNode",
            Action::RecoverNode(_) => "recoverNode",
            Action::AddNodes { .. } => "addNodes",
            Action::Drain(_) => "drain",
            Action::RemoveNodes(_) => "removeNodes",
            Action::SetImage { .. } => "setImage",
            Action::RolloutUndo { .. } => "rolloutUndo",
            Action::SetTraffic { .. } => "setTraffic",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeleteSpec {
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    propagation_policy: Option<String>,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScaleSpec {
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    replicas: i32,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NodeSpecRef {
    node: String,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RemoveNodesSpec {
    names: Vec<String>,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddNodesSpec {
    pool: String,
    count: u32,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetImageSpec {
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    container: String,
    image: String,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetTrafficSpec {
    name: String,
    rps: crate::api::Quantity,
}

#[derive(CompactDeserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RolloutUndoSpec {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    to_revision: Option<i64>,
}

pub const ACTIONS: &[&str] = &[
    "apply",
    "delete",
    "scale",
    "cordon",
    "uncordon",
    "failNode",
    "recoverNode",
    "addNodes",
    "drain",
    "removeNodes",
    "setImage",
    "rolloutUndo",
    "setTraffic",
];

/// A source of files for `{file: ...}` references.
pub type ReadFile<'a> = dyn FnMut(&Mark, &str) -> Result<(String, String), LoadError> + 'a;

/// Decode one timeline entry. `read` resolves a `file:` reference to (resolved path, text).
pub fn decode_entry(
    file: &str,
    node: &yaml::Node,
    read: &mut ReadFile,
    ignored: &mut Vec<(String, Mark)>,
) -> Result<TimelineEntry, LoadError> {
    let yaml::Value::Map(entries) = &node.value else {
        return Err(LoadError::new(
            file,
            node.mark,
            format!(
                "expected a timeline entry like `{{at: 5m, scale: {{...}}}}`; actions: {}",
                ACTIONS.join(", ")
            ),
        ));
    };
    let mut at = None;
    let mut action: Option<(&yaml::Node, &yaml::Node)> = None;
    for (k, v) in entries {
        let key = k.key_text();
        let key = key.as_str();
        if key == "at" {
            at = Some(yaml::decode_node::<Duration>(file, v, ignored)?);
        } else if ACTIONS.contains(&key) {
            if action.is_some() {
                return Err(LoadError::new(
                    file,
                    k.mark,
                    "a timeline entry holds exactly one action; split it into two entries",
                ));
            }
            action = Some((k, v));
        } else {
            return Err(LoadError::new(
                file,
                k.mark,
                format!(
                    "unknown timeline field `{key}`, expected `at` or one action of: {}",
                    ACTIONS.join(", ")
                ),
            ));
        }
    }
    let at = at.ok_or_else(|| {
        LoadError::new(
            file,
            node.mark,
            "timeline entry is missing `at` (e.g. `at: 5m`)",
        )
    })?;
    let (k, v) = action.ok_or_else(|| {
        LoadError::new(
            file,
            node.mark,
            format!(
                "timeline entry has no action; expected one of: {}",
                ACTIONS.join(", ")
            ),
        )
    })?;
    let kind_of = |s: &str, mark: Mark| {
        Kind::from_cli_name(s)
            .ok_or_else(|| LoadError::new(file, mark, format!("unknown kind {s:?}")))
    };
    let action = match k.key_text().as_str() {
        "apply" => {
            // `apply: {objects: [...]}` names the list like `spec.objects`; otherwise the value
            // is the list itself (or one object, or one `{file: ...}`).
            let list = match &v.value {
                yaml::Value::Map(m) if m.len() == 1 && m[0].0.as_str() == Some("objects") => {
                    &m[0].1
                }
                _ => v,
            };
            Action::Apply(decode_objects(file, list, read, ignored)?)
        }
        "delete" => {
            let r: DeleteSpec = yaml::decode_node(file, v, ignored)?;
            let propagation = match r.propagation_policy.as_deref() {
                None => crate::sim::objects::Propagation::Background,
                Some(p) => crate::sim::objects::Propagation::parse(p).ok_or_else(|| {
                    LoadError::new(
                        file,
                        v.get("propagationPolicy").map_or(v.mark, |n| n.mark),
                        format!(
                            "unknown propagationPolicy {p:?}: expected Background, Foreground or Orphan"
                        ),
                    )
                })?,
            };
            Action::Delete {
                target: ObjectRef {
                    kind: kind_of(&r.kind, v.get("kind").map_or(v.mark, |n| n.mark))?,
                    namespace: r.namespace.unwrap_or_else(|| "default".into()),
                    name: r.name,
                },
                propagation,
            }
        }
        "scale" => {
            let s: ScaleSpec = yaml::decode_node(file, v, ignored)?;
            let kmark = v.get("kind").map_or(v.mark, |n| n.mark);
            let kind = kind_of(&s.kind, kmark)?;
            if !matches!(
                kind,
                Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet
            ) {
                return Err(LoadError::new(
                    file,
                    kmark,
                    format!(
                        "cannot scale a {}: expected Deployment, ReplicaSet or StatefulSet",
                        kind.name()
                    ),
                ));
            }
            if s.replicas < 0 {
                let m = v.get("replicas").map_or(v.mark, |n| n.mark);
                return Err(LoadError::new(
                    file,
                    m,
                    format!("replicas must be >= 0, got {}", s.replicas),
                ));
            }
            Action::Scale {
                target: ObjectRef {
                    kind,
                    namespace: s.namespace.unwrap_or_else(|| "default".into()),
                    name: s.name,
                },
                replicas: s.replicas,
            }
        }
        name @ ("cordon" | "uncordon" | "failNode" | "recoverNode" | "drain") => {
            let n: NodeSpecRef = yaml::decode_node(file, v, ignored)?;
            match name {
                "cordon" => Action::Cordon(n.node),
                "uncordon" => Action::Uncordon(n.node),
                "failNode" => Action::FailNode(n.node),
                "drain" => Action::Drain(n.node),
                _ => Action::RecoverNode(n.node),
            }
        }
        "setTraffic" => {
            let st: SetTrafficSpec = yaml::decode_node(file, v, ignored)?;
            if st.rps.is_negative() {
                let m = v.get("rps").map_or(v.mark, |n| n.mark);
                return Err(LoadError::new(
                    file,
                    m,
                    format!("rps must not be negative, got {}", st.rps),
                ));
            }
            Action::SetTraffic {
                name: st.name,
                rps: st.rps,
            }
        }
        "removeNodes" => {
            let r: RemoveNodesSpec = yaml::decode_node(file, v, ignored)?;
            let at = v.get("names").map_or(v.mark, |n| n.mark);
            if r.names.is_empty() {
                return Err(LoadError::new(
                    file,
                    at,
                    "removeNodes needs at least one node name in `names`",
                ));
            }
            let mut seen = OrdSet::new();
            for n in &r.names {
                if !seen.insert(n) {
                    return Err(LoadError::new(
                        file,
                        at,
                        format!("removeNodes names node {n:?} twice"),
                    ));
                }
            }
            Action::RemoveNodes(r.names)
        }
        "addNodes" => {
            let a: AddNodesSpec = yaml::decode_node(file, v, ignored)?;
            // The same bound as a pool's count: far beyond Kubernetes' 5000-node limit.
            if a.count > 100_000 {
                let m = v.get("count").map_or(v.mark, |n| n.mark);
                return Err(LoadError::new(
                    file,
                    m,
                    format!("count {} is absurd (more than 100000 nodes)", a.count),
                ));
            }
            Action::AddNodes {
                pool: a.pool,
                count: a.count,
            }
        }
        "setImage" => {
            let s: SetImageSpec = yaml::decode_node(file, v, ignored)?;
            let at = |f: &str| v.get(f).map_or(v.mark, |n| n.mark);
            let kind = kind_of(&s.kind, at("kind"))?;
            if !matches!(
                kind,
                Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet
            ) {
                return Err(LoadError::new(
                    file,
                    at("kind"),
                    format!(
                        "cannot set the image of a {}: expected Deployment, ReplicaSet, StatefulSet or DaemonSet",
                        kind.name()
                    ),
                ));
            }
            for (f, val) in [
                ("name", &s.name),
                ("container", &s.container),
                ("image", &s.image),
            ] {
                if val.trim().is_empty() {
                    return Err(LoadError::new(
                        file,
                        at(f),
                        format!("setImage needs a non-empty `{f}`"),
                    ));
                }
            }
            Action::SetImage {
                target: ObjectRef {
                    kind,
                    namespace: s.namespace.unwrap_or_else(|| "default".into()),
                    name: s.name,
                },
                container: s.container,
                image: s.image,
            }
        }
        "rolloutUndo" => {
            let u: RolloutUndoSpec = yaml::decode_node(file, v, ignored)?;
            let to_revision = u.to_revision.unwrap_or(0);
            if to_revision < 0 {
                let m = v.get("toRevision").map_or(v.mark, |n| n.mark);
                return Err(LoadError::new(
                    file,
                    m,
                    format!(
                        "toRevision must be >= 0 (0 or absent: the previous revision), got {to_revision}"
                    ),
                ));
            }
            if u.name.trim().is_empty() {
                let m = v.get("name").map_or(v.mark, |n| n.mark);
                return Err(LoadError::new(
                    file,
                    m,
                    "rolloutUndo needs a non-empty `name`",
                ));
            }
            Action::RolloutUndo {
                target: ObjectRef {
                    kind: Kind::Deployment,
                    namespace: u.namespace.unwrap_or_else(|| "default".into()),
                    name: u.name,
                },
                to_revision,
            }
        }
        _ => unreachable!("ACTIONS lists every handled action"),
    };
    let target = ["node", "pool", "names"]
        .iter()
        .find_map(|f| v.get(f))
        .map_or(k.mark, |n| n.mark);
    Ok(TimelineEntry {
        at,
        action,
        mark: node.mark,
        target,
    })
}

/// A decoded object with where it was written, for errors that point at it.
#[derive(Debug, Clone)]
pub struct Located {
    /// The file the object is written in: the scenario, or the file a `{file: ...}` names.
    pub file: String,
    /// The object's YAML (its fields' marks are in `file`).
    pub node: yaml::Node,
    pub object: Object,
}

/// Decode a list of objects: each item is an inline Kubernetes object or `{file: path}`; a
/// single mapping is accepted as a one-item list.
pub fn decode_objects(
    file: &str,
    node: &yaml::Node,
    read: &mut ReadFile,
    ignored: &mut Vec<(String, Mark)>,
) -> Result<Vec<Object>, LoadError> {
    let located = decode_objects_located(file, node, read, ignored)?;
    Ok(located.into_iter().map(|l| l.object).collect())
}

/// [`decode_objects`], keeping where each object was written.
pub fn decode_objects_located(
    file: &str,
    node: &yaml::Node,
    read: &mut ReadFile,
    ignored: &mut Vec<(String, Mark)>,
) -> Result<Vec<Located>, LoadError> {
    let items: Vec<&yaml::Node> = match &node.value {
        yaml::Value::Seq(items) => items.iter().collect(),
        yaml::Value::Map(_) => vec![node],
        yaml::Value::Null => vec![],
        _ => {
            return Err(LoadError::new(
                file,
                node.mark,
                "expected a list of Kubernetes objects or `{file: path}` entries",
            ))
        }
    };
    let mut out = Vec::new();
    for item in items {
        let is_file_ref = matches!(&item.value, yaml::Value::Map(m) if m.len() == 1 && m[0].0.as_str() == Some("file"));
        if is_file_ref {
            let fnode = item.get("file").expect("checked above");
            let path = fnode
                .as_str()
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| {
                    LoadError::new(file, fnode.mark, "`file` must be a non-empty path string")
                })?;
            let (resolved, text) = read(&fnode.mark, path)?;
            for doc in yaml::parse_documents(&resolved, &text)? {
                push_decoded(&resolved, &doc, &mut out, ignored)?;
            }
        } else {
            push_decoded(file, item, &mut out, ignored)?;
        }
    }
    Ok(out)
}

fn push_decoded(
    file: &str,
    doc: &yaml::Node,
    out: &mut Vec<Located>,
    ignored: &mut Vec<(String, Mark)>,
) -> Result<(), LoadError> {
    let mut local = Vec::new();
    for d in decode(file, doc, &mut local)? {
        match d {
            Decoded::Object(node, mut o) => {
                if o.kind().namespaced() && o.meta().namespace.is_empty() {
                    o.meta_mut().namespace = "default".into();
                }
                let prefix = o.display_key();
                out.push(Located {
                    file: file.to_string(),
                    node: node.clone(),
                    object: *o,
                });
                ignored.extend(
                    local
                        .drain(..)
                        .map(|(p, m)| (format!("{file}: {prefix}: {p}"), m)),
                );
            }
            Decoded::Ignored { kind, name } => ignored.push((
                format!("{file}: {kind}/{name}: kind not modelled"),
                doc.mark,
            )),
        }
    }
    Ok(())
}
