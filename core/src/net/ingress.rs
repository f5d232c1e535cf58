//! Ingress routing (networking.k8s.io/v1) as an ingress controller applies it, with
//! ingress-nginx's canary annotations.
//!
//! Rule matching follows the Ingress API's documented semantics: a rule's `host` matches
//! exactly, or as a wildcard `*.example.com` matching exactly one more leading label; a
//! rule without a host matches every host. Among the matching paths the longest wins, and an
//! `Exact` path wins over a `Prefix` path of the same length. `Prefix` matches element-wise
//! on `/`-separated segments (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`);
//! `ImplementationSpecific` is treated as `Prefix`, as ingress-nginx does. No match: the
//! `defaultBackend`.
//!
//! Canary (ingress-nginx docs, "Canary" annotations): a second Ingress for the same host and
//! path with `nginx.ingress.kubernetes.io/canary: "true"` takes a share of the requests. Its
//! rules apply in order of precedence: `canary-by-header` (value `always` → canary, `never`
//! → main; with `canary-by-header-value` set, only that value → canary), then
//! `canary-weight` out of `canary-weight-total` (default 100).

use crate::api::service::{Ingress, IngressBackend};
use crate::collections::OrdMap;

pub const CANARY: &str = "nginx.ingress.kubernetes.io/canary";
pub const CANARY_BY_HEADER: &str = "nginx.ingress.kubernetes.io/canary-by-header";
pub const CANARY_BY_HEADER_VALUE: &str = "nginx.ingress.kubernetes.io/canary-by-header-value";
pub const CANARY_WEIGHT: &str = "nginx.ingress.kubernetes.io/canary-weight";
pub const CANARY_WEIGHT_TOTAL: &str = "nginx.ingress.kubernetes.io/canary-weight-total";

/// A backend Service port an ingress sends to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Backend {
    pub namespace: String,
    pub service: String,
    /// Port number, or 0 with `port_name`.
    pub port: i32,
    pub port_name: String,
}

/// How a request to one host and path is routed: the main backend and an optional canary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub main: Backend,
    pub canary: Option<Canary>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canary {
    pub backend: Backend,
    pub header: Option<String>,
    pub header_value: Option<String>,
    pub weight: u64,
    pub weight_total: u64,
}

/// Where one request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Main,
    Canary,
    /// Decided by the weight: canary when a uniform draw in `0..total` is below `weight`.
    Weighted {
        weight: u64,
        total: u64,
    },
}

impl Canary {
    /// The canary rules for a request with these headers.
    pub fn decide(&self, headers: &OrdMap<String, String>) -> Decision {
        if let Some(h) = &self.header {
            // Header names are case-insensitive.
            let v = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(h))
                .map(|(_, v)| v.as_str());
            match (&self.header_value, v) {
                (Some(want), Some(v)) if v == want => return Decision::Canary,
                (None, Some("always")) => return Decision::Canary,
                (None, Some("never")) => return Decision::Main,
                _ => {}
            }
        }
        match self.weight {
            0 => Decision::Main,
            w if w >= self.weight_total => Decision::Canary,
            w => Decision::Weighted {
                weight: w,
                total: self.weight_total,
            },
        }
    }
}

fn host_matches(rule: &str, host: &str) -> bool {
    if rule.is_empty() {
        return true;
    }
    match rule.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix),
        None => rule.eq_ignore_ascii_case(host),
    }
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    let segs = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let want = segs(prefix);
    let have = segs(path);
    have.len() >= want.len() && want.iter().zip(&have).all(|(a, b)| a == b)
}

fn backend_of(ns: &str, b: &IngressBackend) -> Option<Backend> {
    let s = b.service.as_ref()?;
    Some(Backend {
        namespace: ns.to_string(),
        service: s.name.clone(),
        port: s.port.number,
        port_name: s.port.name.clone(),
    })
}

