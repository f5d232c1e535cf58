//! Expectations: assertions over the cluster's state, at a time, at the end, or always.

use super::spec::{
    Condition, DeploymentsCondition, EventsCondition, ExpectEntry, JobsCondition, PendingCondition,
    PodsCondition, ServiceCountCondition, ServiceLatencyCondition, ServiceRateCondition,
};
use crate::api::pod::PodPhase;
use crate::api::selector::Selector;
use crate::api::{Kind, Object};
use crate::engine::trace::EventFilter;
use crate::engine::TraceWriter;
use crate::store::MemoryStore;
use crate::time::Duration;

/// The job conditions a `jobs` check may name (batch/v1 `JobConditionType`).
pub const JOB_CONDITIONS: [&str; 5] = [
    "Complete",
    "Failed",
    "SuccessCriteriaMet",
    "FailureTarget",
    "Suspended",
];

/// The deployment conditions a `deployments` check may name (apps/v1
/// `DeploymentConditionType`).
pub const DEPLOYMENT_CONDITIONS: [&str; 3] = ["Available", "Progressing", "ReplicaFailure"];

/// A condition's status.
pub const CONDITION_STATUSES: [&str; 3] = ["True", "False", "Unknown"];

/// What checks look at: the store and the trace so far (an `events` check reads the count of
/// its filter's watch, which `Sim` registers before the run starts).
pub struct World<'a> {
    pub store: &'a MemoryStore,
    pub trace: &'a TraceWriter,
    /// The traffic model (service checks read its counters; none: no traffic, every service
    /// check sees zero requests).
    pub traffic: Option<&'a crate::net::traffic::Traffic>,
}

/// What a check observed, for its detail line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    Count(u64),
    /// A success rate: successes and requests.
    Rate {
        ok: u64,
        total: u64,
    },
    /// A latency in microseconds.
    Micros(u64),
}

impl std::fmt::Display for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Observed::Count(n) => write!(f, "{n}"),
            Observed::Rate { ok, total } => write!(
                f,
                "{} ({ok} of {total} requests)",
                crate::net::traffic::stats::rate(*total, total - ok)
            ),
            Observed::Micros(us) => write!(f, "{}ms", crate::net::traffic::stats::ms(*us)),
        }
    }
}

/// Which Service a service check reads, and from when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub namespace: String,
    pub name: String,
    pub since: Duration,
}

/// `count` / `min` / `max` of a counting check.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub count: Option<u64>,
    pub min: Option<u64>,
    pub max: Option<u64>,
}

impl Bounds {
    fn holds(&self, n: u64) -> bool {
        self.count.is_none_or(|c| n == c)
            && self.min.is_none_or(|m| n >= m)
            && self.max.is_none_or(|m| n <= m)
    }

    fn describe(&self) -> String {
        match (self.count, self.min, self.max) {
            (Some(n), _, _) => format!(" = {n}"),
            (_, Some(lo), Some(hi)) => format!(" in [{lo}, {hi}]"),
            (_, Some(lo), None) => format!(" >= {lo}"),
            (_, None, Some(hi)) => format!(" <= {hi}"),
            _ => String::new(),
        }
    }

    /// Check `count` / `min` / `max`; an error names the field at fault. `what` is the
    /// check with its article (`a pods`, `an events`).
    fn check(
        what: &str,
        count: Option<u64>,
        min: Option<u64>,
        max: Option<u64>,
    ) -> Result<Bounds, (&'static str, String)> {
        if count.is_none() && min.is_none() && max.is_none() {
            return Err((
                "",
                format!("{what} expectation needs `count`, `min` or `max`"),
            ));
        }
        if count.is_some() && (min.is_some() || max.is_some()) {
            let other = if min.is_some() { "min" } else { "max" };
            return Err((
                other,
                format!(
                    "use either `count` or `min`/`max`, not both (`count` and `{other}` given)"
                ),
            ));
        }
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(("min", format!("min {lo} is greater than max {hi}")));
            }
        }
        Ok(Bounds { count, min, max })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    At(Duration),
    End,
    /// Checked after every instant of simulated time settles.
    Always,
}

