//! Keeps `docs/scenario.schema.json` true to the loader (`cellsim_core::scenario::load`).
//!
//! - Field names: every object in the schema has a probe site below. For each site, a made-up
//!   key tells whether cellsim rejects unknown fields there (then the schema must say
//!   `additionalProperties: false`, and serde's "expected one of ..." list must equal the
//!   schema's properties) or accepts and ignores them (then the site's table of known fields
//!   must equal the schema's properties). Every schema property is then tried in a scenario.
//! - Documents: every `scenarios/*.yaml`, the complete example of `docs/scenario-format.md` and
//!   every probe site's base document must pass both the loader and the schema; a few common
//!   mistakes must fail both. The schema is checked by the small validator at the end of this
//!   file (types, required, properties, additionalProperties, enum, const, pattern, bounds,
//!   items, anyOf/oneOf/not, local `$ref`).
//! - Patterns, kinds and enums agree with the parsers and tables in core.

use cellsim_core::api::kind::{Kind, ACCEPTED_UNMODELLED};
use cellsim_core::api::node::TAINT_EFFECTS;
use cellsim_core::api::pod::PodPhase;
use cellsim_core::api::Quantity;
use cellsim_core::net::select::ProxyMode;
use cellsim_core::net::traffic::Via;
use cellsim_core::scenario::expect::{CONDITION_STATUSES, DEPLOYMENT_CONDITIONS};
use cellsim_core::scenario::{load, timeline::ACTIONS, Scenario, Sources};
use cellsim_core::time::Duration;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn schema() -> Value {
    let path = format!("{ROOT}/docs/scenario.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// One in-memory scenario file.
struct Text(String);

impl Sources for Text {
    fn read(&self, path: &str) -> Result<String, String> {
        (path == "probe.yaml")
            .then(|| self.0.clone())
            .ok_or_else(|| "not found".to_string())
    }
}

fn load_text(text: &str) -> Result<Scenario, String> {
    load("probe.yaml", &Text(text.to_string())).map_err(|e| e.to_string())
}

fn yaml_to_json(file: &str, text: &str) -> Value {
    let docs = cellsim_core::yaml::parse_documents(file, text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(docs.len(), 1, "{file}: expected one YAML document");
    docs[0].to_json()
}

// ------------------------------------------------------------------------------------------
// Probe sites: one per object of the schema, with a document that reaches it.
// ------------------------------------------------------------------------------------------

/// `path` is the YAML path with `[]` for list items; `doc` is a scenario whose mapping at that
/// path is `{@}` (`$H` is the scenario head, `$P` a cluster with node `p-0`); `base` is the
/// mapping's content and, where cellsim ignores unknown fields, the table of the fields it reads.
struct Site {
    path: &'static str,
    doc: &'static str,
    base: &'static [(&'static str, &'static str)],
}

const HEAD: &str = "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n";
const POOL: &str = "cluster: {nodePools: [{name: p, count: 1, allocatable: {cpu: 1, pods: 10}}]}";
const NODE: &[(&str, &str)] = &[("node", "p-0")];
const PODS: &[(&str, &str)] = &[
    ("selector", "\"app in (a,b)\""),
    ("namespace", "default"),
    ("phase", "Running"),
    ("ready", "true"),
    ("restarts", "2"),
    ("status", "CrashLoopBackOff"),
    ("terminationReason", "OOMKilled"),
    ("namePrefix", "web-"),
    ("node", "p-0"),
    ("terminating", "false"),
    ("image", "\"nginx:1.25\""),
    ("count", "0"),
];
const DEPLOYMENTS: &[(&str, &str)] = &[
    ("selector", "app=x"),
    ("namespace", "default"),
    ("namePrefix", "web"),
    ("condition", "Progressing"),
    ("status", "\"False\""),
    ("reason", "ProgressDeadlineExceeded"),
    ("revision", "2"),
    ("count", "0"),
];
const JOBS: &[(&str, &str)] = &[
    ("selector", "app=x"),
    ("namespace", "default"),
    ("namePrefix", "pi-"),
    ("condition", "Complete"),
    ("reason", "CompletionsReached"),
    ("count", "0"),
];
const SERVICE_RATE: &[(&str, &str)] = &[
    ("service", "s"),
    ("namespace", "default"),
    ("since", "10s"),
    ("min", "0.5"),
    ("max", "1"),
];
const SERVICE_COUNT: &[(&str, &str)] = &[
    ("service", "s"),
    ("namespace", "default"),
    ("since", "10s"),
    ("count", "0"),
];
const SERVICE_LATENCY: &[(&str, &str)] = &[
    ("service", "s"),
    ("namespace", "default"),
    ("since", "10s"),
    ("percentile", "50"),
    ("minMs", "0"),
    ("maxMs", "100"),
];
const EVENTS: &[(&str, &str)] = &[
    ("type", "Killing"),
    ("object", "\"Pod/default/web*\""),
    ("message", "liveness"),
    ("count", "0"),
];

const SITES: &[Site] = &[
    Site {
        path: "",
        doc: "{@}",
        base: &[
            ("apiVersion", "cellsim.dev/v1alpha1"),
            ("kind", "Scenario"),
            ("metadata", "{name: t}"),
            ("spec", "{duration: 1m}"),
        ],
    },
    Site {
        path: "metadata",
        doc: "apiVersion: cellsim.dev/v1alpha1\nkind: Scenario\nmetadata: {@}\nspec: {duration: 1m}",
        base: &[("name", "t"), ("description", "d")],
    },
    Site {
        path: "spec",
        doc: "$Hspec: {@}",
        base: &[
            ("seed", "1"),
            ("duration", "1m"),
            ("cluster", "{}"),
            ("scheduler", "{}"),
            ("objects", "[]"),
            ("behavior", "[]"),
            ("timeline", "[]"),
            ("expect", "[]"),
            ("borg", "{}"),
            ("registry", "{}"),
            ("network", "{}"),
            ("traffic", "[]"),
            ("autoscaler", "{}"),
            ("real", "{}"),
        ],
    },
    Site {
        path: "spec.real",
        doc: "$Hspec: {duration: 1m, real: {@}}",
        base: &[("images", "{\"nginx:1.25\": {image: \"cellsim/busybox:latest\", command: [httpd, -f]}}")],
    },
    Site {
        path: "spec.network",
        doc: "$Hspec: {duration: 1m, network: {@}}",
        base: &[
            ("proxyMode", "ipvs"),
            ("ipvsScheduler", "lc"),
            ("propagationDelay", "2s"),
            ("window", "5s"),
        ],
    },
    Site {
        path: "spec.traffic[]",
        doc: "$Hspec: {duration: 1m, traffic: [{@}]}",
        base: &[
            ("name", "t"),
            ("service", "s"),
            ("namespace", "default"),
            ("via", "nodePort"),
            ("rps", "10"),
            ("clients", "5"),
            ("timeout", "1s"),
            ("retries", "1"),
            ("headers", "{X-Canary: always}"),
            ("from", "10s"),
        ],
    },
    Site {
        path: "spec.traffic[].ingress",
        doc: "$Hspec: {duration: 1m, traffic: [{rps: 1, ingress: {@}}]}",
        base: &[("host", "shop.example.com"), ("path", "/cart")],
    },
    Site {
        path: "spec.autoscaler",
        doc: "$Hspec: {duration: 1m, autoscaler: {@}}",
        base: &[
            ("expander", "least-waste"),
            ("scanInterval", "10s"),
            ("scaleDownEnabled", "false"),
            ("scaleDownUtilizationThreshold", "\"0.5\""),
            ("scaleDownUnneededTime", "10m"),
            ("scaleDownDelayAfterAdd", "10m"),
            ("provisioningDelay", "1m"),
        ],
    },
    Site {
        path: "spec.cluster.nodePools[].autoscaling",
        doc: "$Hspec: {duration: 1m, cluster: {nodePools: [{name: p, count: 1, allocatable: {cpu: 1}, autoscaling: {@}}]}}",
        base: &[("min", "0"), ("max", "3"), ("priority", "1")],
    },
    Site {
        path: "spec.cluster",
        doc: "$Hspec: {duration: 1m, cluster: {@}}",
        base: &[("nodePools", "[]"), ("nodes", "[]")],
    },
    Site {
        path: "spec.cluster.nodePools[]",
        doc: "$Hspec: {duration: 1m, cluster: {nodePools: [{@}]}}",
        base: &[
            ("name", "p"),
            ("count", "1"),
            ("allocatable", "{cpu: 1, pods: 10}"),
            ("labels", "{a: b}"),
            ("zones", "[z]"),
            ("taints", "[{key: k, effect: NoSchedule}]"),
            ("autoscaling", "{min: 1, max: 2}"),
        ],
    },
    Site {
        path: "spec.cluster.nodePools[].taints[]",
        doc: "$Hspec: {duration: 1m, cluster: {nodePools: [{name: p, count: 1, allocatable: {cpu: 1}, taints: [{@}]}]}}",
        base: &[("key", "k"), ("value", "v"), ("effect", "NoSchedule")],
    },
    Site {
        path: "spec.behavior[]",
        doc: "$Hspec: {duration: 1m, behavior: [{@}]}",
        base: &[
            ("selector", "{}"),
            ("container", "c"),
            ("startupDelay", "1s"),
            ("runFor", "1s"),
            ("exitCode", "1"),
            ("usage", "{cpu: 1}"),
            ("usageSteps", "[{after: 1m, usage: {memory: 1Gi}}]"),
            ("usageAfter", "{at: 1s, usage: {cpu: 2}}"),
            ("pullTime", "1s"),
            ("jitter", "1s"),
            ("unhealthyAfter", "1m"),
            ("shutdownDelay", "5s"),
            ("preStopDuration", "2s"),
            ("capacityRps", "100"),
            ("latency", "10ms"),
            ("latencyAfter", "{at: 30s, latency: 50ms}"),
            ("calls", "[]"),
        ],
    },
    Site {
        path: "spec.behavior[].latencyAfter",
        doc: "$Hspec: {duration: 1m, behavior: [{selector: {}, latencyAfter: {@}}]}",
        base: &[("at", "30s"), ("latency", "50ms")],
    },
    Site {
        path: "spec.behavior[].calls[]",
        doc: "$Hspec: {duration: 1m, objects: [{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}], behavior: [{selector: {}, calls: [{@}]}]}",
        base: &[
            ("service", "s"),
            ("namespace", "default"),
            ("timeout", "1s"),
            ("retries", "2"),
        ],
    },
    Site {
        path: "spec.behavior[].usageSteps[]",
        doc: "$Hspec: {duration: 1m, behavior: [{selector: {}, usageSteps: [{@}]}]}",
        base: &[("after", "1m"), ("usage", "{memory: 1Gi}")],
    },
    Site {
        path: "spec.registry",
        doc: "$Hspec: {duration: 1m, registry: {@}}",
        base: &[
            ("pullBandwidth", "20Mi"),
            ("images", "[{name: \"nginx:1.25\", sizeBytes: 1000}]"),
        ],
    },
    Site {
        path: "spec.registry.images[]",
        doc: "$Hspec: {duration: 1m, registry: {images: [{@}]}}",
        base: &[("name", "\"nginx:1.25\""), ("sizeBytes", "1000")],
    },
    Site {
        path: "spec.behavior[].usageAfter",
        doc: "$Hspec: {duration: 1m, behavior: [{selector: {}, usageAfter: {@}}]}",
        base: &[("at", "30s"), ("usage", "{cpu: 2, memory: 1Gi}")],
    },
    Site {
        path: "spec.behavior[].selector",
        doc: "$Hspec: {duration: 1m, behavior: [{selector: {@}}]}",
        base: &[
            ("matchLabels", "{a: b}"),
            ("matchExpressions", "[{key: a, operator: Exists}]"),
        ],
    },
    Site {
        path: "spec.behavior[].selector.matchExpressions[]",
        doc: "$Hspec: {duration: 1m, behavior: [{selector: {matchExpressions: [{@}]}}]}",
        base: &[("key", "a"), ("operator", "In"), ("values", "[b]")],
    },
    Site {
        path: "spec.borg",
        doc: "$Hspec: {duration: 1m, borg: {@}}",
        base: &[("bands", "{}"), ("reclamation", "{}")],
    },
    Site {
        path: "spec.borg.reclamation",
        doc: "$Hspec: {duration: 1m, borg: {reclamation: {@}}}",
        base: &[
            ("startupGrace", "5m"),
            ("period", "10s"),
            ("decayPercent", "5"),
            ("safetyMarginPercent", "10"),
        ],
    },
    Site {
        path: "spec.borg.bands",
        doc: "$Hspec: {duration: 1m, borg: {bands: {@}}}",
        base: &[("monitoring", "100"), ("production", "10"), ("batch", "1")],
    },
    Site {
        path: "spec.timeline[]",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{@}]}",
        base: &[("at", "1s"), ("cordon", "{node: p-0}")],
    },
    Site {
        path: "spec.timeline[].delete",
        doc: "$Hspec: {duration: 1m, timeline: [{at: 1s, delete: {@}}]}",
        base: &[
            ("kind", "Pod"),
            ("name", "x"),
            ("namespace", "default"),
            ("propagationPolicy", "Foreground"),
        ],
    },
    Site {
        path: "spec.timeline[].scale",
        doc: "$Hspec: {duration: 1m, timeline: [{at: 1s, scale: {@}}]}",
        base: &[
            ("kind", "deploy"),
            ("name", "x"),
            ("namespace", "default"),
            ("replicas", "2"),
        ],
    },
    Site {
        path: "spec.timeline[].cordon",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{at: 1s, cordon: {@}}]}",
        base: NODE,
    },
    Site {
        path: "spec.timeline[].uncordon",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{at: 1s, uncordon: {@}}]}",
        base: NODE,
    },
    Site {
        path: "spec.timeline[].failNode",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{at: 1s, failNode: {@}}]}",
        base: NODE,
    },
    Site {
        path: "spec.timeline[].recoverNode",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{at: 1s, recoverNode: {@}}]}",
        base: NODE,
    },
    Site {
        path: "spec.timeline[].drain",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{at: 1s, drain: {@}}]}",
        base: NODE,
    },
    Site {
        path: "spec.timeline[].removeNodes",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{at: 1s, removeNodes: {@}}]}",
        base: &[("names", "[p-0]")],
    },
    Site {
        path: "spec.timeline[].addNodes",
        doc: "$Hspec: {duration: 1m, $P, timeline: [{at: 1s, addNodes: {@}}]}",
        base: &[("pool", "p"), ("count", "2")],
    },
    Site {
        path: "spec.timeline[].setImage",
        doc: "$Hspec: {duration: 1m, timeline: [{at: 1s, setImage: {@}}]}",
        base: &[
            ("kind", "deploy"),
            ("name", "x"),
            ("namespace", "default"),
            ("container", "c"),
            ("image", "\"nginx:1.26\""),
        ],
    },
    Site {
        path: "spec.timeline[].rolloutUndo",
        doc: "$Hspec: {duration: 1m, timeline: [{at: 1s, rolloutUndo: {@}}]}",
        base: &[("name", "x"), ("namespace", "default"), ("toRevision", "2")],
    },
    Site {
        path: "spec.timeline[].setTraffic",
        doc: "$Hspec: {duration: 1m, traffic: [{name: t, service: s, rps: 1}], timeline: [{at: 1s, setTraffic: {@}}]}",
        base: &[("name", "t"), ("rps", "5")],
    },
    Site {
        path: "spec.expect[].deployments",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, deployments: {@}}]}",
        base: DEPLOYMENTS,
    },
    Site {
        path: "spec.expect[].always.deployments",
        doc: "$Hspec: {duration: 1m, expect: [{always: {deployments: {@}}}]}",
        base: DEPLOYMENTS,
    },
    Site {
        path: "spec.expect[].end.deployments",
        doc: "$Hspec: {duration: 1m, expect: [{end: {deployments: {@}}}]}",
        base: DEPLOYMENTS,
    },
    Site {
        path: "spec.expect[]",
        doc: "$Hspec: {duration: 1m, expect: [{@}]}",
        base: &[("at", "1s"), ("pods", "{count: 0}")],
    },
    Site {
        path: "spec.expect[].always",
        doc: "$Hspec: {duration: 1m, expect: [{always: {@}}]}",
        base: &[("pending", "{max: 0}")],
    },
    Site {
        path: "spec.expect[].end",
        doc: "$Hspec: {duration: 1m, expect: [{end: {@}}]}",
        base: &[("pending", "{max: 0}")],
    },
    Site {
        path: "spec.expect[].pods",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, pods: {@}}]}",
        base: PODS,
    },
    Site {
        path: "spec.expect[].always.pods",
        doc: "$Hspec: {duration: 1m, expect: [{always: {pods: {@}}}]}",
        base: PODS,
    },
    Site {
        path: "spec.expect[].end.pods",
        doc: "$Hspec: {duration: 1m, expect: [{end: {pods: {@}}}]}",
        base: PODS,
    },
    Site {
        path: "spec.expect[].jobs",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, jobs: {@}}]}",
        base: JOBS,
    },
    Site {
        path: "spec.expect[].always.jobs",
        doc: "$Hspec: {duration: 1m, expect: [{always: {jobs: {@}}}]}",
        base: JOBS,
    },
    Site {
        path: "spec.expect[].end.jobs",
        doc: "$Hspec: {duration: 1m, expect: [{end: {jobs: {@}}}]}",
        base: JOBS,
    },
    Site {
        path: "spec.expect[].events",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, events: {@}}]}",
        base: EVENTS,
    },
    Site {
        path: "spec.expect[].always.events",
        doc: "$Hspec: {duration: 1m, expect: [{always: {events: {@}}}]}",
        base: EVENTS,
    },
    Site {
        path: "spec.expect[].end.events",
        doc: "$Hspec: {duration: 1m, expect: [{end: {events: {@}}}]}",
        base: EVENTS,
    },
    Site {
        path: "spec.expect[].pending",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, pending: {@}}]}",
        base: &[("max", "0")],
    },
    Site {
        path: "spec.expect[].always.pending",
        doc: "$Hspec: {duration: 1m, expect: [{always: {pending: {@}}}]}",
        base: &[("max", "0")],
    },
    Site {
        path: "spec.expect[].end.pending",
        doc: "$Hspec: {duration: 1m, expect: [{end: {pending: {@}}}]}",
        base: &[("max", "0")],
    },
    Site {
        path: "spec.expect[].serviceSuccessRate",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, serviceSuccessRate: {@}}]}",
        base: SERVICE_RATE,
    },
    Site {
        path: "spec.expect[].always.serviceSuccessRate",
        doc: "$Hspec: {duration: 1m, expect: [{always: {serviceSuccessRate: {@}}}]}",
        base: SERVICE_RATE,
    },
    Site {
        path: "spec.expect[].end.serviceSuccessRate",
        doc: "$Hspec: {duration: 1m, expect: [{end: {serviceSuccessRate: {@}}}]}",
        base: SERVICE_RATE,
    },
    Site {
        path: "spec.expect[].serviceRequests",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, serviceRequests: {@}}]}",
        base: SERVICE_COUNT,
    },
    Site {
        path: "spec.expect[].always.serviceRequests",
        doc: "$Hspec: {duration: 1m, expect: [{always: {serviceRequests: {@}}}]}",
        base: SERVICE_COUNT,
    },
    Site {
        path: "spec.expect[].end.serviceRequests",
        doc: "$Hspec: {duration: 1m, expect: [{end: {serviceRequests: {@}}}]}",
        base: SERVICE_COUNT,
    },
    Site {
        path: "spec.expect[].serviceLatency",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, serviceLatency: {@}}]}",
        base: SERVICE_LATENCY,
    },
    Site {
        path: "spec.expect[].always.serviceLatency",
        doc: "$Hspec: {duration: 1m, expect: [{always: {serviceLatency: {@}}}]}",
        base: SERVICE_LATENCY,
    },
    Site {
        path: "spec.expect[].end.serviceLatency",
        doc: "$Hspec: {duration: 1m, expect: [{end: {serviceLatency: {@}}}]}",
        base: SERVICE_LATENCY,
    },
    Site {
        path: "spec.expect[].serviceClientSwitches",
        doc: "$Hspec: {duration: 1m, expect: [{at: 1s, serviceClientSwitches: {@}}]}",
        base: SERVICE_COUNT,
    },
    Site {
        path: "spec.expect[].always.serviceClientSwitches",
        doc: "$Hspec: {duration: 1m, expect: [{always: {serviceClientSwitches: {@}}}]}",
        base: SERVICE_COUNT,
    },
    Site {
        path: "spec.expect[].end.serviceClientSwitches",
        doc: "$Hspec: {duration: 1m, expect: [{end: {serviceClientSwitches: {@}}}]}",
        base: SERVICE_COUNT,
    },
];

