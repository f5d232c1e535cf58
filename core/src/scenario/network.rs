//! Checks of the scenario's routing parts before a run: `spec.network`, `spec.traffic`,
//! `setTraffic` actions, and the behaviours' downstream `calls`, whose Services must form a
//! dependency graph without cycles (`cycle_node` finds one).

use super::spec::{Behavior, NetworkSpec, TrafficEntry};
use super::timeline::{Action, TimelineEntry};
use crate::api::validate::mark_at;
use crate::api::Object;
use crate::collections::OrdMap;
use crate::collections::OrdSet;
use crate::net::select::ProxyMode;
use crate::net::traffic::Via;
use crate::yaml::{self, LoadError};

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
    // The graph: a node per Service in key order, an edge (from, to, behaviour) per call.
    let names: Vec<&(String, String)> = services.keys().collect();
    let mut node = OrdMap::new();
    for (ix, &k) in names.iter().enumerate() {
        node.insert(k.clone(), ix);
    }
    let mut edges: Vec<(usize, usize, usize)> = Vec::new();
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
                edges.push((node[from], to_ix, i));
            }
        }
    }
    if let Some(start) = cycle_node(names.len(), &edges) {
        let (ns, name) = names[start];
        // The behaviour of an edge leaving the node on the cycle, for the error's place: the
        // last one added, which petgraph's `Graph::edges` listed first.
        let b = edges.iter().rev().find(|e| e.0 == start).map_or(0, |e| e.2);
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

/// A node on a cycle of the graph of `n` nodes and these edges (from, to, ...), if it has
/// one: the node petgraph 0.8's `algo::toposort` reported (`Cycle(node_id)`), which this
/// replaces with its own steps so that the error names the same Service as before. Kosaraju's
/// first pass: a depth-first search from each node in index order gives the finishing order,
/// and a self-loop is the cycle at once; second pass: in reverse finishing order, a search
/// over the reversed edges from each node not yet seen reaches a second node only if the two
/// share a cycle, and that second node is the answer. Neighbours are listed newest edge first
/// and pushed on the stack in that order, as petgraph's `Graph` lists them
/// (`neighbors_directed`).
fn cycle_node(n: usize, edges: &[(usize, usize, usize)]) -> Option<usize> {
    let mut out = vec![Vec::new(); n];
    let mut inc = vec![Vec::new(); n];
    for &(a, b, _) in edges.iter().rev() {
        out[a].push(b);
        inc[b].push(a);
    }
    let mut discovered = vec![false; n];
    let mut finished = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut stack = Vec::new();
    for start in 0..n {
        if discovered[start] {
            continue;
        }
        stack.push(start);
        while let Some(&x) = stack.last() {
            if !discovered[x] {
                // First visit: push the successors and keep `x` for its finish.
                discovered[x] = true;
                for &s in &out[x] {
                    if s == x {
                        return Some(x);
                    }
                    if !discovered[s] {
                        stack.push(s);
                    }
                }
            } else {
                stack.pop();
                if !finished[x] {
                    finished[x] = true;
                    order.push(x);
                }
            }
        }
    }
    let mut seen = vec![false; n];
    for &start in order.iter().rev() {
        stack.clear();
        stack.push(start);
        let mut first = true;
        while let Some(x) = stack.pop() {
            if seen[x] {
                continue;
            }
            seen[x] = true;
            if !first {
                return Some(x);
            }
            first = false;
            stack.extend(inc[x].iter().copied().filter(|&p| !seen[p]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::scenario::Sources;

    struct One(String);
    impl Sources for One {
        fn read(&self, _: &str) -> Result<String, String> {
            Ok(self.0.clone())
        }
    }

    /// The load error of a scenario with Services a..d and these behaviours' calls
    /// (selector app, called Service).
    fn load_error(calls: &[(&str, &str)]) -> String {
        let mut y = String::from(
            "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  duration: 5m\n  objects:\n",
        );
        for s in ["a", "b", "c", "d"] {
            y += &format!(
                "  - {{apiVersion: v1, kind: Service, metadata: {{name: {s}}}, spec: {{selector: {{app: {s}}}, ports: [{{port: 80}}]}}}}\n"
            );
        }
        y += "  behavior:\n";
        for (app, to) in calls {
            y += &format!(
                "  - selector: {{matchLabels: {{app: {app}}}}}\n    calls: [{{service: {to}}}]\n"
            );
        }
        match crate::scenario::load("s.yaml", &One(y)) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn of_two_cycles_the_one_petgraph_found_is_reported() {
        // a <-> b and c <-> d: the search over reversed edges in reverse finishing order
        // starts at c and reaches d first, so d, with its call (behaviour 3), as petgraph's
        // toposort reported it.
        assert_eq!(
            load_error(&[("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")]),
            "s.yaml:19:12: downstream calls form a cycle through Service default/d: a request would call itself"
        );
        // A self-loop is found in the first pass, before any longer cycle.
        assert_eq!(
            load_error(&[("a", "b"), ("b", "a"), ("d", "d")]),
            "s.yaml:17:12: downstream calls form a cycle through Service default/d: a request would call itself"
        );
        // The error is placed at the last call leaving the reported node, even one off the
        // cycle (here b's call of d), as petgraph listed b's edges newest first.
        assert_eq!(
            load_error(&[("a", "b"), ("b", "c"), ("b", "a"), ("b", "d")]),
            "s.yaml:19:12: downstream calls form a cycle through Service default/b: a request would call itself"
        );
        assert_eq!(load_error(&[("a", "b"), ("b", "c"), ("c", "d")]), "");
    }
}