#[derive(Debug, Clone)]
pub enum Check {
    Pods {
        selector: Selector,
        selector_text: String,
        namespace: Option<String>,
        phase: Option<PodPhase>,
        ready: Option<bool>,
        name_prefix: Option<String>,
        node: Option<String>,
        restarts: Option<u64>,
        status: Option<String>,
        termination_reason: Option<String>,
        terminating: Option<bool>,
        image: Option<String>,
        bounds: Bounds,
    },
    Pending {
        max: u64,
    },
    Jobs {
        selector: Selector,
        selector_text: String,
        namespace: Option<String>,
        name_prefix: Option<String>,
        condition: Option<String>,
        reason: Option<String>,
        bounds: Bounds,
    },
    /// Trace events so far that match the filter (type; object exact or `prefix*`; message
    /// substring).
    Events {
        filter: EventFilter,
        bounds: Bounds,
    },
    Deployments {
        selector: Selector,
        selector_text: String,
        namespace: Option<String>,
        name_prefix: Option<String>,
        condition: Option<String>,
        status: Option<String>,
        reason: Option<String>,
        revision: Option<u64>,
        bounds: Bounds,
    },
    /// Successes / requests in parts per million, against `min_ppm` / `max_ppm`.
    ServiceSuccessRate {
        svc: ServiceRef,
        min_ppm: Option<u64>,
        max_ppm: Option<u64>,
    },
    ServiceRequests {
        svc: ServiceRef,
        bounds: Bounds,
    },
    ServiceLatency {
        svc: ServiceRef,
        percentile: u64,
        min_ms: Option<u64>,
        max_ms: Option<u64>,
    },
    ServiceClientSwitches {
        svc: ServiceRef,
        bounds: Bounds,
    },
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub when: When,
    /// For `always`: the first simulated time it is checked at.
    pub from: Duration,
    pub check: Check,
    pub description: String,
}

/// Why an entry does not compile: the field at fault, as a dotted path within the entry
/// (`end.pods.phase`; empty for the entry as a whole), and the message.
pub type CompileError = (String, String);