/// The best match of one Ingress for a host and path: (path length, exact, backend).
fn best_match(ing: &Ingress, host: &str, path: &str) -> Option<(usize, bool, Backend)> {
    let ns = &ing.metadata.namespace;
    let mut best: Option<(usize, bool, Backend)> = None;
    for rule in &ing.spec.rules {
        if !host_matches(&rule.host, host) {
            continue;
        }
        for p in rule.http.iter().flat_map(|h| &h.paths) {
            let exact = p.path_type == "Exact";
            let hit = if exact {
                p.path == path
            } else {
                prefix_matches(&p.path, path)
            };
            let Some(b) = hit.then(|| backend_of(ns, &p.backend)).flatten() else {
                continue;
            };
            let key = (p.path.len(), exact);
            if best.as_ref().is_none_or(|(l, e, _)| key > (*l, *e)) {
                best = Some((key.0, key.1, b));
            }
        }
    }
    best
}

fn is_canary(ing: &Ingress) -> bool {
    ing.metadata.annotations.get(CANARY).map(String::as_str) == Some("true")
}

/// Route a request for `host` and `path` through the Ingresses (in the store's order). `None`:
/// no rule and no default backend matches (ingress-nginx answers 404).
pub fn route(ingresses: &[&Ingress], host: &str, path: &str) -> Option<Route> {
    // (the matched rule's path length and exactness, or None for a default backend).
    type Matched<'a> = (Backend, &'a Ingress, Option<(usize, bool)>);
    let pick = |canary: bool| -> Option<Matched> {
        let mut best: Option<((usize, bool), Backend, &Ingress)> = None;
        for ing in ingresses.iter().copied().filter(|i| is_canary(i) == canary) {
            if let Some((l, e, b)) = best_match(ing, host, path) {
                if best.as_ref().is_none_or(|(k, _, _)| (l, e) > *k) {
                    best = Some(((l, e), b, ing));
                }
            }
        }
        if let Some((k, b, i)) = best {
            return Some((b, i, Some(k)));
        }
        // No rule matched: the first default backend.
        ingresses
            .iter()
            .copied()
            .filter(|i| is_canary(i) == canary)
            .find_map(|i| {
                i.spec
                    .default_backend
                    .as_ref()
                    .and_then(|b| backend_of(&i.metadata.namespace, b))
                    .map(|b| (b, i, None))
            })
    };
    let (main, _, matched) = pick(false)?;
    // ingress-nginx merges a canary into the main Ingress's location: it applies only where
    // it matches the same rule (same path and type) the request matched.
    let canary = pick(true)
        .filter(|(_, _, m)| *m == matched)
        .map(|(backend, ing, _)| {
            let a = &ing.metadata.annotations;
            let num = |k: &str| a.get(k).and_then(|v| v.trim().parse::<u64>().ok());
            Canary {
                backend,
                header: a.get(CANARY_BY_HEADER).cloned(),
                header_value: a.get(CANARY_BY_HEADER_VALUE).cloned(),
                weight: num(CANARY_WEIGHT).unwrap_or(0),
                weight_total: num(CANARY_WEIGHT_TOTAL).unwrap_or(100).max(1),
            }
        });
    Some(Route { main, canary })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::*;

    fn ing(name: &str, host: &str, paths: &[(&str, &str, &str)], ann: &[(&str, &str)]) -> Ingress {
        let mut i = Ingress::default();
        i.metadata.name = name.into();
        i.metadata.namespace = "default".into();
        for (k, v) in ann {
            i.metadata.annotations.insert(k.to_string(), v.to_string());
        }
        i.spec.rules = vec![IngressRule {
            host: host.into(),
            http: Some(HttpIngressRuleValue {
                paths: paths
                    .iter()
                    .map(|(p, t, svc)| HttpIngressPath {
                        path: p.to_string(),
                        path_type: t.to_string(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: svc.to_string(),
                                port: ServiceBackendPort {
                                    name: String::new(),
                                    number: 80,
                                },
                            }),
                        },
                    })
                    .collect(),
            }),
        }];
        i
    }

    fn svc(r: Option<Route>) -> Option<String> {
        r.map(|r| r.main.service)
    }

    #[test]
    fn paths_match_as_the_ingress_api_documents() {
        // Rows of the Ingress docs' "Examples" table.
        let i = ing(
            "a",
            "",
            &[
                ("/foo", "Prefix", "prefix-foo"),
                ("/foo", "Exact", "exact-foo"),
                ("/aaa/bb", "Prefix", "bb"),
                ("/aaa/bbb", "Prefix", "bbb"),
                ("/", "Prefix", "root"),
            ],
            &[],
        );
        let r = |p: &str| svc(route(&[&i], "x", p));
        assert_eq!(
            r("/foo").as_deref(),
            Some("exact-foo"),
            "Exact beats Prefix"
        );
        assert_eq!(r("/foo/").as_deref(), Some("prefix-foo"));
        assert_eq!(r("/foo/bar").as_deref(), Some("prefix-foo"));
        assert_eq!(
            r("/foobar").as_deref(),
            Some("root"),
            "not an element-wise prefix"
        );
        assert_eq!(r("/aaa/bbb").as_deref(), Some("bbb"), "longest wins");
        assert_eq!(r("/aaa/bbbxyz").as_deref(), Some("root"));
        assert_eq!(r("/aaa/bb/c").as_deref(), Some("bb"));
    }

    #[test]
    fn hosts_match_exactly_or_by_one_wildcard_label() {
        let i = ing("a", "*.foo.com", &[("/", "Prefix", "wild")], &[]);
        assert_eq!(
            svc(route(&[&i], "bar.foo.com", "/")).as_deref(),
            Some("wild")
        );
        assert_eq!(svc(route(&[&i], "baz.bar.foo.com", "/")), None);
        assert_eq!(svc(route(&[&i], "foo.com", "/")), None);
        let mut d = ing("d", "only.example", &[("/", "Prefix", "x")], &[]);
        d.spec.default_backend = Some(IngressBackend {
            service: Some(IngressServiceBackend {
                name: "fallback".into(),
                port: ServiceBackendPort {
                    name: "http".into(),
                    number: 0,
                },
            }),
        });
        assert_eq!(svc(route(&[&d], "other", "/")).as_deref(), Some("fallback"));
    }

    #[test]
    fn canary_by_header_then_weight() {
        let main = ing("main", "shop", &[("/", "Prefix", "web")], &[]);
        let can = ing(
            "canary",
            "shop",
            &[("/", "Prefix", "web-canary")],
            &[
                (CANARY, "true"),
                (CANARY_WEIGHT, "10"),
                (CANARY_BY_HEADER, "X-Canary"),
            ],
        );
        let api = ing("api", "shop", &[("/api", "Prefix", "api")], &[]);
        let r = route(&[&can, &main, &api], "shop", "/api/cart").unwrap();
        assert_eq!(r.main.service, "api");
        assert_eq!(
            r.canary, None,
            "the canary is for / only, not for the /api location"
        );
        let r = route(&[&can, &main], "shop", "/").unwrap();
        assert_eq!(r.main.service, "web");
        let c = r.canary.unwrap();
        assert_eq!(c.backend.service, "web-canary");
        let h = |v: &str| OrdMap::from([("x-canary".to_string(), v.to_string())]);
        assert_eq!(c.decide(&h("always")), Decision::Canary);
        assert_eq!(c.decide(&h("never")), Decision::Main);
        assert_eq!(
            c.decide(&OrdMap::new()),
            Decision::Weighted {
                weight: 10,
                total: 100
            }
        );
        let mut by_value = c.clone();
        by_value.header_value = Some("blue".into());
        assert_eq!(by_value.decide(&h("blue")), Decision::Canary);
        assert_eq!(
            by_value.decide(&h("always")),
            Decision::Weighted {
                weight: 10,
                total: 100
            },
            "with a header value, only that value routes to the canary"
        );
    }
}
