//! The LimitRanger admission plugin (upstream plugin/pkg/admission/limitranger/admission.go)
//! and the defaulting of LimitRange objects (pkg/apis/core/v1/defaults.go
//! `SetDefaults_LimitRangeItem`).
//!
//! For a pod being created, every LimitRange of its namespace (in name order; upstream's
//! lister order is unspecified):
//! - mutating (`PodMutateLimitFunc`): each container and init container gets the `Container`
//!   items' `default` as limits and `defaultRequest` as requests for the resources it does not
//!   state, and the pod is annotated `kubernetes.io/limit-ranger`;
//! - validating (`PodValidateLimitFunc`): `min`, `max` and `maxLimitRequestRatio` of the
//!   `Container` items against each container, and of the `Pod` items against the pod's
//!   requests and limits (app containers summed, init containers maxed in, sidecars added).
//!   Every violation of one LimitRange is reported, in resource-name order (upstream iterates
//!   Go maps), as one aggregate error.

use crate::api::pod::{Container, Pod};
use crate::api::policy::{LimitRange, LimitRangeItem};
use crate::api::resources::ResourceList;
use crate::api::{Kind, Object, Quantity};
use crate::store::MemoryStore;

/// Upstream `limitRangerAnnotation`.
pub const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// Upstream `resource.MaxMilliValue`: above it, milli-values overflow and plain values are
/// compared instead.
const MAX_MILLI_VALUE: i64 = i64::MAX / 1000;

