//! Checks of the scenario's routing parts before a run: `spec.network`, `spec.traffic`,
//! `setTraffic` actions, and the behaviours' downstream `calls`, whose Services must form a
//! dependency graph without cycles (petgraph's topological sort finds one).

use super::spec::{Behavior, NetworkSpec, TrafficEntry};
use super::timeline::{Action, TimelineEntry};
use crate::api::validate::mark_at;
use crate::api::Object;
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::net::select::ProxyMode;
use crate::net::traffic::Via;
use crate::yaml::{self, LoadError};
use petgraph::graph::DiGraph;

/// Everything `spec.network`, `spec.traffic`, `setTraffic` and `behavior[].calls` must
/// satisfy. `services` are the Services of `objects` and of `apply` actions.
pub fn check(
    path: &str,
    doc: &yaml::Node,
    network: Option<&NetworkSpec>,
    traffic: &[TrafficEntry],
    behavior: &[Behavior],
    objects: &[Object],
    timeline: &[TimelineEntry],
) -> Result<(), LoadError> {
    let err = |at: &str, msg: String| LoadError::new(path, mark_at(doc, at), msg);
    if let Some(n) = network {
        if let Err(e) = ProxyMode::parse(
            n.proxy_mode.as_deref().unwrap_or(""),
            n.ipvs_scheduler.as_deref().unwrap_or(""),
        ) {
            let at = if e.contains("scheduler") {
                "spec.network.ipvsScheduler"
            } else {
                "spec.network.proxyMode"
            };
            return Err(err(at, e));
        }
        if n.window.is_some_and(|w| w.as_millis() == 0) {
            return Err(err("spec.network.window", "window must be positive".into()));
        }
    }
    let mut names = OrdSet::new();
    for (i, t) in traffic.iter().enumerate() {
        let at = format!("spec.traffic.{i}");
        match (&t.service, &t.ingress) {
            (Some(_), None) => {}
            (None, Some(_)) if t.via.is_none() => {}
            (None, Some(_)) => {
                return Err(err(
                    &format!("{at}.via"),
                    "`via` applies to a `service` entry, not to an `ingress` one".into(),
                ))
            }
            _ => {
                return Err(err(
                    &at,
                    "a traffic entry needs exactly one of `service` or `ingress: {host, path}`"
                        .into(),
                ))
            }
        }
        if let Some(v) = &t.via {
            if Via::parse(v).is_none() {
                return Err(err(
                    &format!("{at}.via"),
                    format!("unknown via {v:?}: expected clusterIP, nodePort or loadBalancer"),
                ));
            }
        }
        if t.rps.is_negative() {
            return Err(err(
                &format!("{at}.rps"),
                format!("rps must not be negative, got {}", t.rps),
            ));
        }
        if t.clients == Some(0) {
            return Err(err(
                &format!("{at}.clients"),
                "clients must be at least 1".into(),
            ));
        }
        if t.timeout.is_some_and(|d| d.as_millis() == 0) {
            return Err(err(
                &format!("{at}.timeout"),
                "timeout must be positive".into(),
            ));
        }
        let name = entry_name(t);
        if !names.insert(name.clone()) {
            return Err(err(
                &at,
                format!("duplicate traffic entry name {name:?}: give one of them a `name`"),
            ));
        }
    }
    for e in timeline {
        if let Action::SetTraffic { name, .. } = &e.action {
            if !names.contains(name) {
                return Err(LoadError::new(
                    path,
                    e.target,
                    format!(
                        "setTraffic names traffic entry {name:?}, which is not in spec.traffic (entries: {})",
                        names.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    for (i, b) in behavior.iter().enumerate() {
        let at = format!("spec.behavior.{i}");
        if let Some(c) = &b.capacity_rps {
            if c.milli_value() <= 0 {
                return Err(err(
                    &format!("{at}.capacityRps"),
                    format!("capacityRps must be positive, got {c}"),
                ));
            }
        }
        for (j, c) in b.calls.iter().enumerate() {
            if c.service.trim().is_empty() {
                return Err(err(
                    &format!("{at}.calls.{j}.service"),
                    "a call needs a `service`".into(),
                ));
            }
        }
    }
    dependency_graph(path, doc, behavior, objects, timeline)
}

/// A traffic entry's name: `name`, else its service, else `host` + `path`.
pub fn entry_name(t: &TrafficEntry) -> String {
    if let Some(n) = &t.name {
        return n.clone();
    }
    match (&t.service, &t.ingress) {
        (Some(s), _) => s.clone(),
        (None, Some(i)) => format!("{}{}", i.host, i.path.as_deref().unwrap_or("/")),
        _ => String::new(),
    }
}

/// Services call Services through their pods' behaviours: a behaviour belongs to every
/// Service whose selector its selector matches (the Service's selector read as a pod's
/// labels). The graph must be acyclic: a cycle would make every request recurse.
fn dependency_graph(
    path: &str,
    doc: &yaml::Node,
    behavior: &[Behavior],
    objects: &[Object],
    timeline: &[TimelineEntry],
) -> Result<(), LoadError> {
    let applied = timeline.iter().flat_map(|e| match &e.action {
        Action::Apply(objs) => objs.as_slice(),
        _ => &[],
    });
    let mut services: OrdMap<(String, String), Option<crate::api::selector::Labels>> =
        OrdMap::new();
    for o in objects.iter().chain(applied) {
        if let Object::Service(s) = o {
            services.insert(
                (s.metadata.namespace.clone(), s.metadata.name.clone()),
                s.spec.selector.clone(),
            );
        }
    }
    let mut g: DiGraph<(String, String), usize> = DiGraph::new();
    let mut node = crate::collections::OrdMap::new();
    for k in services.keys() {
        node.insert(k.clone(), g.add_node(k.clone()));
    }
    for (i, b) in behavior.iter().enumerate() {
        // The Services whose pods this behaviour describes.
        let owners: Vec<(String, String)> = services
            .iter()
            .filter(|(_, sel)| {
                sel.as_ref()
                    .is_some_and(|sel| !sel.is_empty() && b.selector.matches(sel))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for (j, c) in b.calls.iter().enumerate() {
            // A call without a namespace goes to the calling pod's namespace (as a DNS
            // lookup of a bare Service name does).
            let missing = |ns: &str| {
                LoadError::new(
                    path,
                    mark_at(doc, &format!("spec.behavior.{i}.calls.{j}.service")),
                    format!(
                        "calls Service {:?} in namespace {ns:?}, which is not among the scenario's objects or applied ones",
                        c.service
                    ),
                )
            };
            if owners.is_empty() {
                let found = match &c.namespace {
                    Some(ns) => services.contains_key(&(ns.clone(), c.service.clone())),
                    None => services.keys().any(|(_, n)| *n == c.service),
                };
                if !found {
                    return Err(missing(c.namespace.as_deref().unwrap_or("default")));
                }
            }
            for from in &owners {
                let ns = c.namespace.clone().unwrap_or_else(|| from.0.clone());
                let Some(&to_ix) = node.get(&(ns.clone(), c.service.clone())) else {
                    return Err(missing(&ns));
                };
                g.add_edge(node[from], to_ix, i);
            }
        }
    }
    if let Err(cycle) = petgraph::algo::toposort(&g, None) {
        let start = cycle.node_id();
        let (ns, name) = &g[start];
        // The behaviour of an edge leaving the node on the cycle, for the error's place.
        let b = g.edges(start).next().map_or(0, |e| *e.weight());
        return Err(LoadError::new(
            path,
            mark_at(doc, &format!("spec.behavior.{b}.calls")),
            format!(
                "downstream calls form a cycle through Service {ns}/{name}: a request would call itself"
            ),
        ));
    }
    Ok(())
}
