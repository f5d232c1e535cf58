//! Loading a scenario: parse, decode every object, check references, and produce a
//! `Scenario` that the simulation can run without further input errors.

use super::expect::{compile, Expectation};
use super::spec::{Behavior, NodePool, ScenarioDoc};
use super::timeline::{decode_entry, decode_objects_located, Action, TimelineEntry};
use crate::api::node::Node;
use crate::api::object::{decode, Decoded};
use crate::api::validate::mark_at;
use crate::api::{Kind, Object};
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::store::ObjectKey;
use crate::time::Duration;
use crate::yaml::{self, LoadError, Mark};

/// Where scenario files come from: the file system (CLI) or an embedded table (the browser).
pub trait Sources {
    /// Read a file by its normalized path. The error is a short reason ("not found").
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Fields and kinds the model ignores, with where they are (for `--verbose`).
pub type Ignored = Vec<(String, Mark)>;

/// A loaded, checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub file: String,
    pub seed: u64,
    pub duration: Duration,
    pub pools: Vec<NodePool>,
    /// Nodes at t=0: pool nodes then verbatim ones, in that order.
    pub nodes: Vec<Node>,
    /// Objects applied at t=0, in file order.
    pub objects: Vec<Object>,
    pub behavior: Vec<Behavior>,
    /// The scheduler configuration (`spec.scheduler`, or upstream's defaults).
    pub scheduler: crate::sched::config::SchedulerConfig,
    /// Borg's policies, when `spec.borg` is set.
    pub borg: Option<crate::sched::borg::BorgPolicy>,
    /// Image sizes and pull bandwidth (`spec.registry`).
    pub registry: Option<super::spec::Registry>,
    /// Service proxy settings (`spec.network`).
    pub network: Option<super::spec::NetworkSpec>,
    /// Client load (`spec.traffic`).
    pub traffic: Vec<super::spec::TrafficEntry>,
    /// The cluster autoscaler (`spec.autoscaler`).
    pub autoscaler: Option<crate::autoscaler::AutoscalerSpec>,
    /// `spec.real` (only `cellsim run --real` reads it).
    pub real: Option<super::spec::RealSpec>,
    pub timeline: Vec<TimelineEntry>,
    pub expect: Vec<Expectation>,
    /// Fields and kinds the model ignores, for `--verbose`.
    pub ignored: Vec<(String, Mark)>,
}