/// `SetDefaults_LimitRangeItem`, applied when a LimitRange is created: for `Container` items,
/// a missing `default` is the `max`; a missing `defaultRequest` is the `default`, else the
/// `min`.
pub fn default_items(lr: &mut LimitRange) {
    for item in &mut lr.spec.limits {
        if item.kind != "Container" {
            continue;
        }
        for (k, v) in &item.max {
            item.default.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &item.default {
            item.default_request
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        for (k, v) in &item.min {
            item.default_request
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
    }
}

fn limit_ranges<'a>(
    store: &'a MemoryStore,
    namespace: &'a str,
) -> impl Iterator<Item = &'a LimitRange> {
    store
        .objects(Kind::LimitRange)
        .filter_map(move |o| match o {
            Object::LimitRange(lr) if lr.metadata.namespace == namespace => Some(lr),
            _ => None,
        })
}

/// The mutating half: default requests and limits from every LimitRange of the namespace.
pub fn mutate(store: &MemoryStore, pod: &mut Pod) {
    let ns = pod.namespace().to_string();
    let ranges: Vec<LimitRange> = limit_ranges(store, &ns).cloned().collect();
    for lr in &ranges {
        mutate_with(lr, pod);
    }
}

/// Upstream `PodMutateLimitFunc` for one LimitRange.
pub fn mutate_with(lr: &LimitRange, pod: &mut Pod) {
    // defaultContainerResourceRequirements: later Container items override earlier ones.
    let mut requests = ResourceList::new();
    let mut limits = ResourceList::new();
    for item in lr.spec.limits.iter().filter(|i| i.kind == "Container") {
        requests.extend(item.default_request.clone());
        limits.extend(item.default.clone());
    }
    let mut notes = Vec::new();
    for c in &mut pod.spec.containers {
        merge(c, &requests, &limits, "container", &mut notes);
    }
    for c in &mut pod.spec.init_containers {
        merge(c, &requests, &limits, "init container", &mut notes);
    }
    if !notes.is_empty() {
        pod.metadata.annotations.insert(
            ANNOTATION.into(),
            format!("LimitRanger plugin set: {}", notes.join("; ")),
        );
    }
}

/// Upstream `mergeContainerResources`.
fn merge(
    c: &mut Container,
    requests: &ResourceList,
    limits: &ResourceList,
    what: &str,
    notes: &mut Vec<String>,
) {
    let mut set_limits = Vec::new();
    for (k, v) in limits {
        if !c.resources.limits.contains_key(k) {
            c.resources.limits.insert(k.clone(), v.clone());
            set_limits.push(k.as_str());
        }
    }
    let mut set_requests = Vec::new();
    for (k, v) in requests {
        if !c.resources.requests.contains_key(k) {
            c.resources.requests.insert(k.clone(), v.clone());
            set_requests.push(k.as_str());
        }
    }
    if !set_requests.is_empty() {
        notes.push(format!(
            "{} request for {what} {}",
            set_requests.join(", "),
            c.name
        ));
    }
    if !set_limits.is_empty() {
        notes.push(format!(
            "{} limit for {what} {}",
            set_limits.join(", "),
            c.name
        ));
    }
}

/// The validating half: the first LimitRange (in name order) that the pod violates, as the
/// aggregate of its violations.
pub fn validate(store: &MemoryStore, pod: &Pod) -> Result<(), String> {
    for lr in limit_ranges(store, pod.namespace()) {
        validate_with(lr, pod)?;
    }
    Ok(())
}

/// Upstream `PodValidateLimitFunc` for one LimitRange.
pub fn validate_with(lr: &LimitRange, pod: &Pod) -> Result<(), String> {
    let mut errs: Vec<String> = Vec::new();
    for item in &lr.spec.limits {
        match item.kind.as_str() {
            "Container" => {
                for c in pod.spec.containers.iter().chain(&pod.spec.init_containers) {
                    check(
                        item,
                        "Container",
                        &c.resources.requests,
                        &c.resources.limits,
                        &mut errs,
                    );
                }
            }
            "Pod" => {
                let (requests, limits) = pod_totals(pod);
                check(item, "Pod", &requests, &limits, &mut errs);
            }
            _ => {}
        }
    }
    aggregate(errs)
}

fn check(
    item: &LimitRangeItem,
    kind: &str,
    requests: &ResourceList,
    limits: &ResourceList,
    errs: &mut Vec<String>,
) {
    for (k, v) in &item.min {
        errs.extend(min_constraint(kind, k, v, requests, limits).err());
    }
    for (k, v) in &item.max {
        errs.extend(max_constraint(kind, k, v, requests, limits).err());
    }
    for (k, v) in &item.max_limit_request_ratio {
        errs.extend(ratio_constraint(kind, k, v, requests, limits).err());
    }
}

/// Upstream `utilerrors.NewAggregate(errs).Error()`: one message as it is, several
/// deduplicated and bracketed.
fn aggregate(errs: Vec<String>) -> Result<(), String> {
    let mut seen: Vec<String> = Vec::new();
    for e in errs {
        if !seen.contains(&e) {
            seen.push(e);
        }
    }
    match seen.len() {
        0 => Ok(()),
        1 => Err(seen.remove(0)),
        _ => Err(format!("[{}]", seen.join(", "))),
    }
}

/// Upstream `requestLimitEnforcedValues`: plain values, or milli-values when none overflows.
fn enforced_values(
    req: Option<&Quantity>,
    lim: Option<&Quantity>,
    enforced: &Quantity,
) -> (i64, i64, i64) {
    let zero = Quantity::from_value(0, false);
    let (req, lim) = (req.unwrap_or(&zero), lim.unwrap_or(&zero));
    if req.value() <= MAX_MILLI_VALUE
        && lim.value() <= MAX_MILLI_VALUE
        && enforced.value() <= MAX_MILLI_VALUE
    {
        (req.milli_value(), lim.milli_value(), enforced.milli_value())
    } else {
        (req.value(), lim.value(), enforced.value())
    }
}

/// Upstream `minConstraint`.
fn min_constraint(
    kind: &str,
    name: &str,
    enforced: &Quantity,
    requests: &ResourceList,
    limits: &ResourceList,
) -> Result<(), String> {
    let (req, lim) = (requests.get(name), limits.get(name));
    let (r, l, e) = enforced_values(req, lim, enforced);
    let Some(req) = req else {
        return Err(format!(
            "minimum {name} usage per {kind} is {enforced}.  No request is specified"
        ));
    };
    if r < e {
        return Err(format!(
            "minimum {name} usage per {kind} is {enforced}, but request is {req}"
        ));
    }
    if let Some(lim) = lim {
        if l < e {
            return Err(format!(
                "minimum {name} usage per {kind} is {enforced}, but limit is {lim}"
            ));
        }
    }
    Ok(())
}

/// Upstream `maxConstraint`.
fn max_constraint(
    kind: &str,
    name: &str,
    enforced: &Quantity,
    requests: &ResourceList,
    limits: &ResourceList,
) -> Result<(), String> {
    let (req, lim) = (requests.get(name), limits.get(name));
    let (r, l, e) = enforced_values(req, lim, enforced);
    let Some(lim) = lim else {
        return Err(format!(
            "maximum {name} usage per {kind} is {enforced}.  No limit is specified"
        ));
    };
    if l > e {
        return Err(format!(
            "maximum {name} usage per {kind} is {enforced}, but limit is {lim}"
        ));
    }
    if let Some(req) = req {
        if r > e {
            return Err(format!(
                "maximum {name} usage per {kind} is {enforced}, but request is {req}"
            ));
        }
    }
    Ok(())
}

/// Upstream `limitRequestRatioConstraint`. Upstream compares `limit / request` as a float64
/// against the enforced ratio; here the same comparison is made exactly in integers
/// (`limit * 1000 > enforcedMilli * request`), and the ratio is printed like Go's `%f`.
fn ratio_constraint(
    kind: &str,
    name: &str,
    enforced: &Quantity,
    requests: &ResourceList,
    limits: &ResourceList,
) -> Result<(), String> {
    let (req, lim) = (requests.get(name), limits.get(name));
    let (r, l, _) = enforced_values(req, lim, enforced);
    if req.is_none() || r == 0 {
        return Err(format!("{name} max limit to request ratio per {kind} is {enforced}, but no request is specified or request is 0"));
    }
    if lim.is_none() || l == 0 {
        return Err(format!("{name} max limit to request ratio per {kind} is {enforced}, but no limit is specified or limit is 0"));
    }
    let (r, l) = (i128::from(r), i128::from(l));
    let exceeds = if enforced.value() <= MAX_MILLI_VALUE {
        l * 1000 > i128::from(enforced.milli_value()) * r
    } else {
        l > i128::from(enforced.value()) * r
    };
    if exceeds {
        return Err(format!(
            "{name} max limit to request ratio per {kind} is {enforced}, but provided ratio is {}",
            six_decimals(l, r)
        ));
    }
    Ok(())
}

/// `l / r` with six decimals, rounded half up (Go's `%f` of the float64 quotient).
fn six_decimals(l: i128, r: i128) -> String {
    let scaled = (l * 2_000_000 + r) / (2 * r);
    format!("{}.{:06}", scaled / 1_000_000, scaled % 1_000_000)
}

/// Upstream `podRequests` / `podLimits` of the limitranger (without in-place resize): app
/// containers summed, sidecars (restartable init containers) added, each other init container
/// (plus the sidecars started before it) maxed in. Only resources some container states appear.
fn pod_totals(pod: &Pod) -> (ResourceList, ResourceList) {
    let total = |pick: fn(&Container) -> &ResourceList| {
        let mut sum = ResourceList::new();
        for c in &pod.spec.containers {
            add(&mut sum, pick(c));
        }
        let mut sidecars = ResourceList::new();
        let mut init_max = ResourceList::new();
        for c in &pod.spec.init_containers {
            let this = if c.restart_policy.as_deref() == Some("Always") {
                add(&mut sum, pick(c));
                add(&mut sidecars, pick(c));
                sidecars.clone()
            } else {
                let mut t = pick(c).clone();
                add(&mut t, &sidecars);
                t
            };
            max_into(&mut init_max, &this);
        }
        max_into(&mut sum, &init_max);
        sum
    };
    (
        total(|c| &c.resources.requests),
        total(|c| &c.resources.limits),
    )
}

fn add(list: &mut ResourceList, more: &ResourceList) {
    for (k, v) in more {
        let sum = match list.get(k) {
            Some(have) => have.checked_add(v).unwrap_or_else(|| have.clone()),
            None => v.clone(),
        };
        list.insert(k.clone(), sum);
    }
}

fn max_into(list: &mut ResourceList, other: &ResourceList) {
    for (k, v) in other {
        if list.get(k).is_none_or(|have| v > have) {
            list.insert(k.clone(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::policy::LimitRangeSpec;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn list(items: &[(&str, &str)]) -> ResourceList {
        items.iter().map(|(k, v)| (k.to_string(), q(v))).collect()
    }

    fn item(kind: &str) -> LimitRangeItem {
        LimitRangeItem {
            kind: kind.into(),
            ..Default::default()
        }
    }

    fn range(items: Vec<LimitRangeItem>) -> LimitRange {
        let mut lr = LimitRange {
            spec: LimitRangeSpec { limits: items },
            ..Default::default()
        };
        default_items(&mut lr);
        lr
    }

    fn container(name: &str, requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Container {
        let mut c = Container {
            name: name.into(),
            ..Default::default()
        };
        c.resources.requests = list(requests);
        c.resources.limits = list(limits);
        c
    }

    fn pod(containers: Vec<Container>) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "p".into();
        p.spec.containers = containers;
        p
    }

    #[test]
    fn limit_range_items_default_like_upstream() {
        // TestSetDefaultLimitRangeItem: default from max, defaultRequest from default, else
        // from min; Pod items are left alone.
        let mut c = item("Container");
        c.max = list(&[("cpu", "100m")]);
        c.min = list(&[("memory", "100Mi")]);
        c.default = list(&[("memory", "500Mi")]);
        let mut p = item("Pod");
        p.max = list(&[("cpu", "1")]);
        let lr = range(vec![c, p]);
        let c = &lr.spec.limits[0];
        assert_eq!(c.default, list(&[("cpu", "100m"), ("memory", "500Mi")]));
        assert_eq!(
            c.default_request,
            list(&[("cpu", "100m"), ("memory", "500Mi")])
        );
        assert!(lr.spec.limits[1].default.is_empty());
    }

    #[test]
    fn defaults_fill_what_containers_leave_out_and_annotate() {
        // After upstream TestMergePodResourceRequirements / TestDefaultContainerResourceRequirements.
        let mut it = item("Container");
        it.default = list(&[("cpu", "1"), ("memory", "1Gi")]);
        it.default_request = list(&[("cpu", "500m")]);
        let lr = range(vec![it]);
        let mut p = pod(vec![
            container("a", &[], &[]),
            container("b", &[("cpu", "250m")], &[("memory", "2Gi")]),
        ]);
        p.spec.init_containers.push(container("init", &[], &[]));
        mutate_with(&lr, &mut p);
        let a = &p.spec.containers[0].resources;
        assert_eq!(a.requests, list(&[("cpu", "500m"), ("memory", "1Gi")]));
        assert_eq!(a.limits, list(&[("cpu", "1"), ("memory", "1Gi")]));
        let b = &p.spec.containers[1].resources;
        assert_eq!(b.requests, list(&[("cpu", "250m"), ("memory", "1Gi")]));
        assert_eq!(b.limits, list(&[("cpu", "1"), ("memory", "2Gi")]));
        assert_eq!(
            p.metadata.annotations[ANNOTATION],
            "LimitRanger plugin set: cpu, memory request for container a; cpu, memory limit for container a; memory request for container b; cpu limit for container b; cpu, memory request for init container init; cpu, memory limit for init container init"
        );
    }

    #[test]
    fn container_min_max_ratio_messages_like_upstream() {
        // Rows after upstream TestPodLimitFunc (the failing cases), with v1.35's messages.
        let mut it = item("Container");
        it.min = list(&[("cpu", "100m")]);
        it.max = list(&[("cpu", "1"), ("memory", "1Gi")]);
        it.default = list(&[("memory", "1Gi")]);
        let lr = range(vec![it]);
        let cases: [(Container, Result<(), &str>); 6] = [
            (
                container("c", &[("cpu", "200m"), ("memory", "500Mi")], &[("cpu", "1"), ("memory", "1Gi")]),
                Ok(()),
            ),
            (
                container("c", &[("cpu", "50m"), ("memory", "500Mi")], &[("cpu", "1"), ("memory", "1Gi")]),
                Err("minimum cpu usage per Container is 100m, but request is 50m"),
            ),
            (
                container("c", &[("cpu", "200m"), ("memory", "500Mi")], &[("cpu", "2"), ("memory", "1Gi")]),
                Err("maximum cpu usage per Container is 1, but limit is 2"),
            ),
            (
                container("c", &[("memory", "500Mi")], &[("cpu", "1"), ("memory", "1Gi")]),
                Err("minimum cpu usage per Container is 100m.  No request is specified"),
            ),
            (
                container("c", &[("cpu", "200m"), ("memory", "500Mi")], &[("memory", "1Gi")]),
                Err("maximum cpu usage per Container is 1.  No limit is specified"),
            ),
            (
                container("c", &[("cpu", "50m"), ("memory", "2Gi")], &[("cpu", "2"), ("memory", "2Gi")]),
                Err("[minimum cpu usage per Container is 100m, but request is 50m, maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]"),
            ),
        ];
        for (c, want) in cases {
            let p = pod(vec![c]);
            assert_eq!(validate_with(&lr, &p).err().as_deref(), want.err());
        }
    }

    #[test]
    fn ratio_and_pod_level_limits() {
        let mut it = item("Container");
        it.max_limit_request_ratio = list(&[("cpu", "4")]);
        let lr = range(vec![it]);
        let ok = pod(vec![container("c", &[("cpu", "250m")], &[("cpu", "1")])]);
        assert_eq!(validate_with(&lr, &ok), Ok(()));
        let bad = pod(vec![container("c", &[("cpu", "300m")], &[("cpu", "2")])]);
        assert_eq!(
            validate_with(&lr, &bad),
            Err(
                "cpu max limit to request ratio per Container is 4, but provided ratio is 6.666667"
                    .into()
            )
        );
        let none = pod(vec![container("c", &[], &[("cpu", "2")])]);
        assert_eq!(
            validate_with(&lr, &none),
            Err("cpu max limit to request ratio per Container is 4, but no request is specified or request is 0".into())
        );
        // Pod items: app containers summed, the biggest init container maxed in.
        let mut it = item("Pod");
        it.max = list(&[("memory", "1Gi")]);
        let lr = range(vec![it]);
        let mut p = pod(vec![
            container("a", &[("memory", "400Mi")], &[("memory", "400Mi")]),
            container("b", &[("memory", "400Mi")], &[("memory", "400Mi")]),
        ]);
        assert_eq!(validate_with(&lr, &p), Ok(()));
        p.spec
            .init_containers
            .push(container("i", &[("memory", "2Gi")], &[("memory", "2Gi")]));
        assert_eq!(
            validate_with(&lr, &p),
            Err("maximum memory usage per Pod is 1Gi, but limit is 2Gi".into())
        );
    }
}