/// Validate an entry and turn it into an `Expectation`.
pub fn compile(e: &ExpectEntry) -> Result<Expectation, CompileError> {
    let whole = |m: &str| (String::new(), m.to_string());
    let beside = e.pods.is_some()
        || e.pending.is_some()
        || e.jobs.is_some()
        || e.events.is_some()
        || e.deployments.is_some()
        || e.service_success_rate.is_some()
        || e.service_requests.is_some()
        || e.service_latency.is_some()
        || e.service_client_switches.is_some();
    let (when, cond, prefix) = match (e.at, &e.always, &e.end) {
        (Some(t), None, None) => (
            When::At(t),
            Condition {
                pods: e.pods.clone(),
                pending: e.pending.clone(),
                jobs: e.jobs.clone(),
                events: e.events.clone(),
                deployments: e.deployments.clone(),
                service_success_rate: e.service_success_rate.clone(),
                service_requests: e.service_requests.clone(),
                service_latency: e.service_latency.clone(),
                service_client_switches: e.service_client_switches.clone(),
            },
            "",
        ),
        (None, Some(c), None) if !beside => (When::Always, c.clone(), "always"),
        (None, None, Some(c)) if !beside => (When::End, c.clone(), "end"),
        _ => {
            return Err(whole(
                "an expectation needs exactly one of `at: DURATION` (with a check such as `pods:` beside it), `always: {...}` or `end: {...}`",
            ))
        }
    };
    let located = |kind: &'static str| {
        move |(field, why): (&'static str, String)| {
            let path = [prefix, kind, field].into_iter().filter(|s| !s.is_empty());
            (path.collect::<Vec<_>>().join("."), why)
        }
    };
    let mut checks: Vec<Result<Check, CompileError>> = Vec::new();
    if let Some(p) = cond.pods {
        checks.push(pods_check(p).map_err(located("pods")));
    }
    if let Some(PendingCondition { max }) = cond.pending {
        checks.push(Ok(Check::Pending { max }));
    }
    if let Some(j) = cond.jobs {
        checks.push(jobs_check(j).map_err(located("jobs")));
    }
    if let Some(ev) = cond.events {
        checks.push(events_check(ev).map_err(located("events")));
    }
    if let Some(d) = cond.deployments {
        checks.push(deployments_check(d).map_err(located("deployments")));
    }
    if let Some(r) = cond.service_success_rate {
        checks.push(rate_check(r).map_err(located("serviceSuccessRate")));
    }
    if let Some(c) = cond.service_requests {
        checks.push(
            count_check(c, "a serviceRequests")
                .map(|(svc, bounds)| Check::ServiceRequests { svc, bounds })
                .map_err(located("serviceRequests")),
        );
    }
    if let Some(l) = cond.service_latency {
        checks.push(latency_check(l).map_err(located("serviceLatency")));
    }
    if let Some(c) = cond.service_client_switches {
        checks.push(
            count_check(c, "a serviceClientSwitches")
                .map(|(svc, bounds)| Check::ServiceClientSwitches { svc, bounds })
                .map_err(located("serviceClientSwitches")),
        );
    }
    if checks.len() != 1 {
        return Err((
            prefix.to_string(),
            "an expectation checks exactly one of `pods`, `pending`, `jobs`, `events`, `deployments`, `serviceSuccessRate`, `serviceRequests`, `serviceLatency` or `serviceClientSwitches`".into(),
        ));
    }
    let check = checks.pop().expect("one")?;
    if e.from.is_some() && when != When::Always {
        return Err((
            "from".into(),
            "`from` only applies to an `always` expectation".into(),
        ));
    }
    let from = e.from.unwrap_or(Duration::ZERO);
    let when_text = match when {
        When::At(t) => format!("at {t}"),
        When::End => "at the end".into(),
        When::Always if from > Duration::ZERO => format!("always from {from}"),
        When::Always => "always".into(),
    };
    let description = format!("{when_text}: {}", describe(&check));
    Ok(Expectation {
        when,
        from,
        check,
        description,
    })
}

/// A `pods` condition as a check; an error names the field at fault (empty: `pods` itself).
fn pods_check(p: PodsCondition) -> Result<Check, (&'static str, String)> {
    let selector = Selector::parse(&p.selector).map_err(|e| {
        (
            "selector",
            format!("invalid pods selector {:?}: {e}", p.selector),
        )
    })?;
    let phase = match &p.phase {
        None => None,
        Some(s) => Some(PodPhase::parse(s).ok_or_else(|| {
            (
                "phase",
                format!(
                    "unknown phase {s:?}: expected Pending, Running, Succeeded, Failed or Unknown"
                ),
            )
        })?),
    };
    let bounds = Bounds::check("a pods", p.count, p.min, p.max)?;
    Ok(Check::Pods {
        selector,
        selector_text: p.selector,
        namespace: p.namespace,
        phase,
        ready: p.ready,
        name_prefix: p.name_prefix,
        node: p.node,
        restarts: p.restarts,
        status: p.status,
        termination_reason: p.termination_reason,
        terminating: p.terminating,
        image: p.image,
        bounds,
    })
}

fn jobs_check(j: JobsCondition) -> Result<Check, (&'static str, String)> {
    let selector = Selector::parse(&j.selector).map_err(|e| {
        (
            "selector",
            format!("invalid jobs selector {:?}: {e}", j.selector),
        )
    })?;
    if let Some(c) = &j.condition {
        if !JOB_CONDITIONS.contains(&c.as_str()) {
            return Err((
                "condition",
                format!(
                    "unknown job condition {c:?}: expected {}",
                    JOB_CONDITIONS.join(", ")
                ),
            ));
        }
    }
    if j.reason.is_some() && j.condition.is_none() {
        return Err(("reason", "`reason` needs `condition`".into()));
    }
    let bounds = Bounds::check("a jobs", j.count, j.min, j.max)?;
    Ok(Check::Jobs {
        selector,
        selector_text: j.selector,
        namespace: j.namespace,
        name_prefix: j.name_prefix,
        condition: j.condition,
        reason: j.reason,
        bounds,
    })
}