/// Join `rel` to the directory of `base` and normalize `.` and `..` (purely lexically).
pub fn resolve_path(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        vec![""]
    } else {
        let mut p: Vec<&str> = base.split('/').collect();
        p.pop();
        p
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(&s) if s != ".." && !s.is_empty()) {
                    parts.pop();
                } else if parts.first() != Some(&"") {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// The well-known labels of a pool node (kubelet sets hostname/os/arch; zones come from the
/// cloud provider).
pub fn pool_node(pool: &NodePool, index: u32) -> Node {
    let name = format!("{}-{index}", pool.name);
    let mut n = Node::default();
    n.metadata.name = name.clone();
    n.metadata.labels = pool.labels.clone();
    n.metadata
        .labels
        .insert("kubernetes.io/hostname".into(), name);
    n.metadata
        .labels
        .insert("kubernetes.io/os".into(), "linux".into());
    n.metadata
        .labels
        .insert("kubernetes.io/arch".into(), "amd64".into());
    n.metadata
        .labels
        .insert("cellsim.dev/pool".into(), pool.name.clone());
    if !pool.zones.is_empty() {
        let zone = &pool.zones[index as usize % pool.zones.len()];
        n.metadata
            .labels
            .insert("topology.kubernetes.io/zone".into(), zone.clone());
    }
    n.spec.taints = pool.taints.clone();
    n.status.allocatable = pool.allocatable.clone();
    default_max_pods(&mut n);
    n.status.capacity = n.status.allocatable.clone();
    n
}

/// The kubelet's default `--max-pods` (110): what a node reports as allocatable `pods` unless
/// configured otherwise.
pub const DEFAULT_MAX_PODS: i64 = 110;

/// Give a node without a `pods` allocatable the kubelet's default, as a real kubelet would
/// report it.
pub fn default_max_pods(n: &mut Node) {
    use crate::api::resources::PODS;
    if !n.status.allocatable.is_empty() && !n.status.allocatable.contains_key(PODS) {
        n.status.allocatable.insert(
            PODS.into(),
            crate::api::Quantity::from_value(DEFAULT_MAX_PODS, false),
        );
    }
    if !n.status.capacity.is_empty() && !n.status.capacity.contains_key(PODS) {
        n.status.capacity.insert(
            PODS.into(),
            crate::api::Quantity::from_value(DEFAULT_MAX_PODS, false),
        );
    }
}

/// Load and check the scenario at `path`.
pub fn load(path: &str, sources: &dyn Sources) -> Result<Scenario, LoadError> {
    let text = sources.read(path).map_err(|why| {
        LoadError::new(
            path,
            Mark { line: 1, column: 1 },
            format!("cannot read scenario: {why}"),
        )
    })?;
    let docs = yaml::parse_documents(path, &text)?;
    let doc = match docs.as_slice() {
        [d] => d,
        [] => return Err(LoadError::new(
            path,
            Mark { line: 1, column: 1 },
            "empty file: expected a Scenario (apiVersion: cellsim.dev/v1alpha1, kind: Scenario)",
        )),
        [_, second, ..] => return Err(LoadError::new(
            path,
            second.mark,
            "a scenario file holds one document; put manifests in files listed under spec.objects",
        )),
    };
    if !matches!(doc.value, yaml::Value::Map(_)) {
        return Err(LoadError::new(
            path,
            doc.mark,
            format!(
                "expected a Scenario: a mapping with apiVersion, kind, metadata and spec, found {}",
                doc.kind_name()
            ),
        ));
    }
    let mut ignored = Vec::new();
    let parsed: ScenarioDoc = yaml::decode_node(path, doc, &mut ignored)?;
    // These are kept raw by `ScenarioDoc` and decoded below, not ignored.
    const RAW: [&str; 4] = [
        "spec.objects",
        "spec.timeline",
        "spec.cluster.nodes",
        "spec.scheduler",
    ];
    ignored.retain(|(p, _)| {
        !RAW.iter()
            .any(|r| p == r || p.starts_with(&format!("{r}.")) || p.starts_with(&format!("{r}[")))
    });
    if parsed.api_version != "cellsim.dev/v1alpha1" || parsed.kind != "Scenario" {
        let m = doc.get("apiVersion").map_or(doc.mark, |n| n.mark);
        return Err(LoadError::new(
            path,
            m,
            format!(
                "expected apiVersion cellsim.dev/v1alpha1 and kind Scenario, found {} {}",
                parsed.api_version, parsed.kind
            ),
        ));
    }
    let spec_node = doc.get("spec").expect("deserialized above");
    let mark_of = |p: &str| crate::api::validate::mark_at(doc, p);
    if parsed.metadata.name.trim().is_empty() {
        return Err(LoadError::new(
            path,
            mark_of("metadata.name"),
            "metadata.name must not be empty",
        ));
    }
    if parsed.spec.duration == Duration::ZERO {
        return Err(LoadError::new(
            path,
            mark_of("spec.duration"),
            "spec.duration must be greater than 0",
        ));
    }
    // Ten simulated years is far beyond any useful run and keeps every time sum in range.
    if parsed.spec.duration > Duration::from_secs(10 * 365 * 86_400) {
        return Err(LoadError::new(
            path,
            mark_of("spec.duration"),
            "spec.duration is absurdly long (more than 10 years)",
        ));
    }

    let mut read = |mark: &Mark, rel: &str| -> Result<(String, String), LoadError> {
        let resolved = resolve_path(path, rel);
        sources
            .read(&resolved)
            .map(|t| (resolved.clone(), t))
            .map_err(|why| {
                LoadError::new(
                    path,
                    *mark,
                    format!("cannot read {rel:?} (resolved to {resolved}): {why}"),
                )
            })
    };

    // Nodes: pools first, then verbatim objects; with where each is defined (file, mark).
    let mut nodes = Vec::new();
    let mut node_origins: Vec<(String, Mark)> = Vec::new();
    let mut pool_names = OrdSet::new();
    let mut total_nodes: u64 = 0;
    for (i, pool) in parsed.spec.cluster.node_pools.iter().enumerate() {
        let at = |f: &str| mark_of(&format!("spec.cluster.nodePools.{i}.{f}"));
        if crate::api::validate::dns1123_label(&pool.name).is_some() {
            return Err(LoadError::new(
                path,
                at("name"),
                format!(
                    "pool name {:?} must be a lowercase RFC 1123 label",
                    pool.name
                ),
            ));
        }
        if !pool_names.insert(pool.name.clone()) {
            return Err(LoadError::new(
                path,
                at("name"),
                format!("duplicate node pool {:?}", pool.name),
            ));
        }
        // 100k nodes is 20x the largest cluster Kubernetes supports (5000 nodes).
        if pool.count > MAX_NODES {
            return Err(LoadError::new(
                path,
                at("count"),
                format!(
                    "count {} is absurd (more than {MAX_NODES} nodes)",
                    pool.count
                ),
            ));
        }
        total_nodes += u64::from(pool.count);
        if total_nodes > u64::from(MAX_NODES) {
            return Err(LoadError::new(
                path,
                at("count"),
                format!("{total_nodes} nodes in all pools is absurd (more than {MAX_NODES} nodes)"),
            ));
        }
        let alloc = &format!("spec.cluster.nodePools.{i}.allocatable");
        quantities_in_range(path, doc, alloc, "allocatable", &pool.allocatable)?;
        for (t, taint) in pool.taints.iter().enumerate() {
            if !crate::api::node::TAINT_EFFECTS.contains(&taint.effect.as_str()) {
                return Err(LoadError::new(path, at(&format!("taints.{t}.effect")), format!("unsupported taint effect {:?}: expected NoSchedule, PreferNoSchedule or NoExecute", taint.effect)));
            }
        }
        if let Some(a) = &pool.autoscaling {
            if a.min > a.max || pool.count < a.min || pool.count > a.max {
                return Err(LoadError::new(
                    path,
                    at("autoscaling"),
                    format!(
                        "autoscaling: need min <= count <= max, found min {}, count {}, max {}",
                        a.min, pool.count, a.max
                    ),
                ));
            }
            if a.max > MAX_NODES {
                return Err(LoadError::new(
                    path,
                    at("autoscaling.max"),
                    format!(
                        "autoscaling.max {} is absurd (more than {MAX_NODES} nodes)",
                        a.max
                    ),
                ));
            }
        }
        for index in 0..pool.count {
            nodes.push(pool_node(pool, index));
            node_origins.push((path.to_string(), at("name")));
        }
    }
    if let Some(list) = spec_node.get("cluster").and_then(|c| c.get("nodes")) {
        for l in decode_objects_located(path, list, &mut read, &mut ignored)? {
            match l.object {
                Object::Node(mut n) => {
                    if nodes.len() >= MAX_NODES as usize {
                        return Err(LoadError::new(
                            &l.file,
                            l.node.mark,
                            format!("more than {MAX_NODES} nodes is absurd"),
                        ));
                    }
                    default_max_pods(&mut n);
                    nodes.push(n);
                    node_origins.push((l.file.clone(), mark_at(&l.node, "metadata.name")));
                }
                other => {
                    return Err(LoadError::new(
                        &l.file,
                        mark_at(&l.node, "kind"),
                        format!(
                            "cluster.nodes holds Node objects, found {}",
                            other.kind().name()
                        ),
                    ))
                }
            }
        }
    }
    let mut node_names = OrdMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(first) = node_names.insert(n.metadata.name.clone(), i) {
            let (file, mark) = &node_origins[i];
            let (first_file, first_mark) = &node_origins[first];
            return Err(LoadError::new(
                file,
                *mark,
                format!(
                    "duplicate node {:?} (first defined at {first_file}:{first_mark})",
                    n.metadata.name
                ),
            ));
        }
    }

    // Objects at t=0.
    let mut objects = Vec::new();
    if let Some(list) = spec_node.get("objects") {
        let mut seen: OrdMap<ObjectKey, (String, Mark)> = OrdMap::new();
        for l in decode_objects_located(path, list, &mut read, &mut ignored)? {
            let mut o = l.object;
            default_namespace(&mut o);
            if o.kind() == Kind::Node {
                return Err(LoadError::new(
                    &l.file,
                    mark_at(&l.node, "kind"),
                    format!("Node {:?} belongs under spec.cluster.nodes", o.meta().name),
                ));
            }
            if let Object::Pod(p) = &o {
                if !p.spec.node_name.is_empty() && !node_names.contains_key(&p.spec.node_name) {
                    return Err(LoadError::new(
                        &l.file,
                        mark_at(&l.node, "spec.nodeName"),
                        format!(
                            "Pod {:?} names spec.nodeName {:?}, which is not a node of the cluster",
                            p.metadata.name, p.spec.node_name
                        ),
                    ));
                }
            }
            if !o.meta().name.is_empty() {
                let here = (l.file.clone(), mark_at(&l.node, "metadata.name"));
                if let Some((first_file, first_mark)) = seen.insert(ObjectKey::of(&o), here) {
                    return Err(LoadError::new(
                        &l.file,
                        mark_at(&l.node, "metadata.name"),
                        format!(
                            "duplicate object {} (first defined at {first_file}:{first_mark})",
                            o.display_key()
                        ),
                    ));
                }
            }
            objects.push(o);
        }
    }

    // Timeline, checked against the nodes and pools as they will exist at each step.
    let mut timeline = Vec::new();
    if let Some(list) = spec_node.get("timeline") {
        let yaml::Value::Seq(items) = &list.value else {
            return Err(LoadError::new(
                path,
                list.mark,
                "spec.timeline must be a list of entries like `{at: 5m, scale: {...}}`",
            ));
        };
        for item in items {
            let mut e = decode_entry(path, item, &mut read, &mut ignored)?;
            if e.at > parsed.spec.duration {
                return Err(LoadError::new(
                    path,
                    item.mark,
                    format!(
                        "timeline entry at {} is after the end of the scenario ({})",
                        e.at, parsed.spec.duration
                    ),
                ));
            }
            if let Action::Apply(objs) = &mut e.action {
                objs.iter_mut().for_each(default_namespace);
            }
            timeline.push(e);
        }
        // Stable: entries at the same time keep file order.
        crate::sort::sort_by_key(&mut timeline, |e| e.at);
        let mut live: OrdSet<String> = OrdSet::from_iter(node_names.keys().cloned());
        let mut next_index: crate::collections::OrdMap<String, u32> = parsed
            .spec
            .cluster
            .node_pools
            .iter()
            .map(|p| (p.name.clone(), p.count))
            .collect();
        for e in &timeline {
            match &e.action {
                Action::Cordon(n)
                | Action::Uncordon(n)
                | Action::FailNode(n)
                | Action::RecoverNode(n)
                | Action::Drain(n)
                    if !live.contains(n) =>
                {
                    return Err(LoadError::new(
                        path,
                        e.target,
                        format!(
                            "{} names node {n:?}, which does not exist at {}",
                            e.action.name(),
                            e.at
                        ),
                    ));
                }
                Action::RemoveNodes(names) => {
                    for n in names {
                        if !live.remove(n) {
                            return Err(LoadError::new(
                                path,
                                e.target,
                                format!(
                                    "removeNodes names node {n:?}, which does not exist at {}",
                                    e.at
                                ),
                            ));
                        }
                    }
                }
                Action::AddNodes { pool, count } => {
                    let Some(next) = next_index.get_mut(pool) else {
                        return Err(LoadError::new(path, e.target, format!("addNodes names pool {pool:?}, which is not in spec.cluster.nodePools")));
                    };
                    if live.len() as u64 + u64::from(*count) > u64::from(MAX_NODES) {
                        return Err(LoadError::new(
                            path,
                            e.target,
                            format!(
                                "addNodes at {} would make {} nodes, which is absurd (more than {MAX_NODES} nodes)",
                                e.at,
                                live.len() as u64 + u64::from(*count)
                            ),
                        ));
                    }
                    for i in *next..next.saturating_add(*count) {
                        live.insert(format!("{pool}-{i}"));
                    }
                    *next = next.saturating_add(*count);
                }
                _ => {}
            }
        }
    }

    let scheduler = match spec_node.get("scheduler") {
        Some(n) if !matches!(n.value, yaml::Value::Null) => crate::sched::config::decode(path, n)?,
        _ => crate::sched::config::default_config(),
    };
    if let Some(b) = &parsed.spec.borg {
        b.validate().map_err(|(field, why)| {
            LoadError::new(
                path,
                mark_of(&format!("spec.borg.{field}")),
                format!("spec.borg.{field}: {why}"),
            )
        })?;
    }
    if let Some(a) = &parsed.spec.autoscaler {
        a.validate().map_err(|(field, why)| {
            LoadError::new(
                path,
                mark_of(&format!("spec.autoscaler.{field}")),
                format!("spec.autoscaler.{field}: {why}"),
            )
        })?;
    }
    let autoscaler = parsed.spec.autoscaler;
    let borg = parsed.spec.borg;
    let behavior = parsed.spec.behavior;
    for (i, b) in behavior.iter().enumerate() {
        if let Err(e) = b.selector.validate() {
            return Err(LoadError::new(
                path,
                mark_of(&format!("spec.behavior.{i}.selector")),
                format!("invalid selector: {e}"),
            ));
        }
        let usage = &format!("spec.behavior.{i}.usage");
        quantities_in_range(path, doc, usage, "usage", &b.usage)?;
        let mut last = None;
        for (j, step) in b.usage_steps.iter().enumerate() {
            let at = format!("spec.behavior.{i}.usageSteps.{j}");
            if last.is_some_and(|l| step.after <= l) {
                return Err(LoadError::new(
                    path,
                    mark_of(&format!("{at}.after")),
                    format!(
                        "usageSteps must be in increasing `after` order: {} does not come after {}",
                        step.after,
                        last.expect("checked")
                    ),
                ));
            }
            last = Some(step.after);
            quantities_in_range(path, doc, &format!("{at}.usage"), "usage", &step.usage)?;
        }
        if let Some(step) = &b.usage_after {
            let after = &format!("spec.behavior.{i}.usageAfter.usage");
            quantities_in_range(path, doc, after, "usage", &step.usage)?;
            if step.at > parsed.spec.duration {
                return Err(LoadError::new(
                    path,
                    mark_of(&format!("spec.behavior.{i}.usageAfter.at")),
                    format!(
                        "usageAfter at {} is after the end of the scenario ({})",
                        step.at, parsed.spec.duration
                    ),
                ));
            }
        }
    }
    let registry = parsed.spec.registry;
    if let Some(r) = &registry {
        if let Some(b) = &r.pull_bandwidth {
            if b.value() <= 0 {
                return Err(LoadError::new(
                    path,
                    mark_of("spec.registry.pullBandwidth"),
                    format!("pullBandwidth must be positive (bytes per second), found {b}"),
                ));
            }
        }
        let mut names = OrdSet::new();
        for (i, img) in r.images.iter().enumerate() {
            let at = format!("spec.registry.images.{i}.name");
            if img.name.trim().is_empty() {
                return Err(LoadError::new(
                    path,
                    mark_of(&at),
                    "image name must not be empty",
                ));
            }
            if !names.insert(crate::kubelet::images::with_default_tag(&img.name)) {
                return Err(LoadError::new(
                    path,
                    mark_of(&at),
                    format!("duplicate image {:?}", img.name),
                ));
            }
        }
    }
    super::network::check(
        path,
        doc,
        parsed.spec.network.as_ref(),
        &parsed.spec.traffic,
        &behavior,
        &objects,
        &timeline,
    )?;
    let mut expect = Vec::new();
    for (i, e) in parsed.spec.expect.iter().enumerate() {
        let c = compile(e).map_err(|(field, why)| {
            let m = mark_of(&format!("spec.expect.{i}.{field}"));
            LoadError::new(path, m, why)
        })?;
        if c.from > parsed.spec.duration {
            return Err(LoadError::new(
                path,
                mark_of(&format!("spec.expect.{i}.from")),
                format!(
                    "expectation from {} is after the end of the scenario ({})",
                    c.from, parsed.spec.duration
                ),
            ));
        }
        if let super::expect::When::At(t) = c.when {
            if t > parsed.spec.duration {
                return Err(LoadError::new(
                    path,
                    mark_of(&format!("spec.expect.{i}.at")),
                    format!(
                        "expectation at {t} is after the end of the scenario ({})",
                        parsed.spec.duration
                    ),
                ));
            }
        }
        expect.push(c);
    }
    Ok(Scenario {
        name: parsed.metadata.name,
        description: parsed.metadata.description,
        file: path.to_string(),
        seed: parsed.spec.seed,
        duration: parsed.spec.duration,
        pools: parsed.spec.cluster.node_pools,
        nodes,
        objects,
        behavior,
        scheduler,
        borg,
        registry,
        network: parsed.spec.network,
        traffic: parsed.spec.traffic,
        autoscaler,
        real: parsed.spec.real,
        timeline,
        expect,
        ignored,
    })
}