/// Schema definitions that are not scenario structs, so have no probe site.
const NOT_PROBED: &[(&str, &str)] = &[
    (
        "#/$defs/KubeObject",
        "Kubernetes objects accept and ignore unused fields",
    ),
    (
        "#/$defs/NodeObject",
        "Kubernetes objects accept and ignore unused fields",
    ),
    (
        "#/$defs/FileRef",
        "recognised by shape: a mapping whose only key is `file`",
    ),
];

/// Scenario fields kept raw by serde and decoded elsewhere (or, for `scheduler`, not at all):
/// the loader's `--verbose` list names them although they are used. Exempt from "ignored".
const RAW_FIELDS: &[&str] = &[
    "spec.scheduler",
    "spec.objects",
    "spec.timeline",
    "spec.cluster.nodes",
];

const MADE_UP: &str = "zzNotAField";

impl Site {
    /// The document with `probe` (if any) as the first entry of the site's mapping.
    fn render(&self, probe: Option<(&str, &str)>) -> String {
        let mut entries: Vec<String> = probe.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        for (k, v) in self.base {
            if probe.is_none_or(|(p, _)| p != *k) {
                entries.push(format!("{k}: {v}"));
            }
        }
        self.doc
            .replace("$H", HEAD)
            .replace("$P", POOL)
            .replace('@', &entries.join(", "))
    }