fn deployments_check(d: DeploymentsCondition) -> Result<Check, (&'static str, String)> {
    let selector = Selector::parse(&d.selector).map_err(|e| {
        (
            "selector",
            format!("invalid deployments selector {:?}: {e}", d.selector),
        )
    })?;
    if let Some(c) = &d.condition {
        if !DEPLOYMENT_CONDITIONS.contains(&c.as_str()) {
            return Err((
                "condition",
                format!(
                    "unknown deployment condition {c:?}: expected {}",
                    DEPLOYMENT_CONDITIONS.join(", ")
                ),
            ));
        }
    }
    if let Some(s) = &d.status {
        if !CONDITION_STATUSES.contains(&s.as_str()) {
            return Err((
                "status",
                format!(
                    "unknown condition status {s:?}: expected {}",
                    CONDITION_STATUSES.join(", ")
                ),
            ));
        }
    }
    for (f, v) in [("status", &d.status), ("reason", &d.reason)] {
        if v.is_some() && d.condition.is_none() {
            return Err((f, format!("`{f}` needs `condition`")));
        }
    }
    let bounds = Bounds::check("deployments", d.count, d.min, d.max)?;
    Ok(Check::Deployments {
        selector,
        selector_text: d.selector,
        namespace: d.namespace,
        name_prefix: d.name_prefix,
        condition: d.condition,
        status: d.status,
        reason: d.reason,
        revision: d.revision,
        bounds,
    })
}

fn events_check(e: EventsCondition) -> Result<Check, (&'static str, String)> {
    if e.kind.trim().is_empty() {
        return Err((
            "type",
            "`type` must name an event reason (e.g. SuccessfulCreate)".into(),
        ));
    }
    let bounds = Bounds::check("an events", e.count, e.min, e.max)?;
    Ok(Check::Events {
        filter: EventFilter {
            kind: e.kind,
            object: e.object,
            message: e.message,
        },
        bounds,
    })
}

fn service_ref(
    service: &str,
    namespace: Option<String>,
    since: Option<Duration>,
) -> Result<ServiceRef, (&'static str, String)> {
    if service.trim().is_empty() {
        return Err(("service", "`service` must name a Service".into()));
    }
    Ok(ServiceRef {
        namespace: namespace.unwrap_or_else(|| "default".into()),
        name: service.to_string(),
        since: since.unwrap_or(Duration::ZERO),
    })
}

/// A fraction in [0, 1] as parts per million (rounded to nearest).
fn ppm(field: &'static str, v: f64) -> Result<u64, (&'static str, String)> {
    if !(0.0..=1.0).contains(&v) {
        return Err((
            field,
            format!("{field} must be a fraction between 0 and 1, got {v}"),
        ));
    }
    Ok(libm::round(v * 1_000_000.0) as u64)
}

fn rate_check(r: ServiceRateCondition) -> Result<Check, (&'static str, String)> {
    let svc = service_ref(&r.service, r.namespace, r.since)?;
    if r.min.is_none() && r.max.is_none() {
        return Err((
            "",
            "a serviceSuccessRate expectation needs `min` or `max`".into(),
        ));
    }
    let min_ppm = r.min.map(|v| ppm("min", v)).transpose()?;
    let max_ppm = r.max.map(|v| ppm("max", v)).transpose()?;
    if let (Some(lo), Some(hi)) = (min_ppm, max_ppm) {
        if lo > hi {
            return Err(("min", "min is greater than max".into()));
        }
    }
    Ok(Check::ServiceSuccessRate {
        svc,
        min_ppm,
        max_ppm,
    })
}

fn count_check(
    c: ServiceCountCondition,
    what: &str,
) -> Result<(ServiceRef, Bounds), (&'static str, String)> {
    let svc = service_ref(&c.service, c.namespace, c.since)?;
    let bounds = Bounds::check(what, c.count, c.min, c.max)?;
    Ok((svc, bounds))
}