/// Most nodes a scenario may have at any time: 20x the largest cluster Kubernetes supports
/// (5000 nodes), the bound of a pool's `count` and of `addNodes`.
pub const MAX_NODES: u32 = 100_000;

/// Every quantity of the resource list at dotted `at` (under `doc`) is in range; errors name
/// `what` and point at the quantity.
fn quantities_in_range(
    file: &str,
    doc: &yaml::Node,
    at: &str,
    what: &str,
    rl: &crate::api::resources::ResourceList,
) -> Result<(), LoadError> {
    let list = crate::api::validate::node_at(doc, at);
    for (res, q) in rl {
        let node = list.get(res).unwrap_or(list);
        let written = node.scalar_text();
        if let Some(why) = crate::api::validate::quantity_range(q, written.as_deref()) {
            return Err(LoadError::new(
                file,
                node.mark,
                format!("{what} {res}: {why}"),
            ));
        }
    }
    Ok(())
}

fn default_namespace(o: &mut Object) {
    if o.kind().namespaced() && o.meta().namespace.is_empty() {
        o.meta_mut().namespace = "default".into();
    }
}

/// Load a manifest file (one or more Kubernetes objects) for `cellsim validate`.
pub fn load_manifest(
    path: &str,
    sources: &dyn Sources,
) -> Result<(Vec<Object>, Ignored), LoadError> {
    let text = sources.read(path).map_err(|why| {
        LoadError::new(
            path,
            Mark { line: 1, column: 1 },
            format!("cannot read: {why}"),
        )
    })?;
    let docs = yaml::parse_documents(path, &text)?;
    if docs.is_empty() {
        return Err(LoadError::new(
            path,
            Mark { line: 1, column: 1 },
            "empty file: expected Kubernetes objects",
        ));
    }
    let mut objects = Vec::new();
    let mut ignored = Vec::new();
    // As in a scenario's `objects`: the same kind, namespace and name twice is an error.
    let mut seen: OrdMap<ObjectKey, Mark> = OrdMap::new();
    for d in &docs {
        for item in decode(path, d, &mut ignored)? {
            match item {
                Decoded::Object(node, mut o) => {
                    default_namespace(&mut o);
                    let here = mark_at(node, "metadata.name");
                    if !o.meta().name.is_empty() {
                        if let Some(first) = seen.insert(ObjectKey::of(&o), here) {
                            return Err(LoadError::new(
                                path,
                                here,
                                format!(
                                    "duplicate object {} (first defined at {path}:{first})",
                                    o.display_key()
                                ),
                            ));
                        }
                    }
                    objects.push(*o)
                }
                Decoded::Ignored { kind, name } => {
                    ignored.push((format!("{kind}/{name}: kind not modelled"), d.mark))
                }
            }
        }
    }
    Ok((objects, ignored))
}

#[cfg(test)]
mod tests {
    use super::resolve_path;

    #[test]
    fn paths_resolve_relative_to_the_scenario() {
        assert_eq!(
            resolve_path("scenarios/a.yaml", "manifests/web.yaml"),
            "scenarios/manifests/web.yaml"
        );
        assert_eq!(resolve_path("scenarios/a.yaml", "../x.yaml"), "x.yaml");
        assert_eq!(resolve_path("a.yaml", "./m/x.yaml"), "m/x.yaml");
        assert_eq!(resolve_path("a.yaml", "../x.yaml"), "../x.yaml");
        assert_eq!(resolve_path("/abs/s.yaml", "m.yaml"), "/abs/m.yaml");
        assert_eq!(resolve_path("s/a.yaml", "/etc/m.yaml"), "/etc/m.yaml");
    }
}