    /// The path of the probed mapping as the loader reports ignored fields.
    fn concrete(&self, key: &str) -> String {
        let p = self.path.replace("[]", "[0]");
        if p.is_empty() {
            key.to_string()
        } else {
            format!("{p}.{key}")
        }
    }
}

fn is_unknown_field(err: &str, key: &str) -> bool {
    err.contains(&format!("unknown field `{key}`"))
        || err.contains(&format!("unknown timeline field `{key}`"))
}

/// The field names a "unknown field" error lists (serde's "expected one of `a`, `b`" and the
/// timeline's "expected `at` or one action of: apply, delete, ...").
fn expected_fields(err: &str) -> BTreeSet<String> {
    let tail = err.split_once("expected").map_or("", |(_, t)| t);
    let mut out: BTreeSet<String> = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    if let Some((_, actions)) = tail.split_once("one action of: ") {
        out.extend(actions.split(',').map(|s| s.trim().to_string()));
    }
    out
}

fn ignored_paths(s: &Scenario) -> BTreeSet<String> {
    s.ignored.iter().map(|(p, _)| p.clone()).collect()
}

/// Every object schema (one with `properties`) by YAML path, following `$ref`, `items` and
/// `anyOf`/`oneOf`/`allOf`.
fn object_schemas<'a>(
    root: &'a Value,
    s: &'a Value,
    path: &str,
    out: &mut BTreeMap<String, &'a Value>,
    stack: &mut Vec<&'a str>,
) {
    let Some(o) = s.as_object() else { return };
    if let Some(r) = o.get("$ref").and_then(Value::as_str) {
        if !NOT_PROBED.iter().any(|(d, _)| *d == r) && !stack.contains(&r) {
            stack.push(r);
            object_schemas(root, resolve(root, r), path, out, stack);
            stack.pop();
        }
    }
    if let Some(props) = o.get("properties").and_then(Value::as_object) {
        assert!(
            out.insert(path.to_string(), s).is_none(),
            "two object schemas describe `{path}`: merge them"
        );
        for (k, v) in props {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            object_schemas(root, v, &p, out, stack);
        }
    }
    if let Some(items) = o.get("items") {
        object_schemas(root, items, &format!("{path}[]"), out, stack);
    }
    for kw in ["anyOf", "oneOf", "allOf"] {
        for b in o.get(kw).and_then(Value::as_array).into_iter().flatten() {
            object_schemas(root, b, path, out, stack);
        }
    }
}