fn latency_check(l: ServiceLatencyCondition) -> Result<Check, (&'static str, String)> {
    let svc = service_ref(&l.service, l.namespace, l.since)?;
    let percentile = l.percentile.unwrap_or(99);
    if !(1..=100).contains(&percentile) {
        return Err((
            "percentile",
            format!("percentile must be 1..100, got {percentile}"),
        ));
    }
    if l.min_ms.is_none() && l.max_ms.is_none() {
        return Err((
            "",
            "a serviceLatency expectation needs `minMs` or `maxMs`".into(),
        ));
    }
    Ok(Check::ServiceLatency {
        svc,
        percentile,
        min_ms: l.min_ms,
        max_ms: l.max_ms,
    })
}

fn describe_svc(s: &ServiceRef) -> String {
    let mut out = if s.namespace == "default" {
        s.name.clone()
    } else {
        format!("{}/{}", s.namespace, s.name)
    };
    if s.since > Duration::ZERO {
        out += &format!(" since {}", s.since);
    }
    out
}

fn describe(c: &Check) -> String {
    match c {
        Check::ServiceSuccessRate {
            svc,
            min_ppm,
            max_ppm,
        } => {
            let f = |p: u64| (p as f64 / 1_000_000.0).to_string();
            let b = match (min_ppm, max_ppm) {
                (Some(lo), Some(hi)) => format!(" in [{}, {}]", f(*lo), f(*hi)),
                (Some(lo), None) => format!(" >= {}", f(*lo)),
                (None, Some(hi)) => format!(" <= {}", f(*hi)),
                _ => String::new(),
            };
            format!("success rate of {}{b}", describe_svc(svc))
        }
        Check::ServiceRequests { svc, bounds } => {
            format!("requests to {}{}", describe_svc(svc), bounds.describe())
        }
        Check::ServiceLatency {
            svc,
            percentile,
            min_ms,
            max_ms,
        } => {
            let b = match (min_ms, max_ms) {
                (Some(lo), Some(hi)) => format!(" in [{lo}ms, {hi}ms]"),
                (Some(lo), None) => format!(" >= {lo}ms"),
                (None, Some(hi)) => format!(" <= {hi}ms"),
                _ => String::new(),
            };
            format!("p{percentile} latency of {}{b}", describe_svc(svc))
        }
        Check::ServiceClientSwitches { svc, bounds } => format!(
            "clients of {} switching pods{}",
            describe_svc(svc),
            bounds.describe()
        ),
        Check::Pending { max } => format!("at most {max} pending (unscheduled) pods"),
        Check::Pods {
            selector_text,
            namespace,
            phase,
            ready,
            name_prefix,
            node,
            restarts,
            status,
            termination_reason,
            terminating,
            image,
            bounds,
            ..
        } => {
            let mut s = String::from("pods");
            if let Some(p) = name_prefix {
                s += &format!(" {p}*");
            }
            if let Some(n) = node {
                s += &format!(" on {n}");
            }
            if let Some(i) = image {
                s += &format!(" of image {i}");
            }
            if let Some(t) = terminating {
                s += if *t {
                    " terminating"
                } else {
                    " not terminating"
                };
            }
            if !selector_text.is_empty() {
                s += &format!(" {selector_text}");
            }
            if let Some(ns) = namespace {
                s += &format!(" in {ns}");
            }
            if let Some(p) = phase {
                s += &format!(" {}", p.as_str());
            }
            if let Some(r) = ready {
                s += if *r { " ready" } else { " not ready" };
            }
            if let Some(st) = status {
                s += &format!(" status {st}");
            }
            if let Some(r) = termination_reason {
                s += &format!(" terminated {r}");
            }
            if let Some(n) = restarts {
                s += &format!(" with {n} restarts");
            }
            s + &bounds.describe()
        }
        Check::Jobs {
            selector_text,
            namespace,
            name_prefix,
            condition,
            reason,
            bounds,
            ..
        } => {
            let mut s = String::from("jobs");
            if let Some(p) = name_prefix {
                s += &format!(" {p}*");
            }
            if !selector_text.is_empty() {
                s += &format!(" {selector_text}");
            }
            if let Some(ns) = namespace {
                s += &format!(" in {ns}");
            }
            if let Some(c) = condition {
                s += &format!(" {c}");
            }
            if let Some(r) = reason {
                s += &format!(" ({r})");
            }
            s + &bounds.describe()
        }
        Check::Events { filter, bounds } => {
            let mut s = format!("events {}", filter.kind);
            if let Some(o) = &filter.object {
                s += &format!(" of {o}");
            }
            if let Some(m) = &filter.message {
                s += &format!(" with {m:?}");
            }
            s + &bounds.describe()
        }
        Check::Deployments {
            selector_text,
            namespace,
            name_prefix,
            condition,
            status,
            reason,
            revision,
            bounds,
            ..
        } => {
            let mut s = String::from("deployments");
            if let Some(p) = name_prefix {
                s += &format!(" {p}*");
            }
            if !selector_text.is_empty() {
                s += &format!(" {selector_text}");
            }
            if let Some(ns) = namespace {
                s += &format!(" in {ns}");
            }
            if let Some(c) = condition {
                s += &format!(" {c}");
                if let Some(st) = status {
                    s += &format!("={st}");
                }
            }
            if let Some(r) = reason {
                s += &format!(" ({r})");
            }
            if let Some(r) = revision {
                s += &format!(" at revision {r}");
            }
            s + &bounds.describe()
        }
    }
}