#[test]
fn schema_fields_are_exactly_the_fields_cellsim_accepts() {
    let root = schema();
    let mut objects = BTreeMap::new();
    object_schemas(&root, &root, "", &mut objects, &mut Vec::new());
    let mut fails = Vec::new();
    for path in objects.keys() {
        if !SITES.iter().any(|s| s.path == path) {
            fails.push(format!(
                "the schema has an object at `{path}` that this test does not probe: add a Site"
            ));
        }
    }
    for site in SITES {
        let at = if site.path.is_empty() {
            "the document root"
        } else {
            site.path
        };
        let Some(s) = objects.get(site.path) else {
            fails.push(format!("Site `{at}`: the schema has no object there"));
            continue;
        };
        let props: BTreeSet<String> = s["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let denies = s.get("additionalProperties") == Some(&Value::Bool(false));
        let base = site.render(None);
        if let Err(e) = load_text(&base) {
            fails.push(format!(
                "Site `{at}`: its base document does not load: {e}\n{base}"
            ));
            continue;
        }
        let errs = validate(&root, &yaml_to_json("probe.yaml", &base));
        if !errs.is_empty() {
            fails.push(format!(
                "Site `{at}`: cellsim loads the base document but the schema rejects it: {}\n{base}",
                errs.join("; ")
            ));
        }
        // Which fields does cellsim take here, and does it reject others?
        let rust: BTreeSet<String> = match load_text(&site.render(Some((MADE_UP, "1")))) {
            Err(e) if is_unknown_field(&e, MADE_UP) => {
                if !denies {
                    fails.push(format!("`{at}`: cellsim rejects unknown fields here ({e}), so the schema must say \"additionalProperties\": false"));
                }
                expected_fields(&e)
            }
            Ok(sc) => {
                if denies {
                    fails.push(format!("`{at}`: the schema says \"additionalProperties\": false, but cellsim accepts and ignores unknown fields here"));
                }
                if !ignored_paths(&sc).contains(&site.concrete(MADE_UP)) {
                    fails.push(format!("`{at}`: cellsim accepted the made-up field `{MADE_UP}` without listing it as ignored"));
                }
                site.base.iter().map(|(k, _)| k.to_string()).collect()
            }
            Err(e) => {
                fails.push(format!(
                    "`{at}`: a made-up field gave an unexpected error: {e}"
                ));
                continue;
            }
        };
        for f in rust.difference(&props) {
            fails.push(format!(
                "`{}`: cellsim accepts this field but the schema does not list it",
                site.concrete(f)
            ));
        }
        for f in props.difference(&rust) {
            fails.push(format!(
                "`{}`: the schema lists this field but cellsim does not accept it",
                site.concrete(f)
            ));
        }
        // Try every schema field in a scenario.
        for k in &props {
            let v = site
                .base
                .iter()
                .find(|(b, _)| b == k)
                .map_or("null", |(_, v)| v);
            match load_text(&site.render(Some((k, v)))) {
                Err(e) if is_unknown_field(&e, k) => fails.push(format!(
                    "`{}`: in the schema, but cellsim says: {e}",
                    site.concrete(k)
                )),
                Ok(sc)
                    if ignored_paths(&sc).contains(&site.concrete(k))
                        && !RAW_FIELDS.contains(&site.concrete(k).as_str()) =>
                {
                    fails.push(format!(
                        "`{}`: in the schema, but cellsim ignores it",
                        site.concrete(k)
                    ))
                }
                _ => {}
            }
        }
    }
    assert!(fails.is_empty(), "\n{}\n", fails.join("\n"));
}

// ------------------------------------------------------------------------------------------
// Documents
// ------------------------------------------------------------------------------------------

#[test]
fn library_scenarios_validate_against_the_schema() {
    let root = schema();
    let dir = format!("{ROOT}/scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let mut checked = 0;
    let mut fails = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        if !text.contains("kind: Scenario") {
            continue;
        }
        let name = p.display().to_string();
        for e in validate(&root, &yaml_to_json(&name, &text)) {
            fails.push(format!("{name}: {e}"));
        }
        checked += 1;
    }
    assert!(checked >= 5, "expected the scenario library in {dir}");
    assert!(fails.is_empty(), "\n{}\n", fails.join("\n"));
}

#[test]
fn the_documented_complete_example_loads_and_validates() {
    let path = format!("{ROOT}/docs/scenario-format.md");
    let md = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let marker = "<!-- complete-example: kept true by core/tests/schema.rs -->";
    let after = md
        .split_once(marker)
        .unwrap_or_else(|| panic!("{path}: marker {marker:?} not found"))
        .1;
    let body = after
        .split_once("```yaml\n")
        .and_then(|(_, b)| b.split_once("```"))
        .expect("a ```yaml block after the marker")
        .0;
    let sc =
        load_text(body).unwrap_or_else(|e| panic!("the documented example does not load: {e}"));
    assert!(!sc.timeline.is_empty() && !sc.expect.is_empty() && !sc.behavior.is_empty());
    let mut sim = cellsim_core::sim::Sim::new(sc, &Default::default());
    sim.run();
    let report = sim.report();
    if let Some(e) = report.expectations.iter().find(|e| !e.passed) {
        panic!(
            "the documented example fails: {} ({})",
            e.description, e.detail
        );
    }
    let errs = validate(&schema(), &yaml_to_json("example", body));
    assert!(
        errs.is_empty(),
        "the documented example: {}",
        errs.join("; ")
    );
}

#[test]
fn schema_and_loader_reject_the_same_mistakes() {
    let root = schema();
    let ok = |spec: &str| format!("{HEAD}spec:\n  duration: 10m\n  {POOL}\n{spec}");
    let cases = [
        ("misspelled spec field", ok("  timline: []\n")),
        ("duration with a space", ok("  expect: [{at: 5 m, pending: {max: 0}}]\n")),
        ("duration with an unknown unit", ok("  expect: [{at: 1d, pending: {max: 0}}]\n")),
        ("bad quantity", format!("{HEAD}spec:\n  duration: 1m\n  cluster: {{nodePools: [{{name: p, count: 1, allocatable: {{memory: 1Gb}}}}]}}\n")),
        ("pool name not a DNS label", format!("{HEAD}spec:\n  duration: 1m\n  cluster: {{nodePools: [{{name: Pool_A, count: 1, allocatable: {{cpu: 1}}}}]}}\n")),
        ("pool count too large", format!("{HEAD}spec:\n  duration: 1m\n  cluster: {{nodePools: [{{name: p, count: 100001, allocatable: {{cpu: 1}}}}]}}\n")),
        ("unknown taint effect", format!("{HEAD}spec:\n  duration: 1m\n  cluster: {{nodePools: [{{name: p, count: 1, allocatable: {{cpu: 1}}, taints: [{{key: k, effect: NoRun}}]}}]}}\n")),
        ("two actions in one entry", ok("  timeline: [{at: 1m, cordon: {node: p-0}, uncordon: {node: p-0}}]\n")),
        ("timeline entry without at", ok("  timeline: [{cordon: {node: p-0}}]\n")),
        ("timeline entry without an action", ok("  timeline: [{at: 1m}]\n")),
        ("unknown timeline action", ok("  timeline: [{at: 1m, setReplicas: {name: web, replicas: 1}}]\n")),
        ("setTraffic by service instead of name", ok("  traffic: [{service: web, rps: 1}]\n  timeline: [{at: 1m, setTraffic: {service: web, rps: 2}}]\n")),
        ("setTraffic with a negative rate", ok("  traffic: [{service: web, rps: 1}]\n  timeline: [{at: 1m, setTraffic: {name: web, rps: -2}}]\n")),
        ("removeNodes without names", ok("  timeline: [{at: 1m, removeNodes: {names: []}}]\n")),
        ("removeNodes naming a node twice", ok("  timeline: [{at: 1m, removeNodes: {names: [p-0, p-0]}}]\n")),
        ("negative replicas", ok("  timeline: [{at: 1m, scale: {kind: Deployment, name: x, replicas: -1}}]\n")),
        ("count and min together", ok("  expect: [{at: 1m, pods: {count: 1, min: 1}}]\n")),
        ("pods without a bound", ok("  expect: [{at: 1m, pods: {selector: app=x}}]\n")),
        ("unknown phase", ok("  expect: [{at: 1m, pods: {phase: running, count: 1}}]\n")),
        ("at and always together", ok("  expect: [{at: 1m, always: {pending: {max: 0}}}]\n")),
        ("always with two checks", ok("  expect: [{always: {pending: {max: 0}, pods: {count: 1}}}]\n")),
        ("unknown job condition", ok("  expect: [{at: 1m, jobs: {condition: Done, count: 1}}]\n")),
        ("job reason without condition", ok("  expect: [{at: 1m, jobs: {reason: DeadlineExceeded, count: 1}}]\n")),
        ("events without a type", ok("  expect: [{at: 1m, events: {count: 1}}]\n")),
        ("events without a bound", ok("  expect: [{at: 1m, events: {type: Killing}}]\n")),
        ("unknown propagation policy", ok("  timeline: [{at: 1s, delete: {kind: deploy, name: x, propagationPolicy: Cascade}}]\n")),
        ("setImage without an image", ok("  timeline: [{at: 1s, setImage: {kind: deploy, name: x, container: c}}]\n")),
        ("rolloutUndo to a negative revision", ok("  timeline: [{at: 1s, rolloutUndo: {name: x, toRevision: -1}}]\n")),
        ("from beside at", ok("  expect: [{at: 1m, from: 30s, pending: {max: 0}}]\n")),
        ("unknown deployment condition", ok("  expect: [{at: 1m, deployments: {condition: Complete, count: 1}}]\n")),
        ("deployment status without condition", ok("  expect: [{at: 1m, deployments: {status: \"True\", count: 1}}]\n")),
        ("traffic entry without rps", ok("  traffic: [{service: web}]\n")),
        ("traffic entry with service and ingress", ok("  traffic: [{service: web, ingress: {host: a.example.com}, rps: 1}]\n")),
        ("traffic entry with neither service nor ingress", ok("  traffic: [{rps: 1}]\n")),
        ("via on an ingress entry", ok("  traffic: [{ingress: {host: a.example.com}, via: nodePort, rps: 1}]\n")),
        ("unknown via", ok("  traffic: [{service: web, via: hostPort, rps: 1}]\n")),
        ("negative rps", ok("  traffic: [{service: web, rps: -1}]\n")),
        ("negative rps as a string", ok("  traffic: [{service: web, rps: \"-5\"}]\n")),
        ("no clients", ok("  traffic: [{service: web, rps: 1, clients: 0}]\n")),
        ("ingress without a host", ok("  traffic: [{ingress: {path: /}, rps: 1}]\n")),
        ("unknown proxy mode", ok("  network: {proxyMode: userspace}\n")),
        ("unknown IPVS scheduler", ok("  network: {proxyMode: ipvs, ipvsScheduler: wrr}\n")),
        ("latencyAfter without a latency", ok("  behavior: [{selector: {}, latencyAfter: {at: 1m}}]\n")),
        ("call without a service", ok("  behavior: [{selector: {}, calls: [{timeout: 1s}]}]\n")),
        ("success rate as a percentage", ok("  expect: [{end: {serviceSuccessRate: {service: web, min: 99.9}}}]\n")),
        ("success rate without a bound", ok("  expect: [{at: 1m, serviceSuccessRate: {service: web}}]\n")),
        ("serviceRequests with count and max", ok("  expect: [{at: 1m, serviceRequests: {service: web, count: 1, max: 2}}]\n")),
        ("serviceClientSwitches without a service", ok("  expect: [{always: {serviceClientSwitches: {max: 0}}}]\n")),
        ("latency percentile 0", ok("  expect: [{end: {serviceLatency: {service: web, percentile: 0, maxMs: 10}}}]\n")),
        ("latency without a bound", ok("  expect: [{end: {serviceLatency: {service: web, percentile: 50}}}]\n")),
        ("latency in seconds", ok("  expect: [{end: {serviceLatency: {service: web, max: 1s}}}]\n")),
        ("unknown kind", ok("  objects: [{apiVersion: v1, kind: Pdo, metadata: {name: x}}]\n")),
        ("wrong apiVersion", ok("  objects: [{apiVersion: extensions/v1beta1, kind: Deployment, metadata: {name: x}}]\n")),
        ("wrong scenario apiVersion", ok("").replace("cellsim.dev/v1alpha1", "cellsim.dev/v1")),
        ("reclamation that never decays", ok("  borg: {reclamation: {decayPercent: 0}}\n")),
        ("reclamation margin above 100%", ok("  borg: {reclamation: {safetyMarginPercent: 150}}\n")),
        ("usageAfter without a usage", ok("  behavior: [{selector: {}, usageAfter: {at: 1m}}]\n")),
    ];
    let mut fails = Vec::new();
    for (what, doc) in &cases {
        if load_text(doc).is_ok() {
            fails.push(format!("{what}: cellsim accepts it (fix the case)\n{doc}"));
        }
        if validate(&root, &yaml_to_json("case", doc)).is_empty() {
            fails.push(format!(
                "{what}: cellsim rejects it but the schema accepts it\n{doc}"
            ));
        }
    }
    assert!(fails.is_empty(), "\n{}\n", fails.join("\n"));
}

// ------------------------------------------------------------------------------------------
// Patterns, kinds, enums
// ------------------------------------------------------------------------------------------

fn def<'a>(root: &'a Value, name: &str) -> &'a Value {
    &root["$defs"][name]
}