/// Evaluate a check against the cluster and the trace so far. Returns (passed, the observed
/// count).
pub fn evaluate(check: &Check, w: &World) -> (bool, Observed) {
    let service = |svc: &ServiceRef| {
        w.traffic
            .and_then(|t| t.service_counts(&svc.namespace, &svc.name, svc.since))
            .unwrap_or_default()
    };
    match check {
        Check::ServiceSuccessRate {
            svc,
            min_ppm,
            max_ppm,
        } => {
            let c = service(svc);
            let ok = c.requests - c.failed;
            // ok/requests >= min  <=>  ok * 1e6 >= min_ppm * requests (exact in integers).
            let scaled = ok as u128 * 1_000_000;
            let pass = min_ppm.is_none_or(|m| scaled >= m as u128 * c.requests as u128)
                && max_ppm.is_none_or(|m| scaled <= m as u128 * c.requests as u128);
            return (
                pass,
                Observed::Rate {
                    ok,
                    total: c.requests,
                },
            );
        }
        Check::ServiceRequests { svc, bounds } => {
            let n = service(svc).requests;
            return (bounds.holds(n), Observed::Count(n));
        }
        Check::ServiceClientSwitches { svc, bounds } => {
            let n = service(svc).client_switches;
            return (bounds.holds(n), Observed::Count(n));
        }
        Check::ServiceLatency {
            svc,
            percentile,
            min_ms,
            max_ms,
        } => {
            let us = service(svc).latency.percentile(*percentile);
            let pass =
                min_ms.is_none_or(|m| us >= m * 1000) && max_ms.is_none_or(|m| us <= m * 1000);
            return (pass, Observed::Micros(us));
        }
        _ => {}
    }
    let (ok, n) = evaluate_count(check, w);
    (ok, Observed::Count(n))
}