#[test]
fn patterns_agree_with_the_parsers() {
    let root = schema();
    let duration = Regex::new(
        def(&root, "Duration")["anyOf"][0]["pattern"]
            .as_str()
            .unwrap(),
    );
    // "1.5us" is the one string the pattern cannot judge: durations must add up to whole ms.
    for s in [
        "0",
        "1s",
        "90s",
        "5m",
        "1h30m",
        "1.5s",
        ".5s",
        "5.s",
        "+5s",
        "100ms",
        "2000us",
        "2000000ns",
        "10.5s4m",
        "1h2m3s4ms",
        "39h9m14.425s",
        "",
        "3",
        "-5s",
        "s",
        ".s",
        "1d",
        "1 s",
        "+0",
        "5m-3s",
        "1h 30m",
        "0s",
        "00",
        "1S",
    ] {
        let (re, parser) = (duration.is_match(s), Duration::parse(s).is_ok());
        assert_eq!(
            re, parser,
            "duration {s:?}: schema pattern says {re}, Duration::parse says {parser}"
        );
    }
    let quantity = Regex::new(def(&root, "Quantity")["pattern"].as_str().unwrap());
    for s in [
        "1", "0.5", "500m", "1Gi", "16Gi", "110", "1e3", "1E3", "+1", "-1", ".5", "1.", "100n",
        "1u", "2k", "1M", "1Ki", "1Ei", "1e-3", "1.5e+3", "", "1Gb", "1 Gi", "Pi", "1ki", "1.2.3",
        "abc", "1i", "0.1mi", "1KiB", "--1",
    ] {
        let (re, parser) = (quantity.is_match(s), Quantity::parse(s).is_ok());
        assert_eq!(
            re, parser,
            "quantity {s:?}: schema pattern says {re}, Quantity::parse says {parser}"
        );
    }
    // Rates (rps, capacityRps): the quantity pattern without a minus sign.
    let rate = Regex::new(
        def(&root, "NonNegativeQuantity")["pattern"]
            .as_str()
            .unwrap(),
    );
    for s in [
        "200", "2.5", "100k", "500m", "+1", "1e3", "0", "-1", "-0.5", "-1k", "", "1 k", "abc",
    ] {
        let (re, parser) = (
            rate.is_match(s),
            Quantity::parse(s).is_ok_and(|q| !q.is_negative()),
        );
        assert_eq!(
            re, parser,
            "rate {s:?}: schema pattern says {re}, Quantity::parse (not negative) says {parser}"
        );
    }
    // Documented gaps (docs/scenario-format.md): upstream's parser takes a bare suffix ("Gi" is
    // 0) and rejects a fractional exponent, where upstream's CRD pattern does the opposite.
    for (s, re, parser) in [
        ("Gi", false, true),
        ("m", false, true),
        ("1e3.5", true, false),
    ] {
        assert_eq!(
            (quantity.is_match(s), Quantity::parse(s).is_ok()),
            (re, parser),
            "{s:?}"
        );
    }
    let pool = &def(&root, "NodePool")["properties"]["name"];
    let label = Regex::new(pool["pattern"].as_str().unwrap());
    let max = pool["maxLength"].as_u64().unwrap() as usize;
    let long = "a".repeat(64);
    for s in [
        "p", "pool-a", "a1", "0", "Pool", "-a", "a-", "a_b", "", "a.b", &long,
    ] {
        let re = label.is_match(s) && s.chars().count() <= max;
        let rust = cellsim_core::api::validate::dns1123_label(s).is_none();
        assert_eq!(
            re, rust,
            "pool name {s:?}: schema says {re}, dns1123_label says {rust}"
        );
    }
}

#[test]
fn kinds_and_enums_agree_with_the_model() {
    let root = schema();
    let mut modelled = BTreeMap::new();
    let mut accepted = BTreeSet::new();
    let mut list = false;
    for b in def(&root, "KubeObject")["anyOf"].as_array().unwrap() {
        let api = b["properties"]["apiVersion"]["const"].as_str();
        let kind = &b["properties"]["kind"];
        if kind["const"] == "List" {
            list = api == Some("v1");
            continue;
        }
        for k in kind["enum"].as_array().unwrap() {
            let k = k.as_str().unwrap().to_string();
            match api {
                Some(a) => assert!(modelled.insert(k, a.to_string()).is_none()),
                None => assert!(accepted.insert(k)),
            }
        }
    }
    assert!(list, "KubeObject must accept a v1 List");
    let want: BTreeMap<String, String> = Kind::ALL
        .iter()
        .map(|k| (k.name().to_string(), k.api_version().to_string()))
        .collect();
    assert_eq!(
        modelled, want,
        "modelled kinds and their apiVersions (core/src/api/kind.rs)"
    );
    let want: BTreeSet<String> = ACCEPTED_UNMODELLED.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        accepted, want,
        "accepted-and-ignored kinds (ACCEPTED_UNMODELLED)"
    );

    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        strings(&def(&root, "Taint")["properties"]["effect"]["enum"]),
        TAINT_EFFECTS.to_vec()
    );
    for p in strings(&def(&root, "PodsCondition")["properties"]["phase"]["enum"]) {
        assert!(PodPhase::parse(&p).is_some(), "phase {p}");
    }
    let d = &def(&root, "DeploymentsCondition")["properties"];
    assert_eq!(
        strings(&d["condition"]["enum"]),
        DEPLOYMENT_CONDITIONS.to_vec()
    );
    assert_eq!(strings(&d["status"]["enum"]), CONDITION_STATUSES.to_vec());
    let network = &root["properties"]["spec"]["properties"]["network"]["properties"];
    for m in strings(&network["proxyMode"]["enum"]) {
        assert!(ProxyMode::parse(&m, "").is_ok(), "proxyMode {m}");
    }
    for sch in strings(&network["ipvsScheduler"]["enum"]) {
        assert!(
            ProxyMode::parse("ipvs", &sch).is_ok(),
            "ipvsScheduler {sch}"
        );
    }
    assert!(ProxyMode::parse("userspace", "").is_err() && ProxyMode::parse("ipvs", "wrr").is_err());
    let via = strings(&def(&root, "TrafficEntry")["properties"]["via"]["enum"]);
    for v in &via {
        assert!(Via::parse(v).is_some(), "via {v}");
    }
    assert_eq!(via.len(), 3, "clusterIP, nodePort, loadBalancer");
    let actions: Vec<String> = def(&root, "TimelineEntry")["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["required"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        ACTIONS.to_vec(),
        "one oneOf branch per timeline action, in order"
    );
}