/// The counting checks over the store and the trace.
fn evaluate_count(check: &Check, w: &World) -> (bool, u64) {
    let pods = || {
        w.store.objects(Kind::Pod).filter_map(|o| match o {
            Object::Pod(p) => Some(p),
            _ => None,
        })
    };
    match check {
        Check::Pending { max } => {
            let n = pods()
                .filter(|p| {
                    p.spec.node_name.is_empty()
                        && !p.is_terminal()
                        && p.metadata.deletion_at.is_none()
                })
                .count() as u64;
            (n <= *max, n)
        }
        Check::Pods {
            selector,
            namespace,
            phase,
            ready,
            name_prefix,
            node,
            restarts,
            status,
            termination_reason,
            terminating,
            image,
            bounds,
            ..
        } => {
            let n = pods()
                .filter(|p| node.as_ref().is_none_or(|x| &p.spec.node_name == x))
                .filter(|p| terminating.is_none_or(|t| p.metadata.deletion_at.is_some() == t))
                .filter(|p| {
                    image.as_ref().is_none_or(|i| {
                        p.spec
                            .containers
                            .iter()
                            .chain(&p.spec.init_containers)
                            .any(|c| &c.image == i)
                    })
                })
                .filter(|p| namespace.as_ref().is_none_or(|ns| p.namespace() == ns))
                .filter(|p| {
                    name_prefix
                        .as_ref()
                        .is_none_or(|x| p.metadata.name.starts_with(x.as_str()))
                })
                .filter(|p| phase.is_none_or(|ph| p.status.phase == ph))
                .filter(|p| ready.is_none_or(|r| p.status.ready == r))
                .filter(|p| selector.matches(&p.metadata.labels))
                .filter(|p| restarts.is_none_or(|r| p.status.restart_count as u64 == r))
                .filter(|p| status.as_ref().is_none_or(|s| &p.display_status() == s))
                .filter(|p| {
                    termination_reason.as_ref().is_none_or(|r| {
                        p.status
                            .init_container_statuses
                            .iter()
                            .chain(&p.status.container_statuses)
                            .any(|c| {
                                [&c.state, &c.last_termination_state]
                                    .iter()
                                    .any(|s| s.terminated.as_ref().is_some_and(|t| &t.reason == r))
                            })
                    })
                })
                .count() as u64;
            (bounds.holds(n), n)
        }
        Check::Jobs {
            selector,
            namespace,
            name_prefix,
            condition,
            reason,
            bounds,
            ..
        } => {
            let n = w
                .store
                .objects(Kind::Job)
                .filter_map(|o| match o {
                    Object::Job(j) => Some(j),
                    _ => None,
                })
                .filter(|j| {
                    namespace
                        .as_ref()
                        .is_none_or(|ns| &j.metadata.namespace == ns)
                })
                .filter(|j| {
                    name_prefix
                        .as_ref()
                        .is_none_or(|x| j.metadata.name.starts_with(x.as_str()))
                })
                .filter(|j| selector.matches(&j.metadata.labels))
                .filter(|j| {
                    condition.as_ref().is_none_or(|c| {
                        j.status
                            .condition(c)
                            .is_some_and(|jc| reason.as_ref().is_none_or(|r| &jc.reason == r))
                    })
                })
                .count() as u64;
            (bounds.holds(n), n)
        }
        Check::Events { filter, bounds } => {
            let n = w.trace.watched(filter);
            (bounds.holds(n), n)
        }
        Check::ServiceSuccessRate { .. }
        | Check::ServiceRequests { .. }
        | Check::ServiceLatency { .. }
        | Check::ServiceClientSwitches { .. } => {
            unreachable!("service checks are evaluated by `evaluate`")
        }
        Check::Deployments {
            selector,
            namespace,
            name_prefix,
            condition,
            status,
            reason,
            revision,
            bounds,
            ..
        } => {
            let revision_key = crate::controllers::deployment::util::REVISION;
            let n = w
                .store
                .objects(Kind::Deployment)
                .filter_map(|o| match o {
                    Object::Deployment(d) => Some(d),
                    _ => None,
                })
                .filter(|d| {
                    namespace
                        .as_ref()
                        .is_none_or(|ns| &d.metadata.namespace == ns)
                })
                .filter(|d| {
                    name_prefix
                        .as_ref()
                        .is_none_or(|x| d.metadata.name.starts_with(x.as_str()))
                })
                .filter(|d| selector.matches(&d.metadata.labels))
                .filter(|d| {
                    condition.as_ref().is_none_or(|c| {
                        d.status.condition(c).is_some_and(|dc| {
                            status.as_ref().is_none_or(|s| &dc.status == s)
                                && reason.as_ref().is_none_or(|r| &dc.reason == r)
                        })
                    })
                })
                .filter(|d| {
                    revision.is_none_or(|r| {
                        d.metadata.annotations.get(revision_key) == Some(&r.to_string())
                    })
                })
                .count() as u64;
            (bounds.holds(n), n)
        }
    }
}