// ------------------------------------------------------------------------------------------
// A minimal JSON Schema validator (the subset the scenario schema uses)
// ------------------------------------------------------------------------------------------

const ANNOTATIONS: &[&str] = &["$schema", "$id", "$defs", "title", "description", "default"];

/// Every keyword in the schema is one `check` implements, and (for editors that read the schema
/// with draft-07 semantics, where `$ref` siblings are ignored) nothing but annotations sits
/// beside a `$ref`.
#[test]
fn schema_uses_only_keywords_the_validator_implements() {
    fn scan(s: &Value, at: &str, fails: &mut Vec<String>) {
        let Some(o) = s.as_object() else { return };
        for (k, v) in o {
            let here = format!("{at}/{k}");
            match k.as_str() {
                "properties" | "$defs" => {
                    for (name, sub) in v.as_object().unwrap() {
                        scan(sub, &format!("{here}/{name}"), fails);
                    }
                }
                "items" | "not" | "additionalProperties" => scan(v, &here, fails),
                "anyOf" | "oneOf" => {
                    for (i, sub) in v.as_array().unwrap().iter().enumerate() {
                        scan(sub, &format!("{here}/{i}"), fails);
                    }
                }
                "$ref" | "type" | "const" | "enum" | "pattern" | "maxLength" | "minimum"
                | "maximum" | "required" | "minItems" | "uniqueItems" => {}
                k if ANNOTATIONS.contains(&k) => {}
                k => fails.push(format!(
                    "{here}: keyword `{k}` is not implemented by `check`"
                )),
            }
            if k != "$ref" && o.contains_key("$ref") && !ANNOTATIONS.contains(&k.as_str()) {
                fails.push(format!(
                    "{here}: beside a $ref (ignored by draft-07 editors)"
                ));
            }
        }
    }
    let root = schema();
    assert_eq!(
        root["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let mut fails = Vec::new();
    scan(&root, "#", &mut fails);
    assert!(fails.is_empty(), "\n{}\n", fails.join("\n"));
}

fn resolve<'a>(root: &'a Value, r: &str) -> &'a Value {
    let ptr = r.strip_prefix('#').expect("only local $ref");
    root.pointer(ptr)
        .unwrap_or_else(|| panic!("dangling $ref {r}"))
}

/// Errors of `x` against the whole schema, each with the path of the offending value.
fn validate(root: &Value, x: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    check(root, root, x, "", &mut errs);
    errs
}

fn matches(root: &Value, s: &Value, x: &Value) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    check(root, s, x, "", &mut errs);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

fn is_type(x: &Value, t: &str) -> bool {
    match t {
        "object" => x.is_object(),
        "array" => x.is_array(),
        "string" => x.is_string(),
        "boolean" => x.is_boolean(),
        "null" => x.is_null(),
        "number" => x.is_number(),
        "integer" => x.is_i64() || x.is_u64() || x.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => panic!("unknown type {t:?} in the schema"),
    }
}

fn num(v: &Value) -> f64 {
    v.as_i64()
        .map(|i| i as f64)
        .or_else(|| v.as_u64().map(|u| u as f64))
        .or_else(|| v.as_f64())
        .unwrap()
}

fn check(root: &Value, s: &Value, x: &Value, at: &str, errs: &mut Vec<String>) {
    let Some(s) = s.as_object() else { return };
    let here = if at.is_empty() { "(root)" } else { at };
    let child = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    for (kw, v) in s {
        match kw.as_str() {
            "$ref" => check(root, resolve(root, v.as_str().unwrap()), x, at, errs),
            "type" => {
                let ok = match v {
                    Value::Array(ts) => ts.iter().any(|t| is_type(x, t.as_str().unwrap())),
                    t => is_type(x, t.as_str().unwrap()),
                };
                if !ok {
                    errs.push(format!("{here}: expected type {v}, found {x}"));
                }
            }
            "const" if x != v => errs.push(format!("{here}: expected {v}, found {x}")),
            "enum" if !v.as_array().unwrap().contains(x) => {
                errs.push(format!("{here}: {x} is not one of {v}"))
            }
            "pattern" => {
                if let Some(t) = x.as_str() {
                    if !Regex::new(v.as_str().unwrap()).is_match(t) {
                        errs.push(format!("{here}: {t:?} does not match {v}"));
                    }
                }
            }
            "maxLength" => {
                if x.as_str().is_some_and(|t| t.chars().count() as u64 > v.as_u64().unwrap()) {
                    errs.push(format!("{here}: longer than {v} characters"));
                }
            }
            "minimum" if x.is_number() && num(x) < num(v) => {
                errs.push(format!("{here}: {x} is less than {v}"))
            }
            "maximum" if x.is_number() && num(x) > num(v) => {
                errs.push(format!("{here}: {x} is greater than {v}"))
            }
            "properties" => {
                for (k, sub) in v.as_object().unwrap() {
                    if let Some(xv) = x.get(k).filter(|_| x.is_object()) {
                        check(root, sub, xv, &child(k), errs);
                    }
                }
            }
            "required" => {
                if let Some(o) = x.as_object() {
                    for k in v.as_array().unwrap() {
                        if !o.contains_key(k.as_str().unwrap()) {
                            errs.push(format!("{here}: missing required field {k}"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                let known = s.get("properties").and_then(Value::as_object);
                for (k, xv) in x.as_object().into_iter().flatten() {
                    if known.is_some_and(|p| p.contains_key(k)) {
                        continue;
                    }
                    match v {
                        Value::Bool(false) => errs.push(format!("{here}: unknown field `{k}`")),
                        sub => check(root, sub, xv, &child(k), errs),
                    }
                }
            }
            "minItems" => {
                if x.as_array().is_some_and(|a| (a.len() as u64) < v.as_u64().unwrap()) {
                    errs.push(format!("{here}: fewer than {v} items"));
                }
            }
            "uniqueItems" => {
                if let (Some(a), Some(true)) = (x.as_array(), v.as_bool()) {
                    if a.iter().enumerate().any(|(i, y)| a[..i].contains(y)) {
                        errs.push(format!("{here}: items are not unique"));
                    }
                }
            }
            "items" => {
                for (i, xv) in x.as_array().into_iter().flatten().enumerate() {
                    check(root, v, xv, &format!("{at}[{i}]"), errs);
                }
            }
            "anyOf" | "oneOf" => {
                let results: Vec<_> = v.as_array().unwrap().iter().map(|b| matches(root, b, x)).collect();
                let n = results.iter().filter(|r| r.is_ok()).count();
                if n == 0 {
                    // Report the branch that came closest.
                    let best = results.into_iter().filter_map(Result::err).min_by_key(Vec::len).unwrap();
                    errs.push(format!("{here}: matches no allowed shape; closest: {}", best.join("; ")));
                } else if kw == "oneOf" && n > 1 {
                    errs.push(format!("{here}: matches {n} shapes where exactly one is allowed"));
                }
            }
            "not" => {
                if matches(root, v, x).is_ok() {
                    errs.push(format!("{here}: matches the disallowed shape {v}"));
                }
            }
            k if ANNOTATIONS.contains(&k) => {}
            "const" | "enum" | "minimum" | "maximum" => {}
            other => panic!("the schema uses `{other}`, which this test's validator does not implement: extend `check`"),
        }
    }
}

/// A backtracking matcher for the regex subset the schema uses: literals, `.`, classes
/// (`[a-z]`, `[^ ]`), escapes (`\.`, `\+`, `\t`, `\d`, `\s`, `\S`), groups, `|`, `?`, `*`, `+`,
/// `^`, `$`. Unanchored, as JSON Schema's `pattern`.
enum Re {
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    Seq(Vec<Re>),
    Alt(Vec<Re>),
    Rep(Box<Re>, usize, usize),
}

struct Regex(Re);

const SPACE: &[(char, char)] = &[(' ', ' '), ('\t', '\r')];

impl Regex {
    fn new(p: &str) -> Regex {
        let chars: Vec<char> = p.chars().collect();
        let mut i = 0;
        let re = Self::alt(&chars, &mut i);
        assert_eq!(i, chars.len(), "pattern {p:?}: unsupported syntax at {i}");
        Regex(re)
    }

    fn alt(p: &[char], i: &mut usize) -> Re {
        let mut alts = vec![Self::seq(p, i)];
        while p.get(*i) == Some(&'|') {
            *i += 1;
            alts.push(Self::seq(p, i));
        }
        Re::Alt(alts)
    }

    fn seq(p: &[char], i: &mut usize) -> Re {
        let mut items = Vec::new();
        while let Some(&c) = p.get(*i) {
            if c == '|' || c == ')' {
                break;
            }
            *i += 1;
            let atom = match c {
                '(' => {
                    let r = Self::alt(p, i);
                    assert_eq!(p.get(*i), Some(&')'), "unbalanced group");
                    *i += 1;
                    r
                }
                '[' => {
                    let neg = p.get(*i) == Some(&'^');
                    *i += usize::from(neg);
                    let mut set = Vec::new();
                    while p[*i] != ']' {
                        let lo = Self::class_char(p, i, &mut set);
                        if let (Some(lo), Some('-'), Some(&hi)) = (lo, p.get(*i), p.get(*i + 1)) {
                            if hi != ']' {
                                *i += 2;
                                set.push((lo, hi));
                                continue;
                            }
                        }
                        set.extend(lo.map(|c| (c, c)));
                    }
                    *i += 1;
                    Re::Class(set, neg)
                }
                '^' => Re::Start,
                '$' => Re::End,
                '.' => Re::Class(vec![], true),
                '\\' => {
                    *i += 1;
                    match p[*i - 1] {
                        'd' => Re::Class(vec![('0', '9')], false),
                        's' => Re::Class(SPACE.to_vec(), false),
                        'S' => Re::Class(SPACE.to_vec(), true),
                        c => Re::Class(vec![(Self::escape(c), Self::escape(c))], false),
                    }
                }
                c => Re::Class(vec![(c, c)], false),
            };
            let (min, max) = match p.get(*i) {
                Some('?') => (0, 1),
                Some('*') => (0, usize::MAX),
                Some('+') => (1, usize::MAX),
                _ => {
                    items.push(atom);
                    continue;
                }
            };
            *i += 1;
            items.push(Re::Rep(Box::new(atom), min, max));
        }
        Re::Seq(items)
    }

    /// One class member: a char, or (for `\d`, `\s`) ranges pushed directly (returns None).
    fn class_char(p: &[char], i: &mut usize, set: &mut Vec<(char, char)>) -> Option<char> {
        let c = p[*i];
        *i += 1;
        if c != '\\' {
            return Some(c);
        }
        *i += 1;
        match p[*i - 1] {
            'd' => set.push(('0', '9')),
            's' => set.extend_from_slice(SPACE),
            e => return Some(Self::escape(e)),
        }
        None
    }

    fn escape(c: char) -> char {
        match c {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            c if c.is_ascii_alphanumeric() => panic!("unsupported escape \\{c}"),
            c => c,
        }
    }

    fn is_match(&self, s: &str) -> bool {
        let s: Vec<char> = s.chars().collect();
        (0..=s.len()).any(|start| Self::m(&self.0, &s, start, &mut |_| true))
    }

    fn m(re: &Re, s: &[char], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match re {
            Re::Start => i == 0 && k(i),
            Re::End => i == s.len() && k(i),
            Re::Class(set, neg) => {
                i < s.len()
                    && set.iter().any(|&(lo, hi)| lo <= s[i] && s[i] <= hi) != *neg
                    && k(i + 1)
            }
            Re::Seq(items) => Self::seq_m(items, s, i, k),
            Re::Alt(alts) => alts.iter().any(|a| Self::m(a, s, i, k)),
            Re::Rep(r, min, max) => Self::rep_m(r, *min, *max, s, i, k),
        }
    }

    fn seq_m(items: &[Re], s: &[char], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match items.split_first() {
            None => k(i),
            Some((first, rest)) => Self::m(first, s, i, &mut |j| Self::seq_m(rest, s, j, k)),
        }
    }

    /// Greedy: one more repetition (if it consumes input), else stop here.
    fn rep_m(
        r: &Re,
        min: usize,
        max: usize,
        s: &[char],
        i: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        (max > 0
            && Self::m(r, s, i, &mut |j| {
                j != i && Self::rep_m(r, min.saturating_sub(1), max - 1, s, j, k)
            }))
            || (min == 0 && k(i))
    }
}
