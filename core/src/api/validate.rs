//! Object validation with upstream's messages, located at the offending YAML node.
//!
//! Messages follow the API server's shape (`Deployment.apps "web" is invalid:
//! spec.template.metadata.labels: Invalid value: ...`) so they read like what `kubectl apply`
//! prints; each error carries the file, line and column of the field at fault.

use super::kind::Kind;
use super::meta::IntOrString;
use super::object::Object;
use super::pod::PodSpec;
use super::quantity::Quantity;
use super::resources::ResourceList;
use super::selector::LabelSelector;
use crate::yaml::{self, LoadError, Mark};

/// The mark of the deepest node along a dotted path (`spec.template.spec.containers.0.image`).
pub fn mark_at(doc: &yaml::Node, path: &str) -> Mark {
    node_at(doc, path).mark
}

/// The deepest node along a dotted path: the node itself when the whole path exists, else the
/// last node that does.
pub fn node_at<'a>(doc: &'a yaml::Node, path: &str) -> &'a yaml::Node {
    let mut cur = doc;
    // `spec.ports[0].nodePort` (upstream's field paths) walks as `spec.ports.0.nodePort`.
    let dotted = path.replace('[', ".").replace(']', "");
    for part in dotted.split('.') {
        let next = match &cur.value {
            yaml::Value::Map(_) => cur.get(part),
            yaml::Value::Seq(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    cur
}

/// The largest quantity cellsim accepts, `9223372036854775807m` (about 8Pi): the scheduler
/// computes with 64-bit milli-units (upstream `MilliValue`), which cannot hold more. Larger
/// values would be silently capped (upstream caps binary-SI quantities at 2^63-1) or saturated.
pub fn max_quantity() -> Quantity {
    Quantity::from_milli(i64::MAX)
}

/// Why a resource quantity is out of range (negative, or larger than [`max_quantity`]), written
/// with the text it has in the file (`written`), if any.
pub fn quantity_range(q: &Quantity, written: Option<&str>) -> Option<String> {
    let text = written.map_or_else(|| q.to_string(), str::to_string);
    if q.is_negative() {
        Some(format!(
            "Invalid value: {text:?}: must be greater than or equal to 0"
        ))
    } else if *q > max_quantity() {
        Some(format!(
            "Invalid value: {text:?}: must be at most {} (about 8Pi): the scheduler computes in \
             64-bit milli-units",
            max_quantity()
        ))
    } else {
        None
    }
}

/// The entry `name` of the resource list at `path` (resource names may contain dots, so they
/// are not part of the dotted path).
fn resource_node<'a>(doc: &'a yaml::Node, path: &str, name: &str) -> &'a yaml::Node {
    let list = node_at(doc, path);
    list.get(name).unwrap_or(list)
}

struct Ctx<'a> {
    file: &'a str,
    doc: &'a yaml::Node,
    what: String,
}

impl Ctx<'_> {
    fn err(&self, path: &str, msg: impl std::fmt::Display) -> LoadError {
        self.err_at(mark_at(self.doc, path), path, msg)
    }

    fn err_at(&self, mark: Mark, path: &str, msg: impl std::fmt::Display) -> LoadError {
        LoadError::new(
            self.file,
            mark,
            format!("{} is invalid: {path}: {msg}", self.what),
        )
    }
}

/// Validate a decoded object (the checks upstream's API validation makes that matter to the
/// model).
pub fn validate(file: &str, doc: &yaml::Node, obj: &Object) -> Result<(), LoadError> {
    let kind = obj.kind();
    let group = kind.api_version().split('/').next().filter(|g| {
        g.contains('.') || *g == "apps" || *g == "batch" || *g == "policy" || *g == "autoscaling"
    });
    let meta = obj.meta();
    let what = match group {
        Some(g) if kind.api_version() != "v1" => format!("{}.{g} {:?}", kind.name(), meta.name),
        _ => format!("{} {:?}", kind.name(), meta.name),
    };
    let cx = Ctx { file, doc, what };
    if meta.name.is_empty() && (meta.generate_name.is_empty() || kind != Kind::Pod) {
        return Err(cx.err(
            "metadata.name",
            "Required value: name or generateName is required",
        ));
    }
    if !meta.name.is_empty() {
        let bad = match kind {
            Kind::Namespace => dns1123_label(&meta.name),
            Kind::Service => dns1035_label(&meta.name),
            // Node names only need to be path segments (upstream ValidateNodeName is
            // `NameIsDNSSubdomain`, but kube-scheduler's own test tables use names such as
            // "nodeA" and "machine1" that scenarios transcribe verbatim): no `/`, not `.`/`..`.
            Kind::Node => path_segment(&meta.name),
            _ => dns1123_subdomain(&meta.name),
        };
        if let Some(why) = bad {
            return Err(cx.err(
                "metadata.name",
                format!("Invalid value: {:?}: {why}", meta.name),
            ));
        }
    }
    if !meta.namespace.is_empty() && kind.namespaced() {
        if let Some(why) = dns1123_label(&meta.namespace) {
            return Err(cx.err(
                "metadata.namespace",
                format!("Invalid value: {:?}: {why}", meta.namespace),
            ));
        }
    }
    match obj {
        Object::Pod(p) => pod_spec(&cx, "spec", &p.spec, &["Always", "OnFailure", "Never"]),
        Object::Deployment(d) => {
            replicas(&cx, d.spec.replicas)?;
            workload(&cx, d.spec.selector.as_ref(), &d.spec.template)?;
            if let Some(ru) = d.spec.strategy.rolling_update.as_ref() {
                for (f, v) in [
                    ("maxSurge", &ru.max_surge),
                    ("maxUnavailable", &ru.max_unavailable),
                ] {
                    if let Some(v) = v {
                        if let Err(e) = v.scaled_value(100, true) {
                            return Err(cx.err(&format!("spec.strategy.rollingUpdate.{f}"), e));
                        }
                    }
                }
            }
            match d.spec.strategy.kind.as_str() {
                "" | "RollingUpdate" | "Recreate" => {}
                other => return Err(cx.err(
                    "spec.strategy.type",
                    format!("Unsupported value: {other:?}: supported values: \"Recreate\", \"RollingUpdate\""),
                )),
            }
            deployment_spec(&cx, &d.spec)
        }
        Object::ReplicaSet(r) => {
            replicas(&cx, r.spec.replicas)?;
            workload(&cx, r.spec.selector.as_ref(), &r.spec.template)
        }
        Object::StatefulSet(s) => {
            replicas(&cx, s.spec.replicas)?;
            one_of(
                &cx,
                "spec.podManagementPolicy",
                &s.spec.pod_management_policy,
                &["OrderedReady", "Parallel"],
            )?;
            update_strategy(&cx, &s.spec.update_strategy)?;
            if let Some(ru) = &s.spec.update_strategy.rolling_update {
                if let Some(p) = ru.partition.filter(|p| *p < 0) {
                    return Err(cx.err(
                        "spec.updateStrategy.rollingUpdate.partition",
                        format!("Invalid value: {p}: must be greater than or equal to 0"),
                    ));
                }
                int_or_percent(
                    &cx,
                    "spec.updateStrategy.rollingUpdate.maxUnavailable",
                    &ru.max_unavailable,
                )?;
            }
            non_negative_int(
                &cx,
                "spec.minReadySeconds",
                Some(s.spec.min_ready_seconds as i64),
            )?;
            workload(&cx, s.spec.selector.as_ref(), &s.spec.template)
        }
        Object::DaemonSet(d) => {
            update_strategy(&cx, &d.spec.update_strategy)?;
            if d.spec.update_strategy.kind != "OnDelete" {
                // ValidateRollingUpdateDaemonSet, after defaulting (maxUnavailable 1,
                // maxSurge 0): exactly one of them is non-zero.
                let ru = d
                    .spec
                    .update_strategy
                    .rolling_update
                    .clone()
                    .unwrap_or_default();
                let at = "spec.updateStrategy.rollingUpdate";
                int_or_percent(&cx, &format!("{at}.maxUnavailable"), &ru.max_unavailable)?;
                int_or_percent(&cx, &format!("{at}.maxSurge"), &ru.max_surge)?;
                let value = |v: &Option<IntOrString>, dflt: i64| {
                    v.as_ref()
                        .map_or(dflt, |v| v.scaled_value(100, true).unwrap_or(0))
                };
                let (unavailable, surge) = (value(&ru.max_unavailable, 1), value(&ru.max_surge, 0));
                if unavailable != 0 && surge != 0 {
                    return Err(cx.err(
                        &format!("{at}.maxSurge"),
                        "Invalid value: may not be set when maxUnavailable is non-zero",
                    ));
                }
                if unavailable == 0 && surge == 0 {
                    return Err(cx.err(
                        &format!("{at}.maxUnavailable"),
                        "Required value: cannot be 0 when maxSurge is 0",
                    ));
                }
            }
            non_negative_int(
                &cx,
                "spec.minReadySeconds",
                Some(d.spec.min_ready_seconds as i64),
            )?;
            workload(&cx, d.spec.selector.as_ref(), &d.spec.template)
        }
        Object::Job(j) => job_spec(&cx, "spec", &j.spec),
        Object::CronJob(c) => {
            let sched = &c.spec.schedule;
            if sched.trim().is_empty() {
                return Err(cx.err("spec.schedule", "Required value"));
            }
            if sched.contains("TZ") {
                return Err(cx.err(
                    "spec.schedule",
                    format!("Invalid value: {sched:?}: cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
                ));
            }
            if let Err(e) = crate::controllers::cron::parse_standard(sched) {
                return Err(cx.err("spec.schedule", format!("Invalid value: {sched:?}: {e}")));
            }
            if let Some(tz) = &c.spec.time_zone {
                if tz != "UTC" && tz != "Etc/UTC" {
                    return Err(cx.err(
                        "spec.timeZone",
                        format!("Unsupported value: {tz:?}: cellsim's clock is UTC; supported values: \"UTC\", \"Etc/UTC\""),
                    ));
                }
            }
            one_of(
                &cx,
                "spec.concurrencyPolicy",
                &c.spec.concurrency_policy,
                &["Allow", "Forbid", "Replace"],
            )?;
            non_negative_int(
                &cx,
                "spec.startingDeadlineSeconds",
                c.spec.starting_deadline_seconds,
            )?;
            non_negative_int(
                &cx,
                "spec.successfulJobsHistoryLimit",
                c.spec.successful_jobs_history_limit.map(i64::from),
            )?;
            non_negative_int(
                &cx,
                "spec.failedJobsHistoryLimit",
                c.spec.failed_jobs_history_limit.map(i64::from),
            )?;
            job_spec(&cx, "spec.jobTemplate.spec", &c.spec.job_template.spec)
        }
        Object::Node(n) => {
            non_negative(&cx, "status.allocatable", &n.status.allocatable)?;
            non_negative(&cx, "status.capacity", &n.status.capacity)?;
            for (i, t) in n.spec.taints.iter().enumerate() {
                if !super::node::TAINT_EFFECTS.contains(&t.effect.as_str()) {
                    return Err(cx.err(
                        &format!("spec.taints.{i}.effect"),
                        format!("Unsupported value: {:?}: supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"", t.effect),
                    ));
                }
            }
            Ok(())
        }
        Object::Service(s) => service_spec(&cx, &s.spec),
        Object::Ingress(i) => ingress_spec(&cx, &i.spec),
        Object::EndpointSlice(e) => one_of(&cx, "addressType", &e.address_type, &["IPv4"]),
        Object::PriorityClass(pc) => {
            // scheduling/v1: HighestUserDefinablePriority = 1e9; larger values are reserved
            // for system classes (names prefixed "system-").
            if pc.value > 1_000_000_000 && !pc.metadata.name.starts_with("system-") {
                return Err(cx.err(
                    "value",
                    "Forbidden: maximum allowed value of a user defined priority is 1000000000",
                ));
            }
            Ok(())
        }
        Object::HorizontalPodAutoscaler(h) => hpa_spec(&cx, &h.spec),
        Object::PodDisruptionBudget(p) => {
            if p.spec.min_available.is_some() && p.spec.max_unavailable.is_some() {
                return Err(cx.err(
                    "spec",
                    "Invalid value: minAvailable and maxUnavailable cannot be both set",
                ));
            }
            Ok(())
        }
        Object::ResourceQuota(q) => non_negative(&cx, "spec.hard", &q.spec.hard),
        Object::Namespace(_) | Object::LimitRange(_) => Ok(()),
    }
}

/// Service validation (pkg/apis/core/validation `ValidateService`), the checks the model
/// depends on, with upstream's messages.
fn service_spec(cx: &Ctx, spec: &crate::api::service::ServiceSpec) -> Result<(), LoadError> {
    one_of(
        cx,
        "spec.type",
        &spec.kind,
        &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
    )?;
    one_of(
        cx,
        "spec.sessionAffinity",
        &spec.session_affinity,
        &["ClientIP", "None"],
    )?;
    for (at, v) in [
        ("spec.internalTrafficPolicy", &spec.internal_traffic_policy),
        ("spec.externalTrafficPolicy", &spec.external_traffic_policy),
    ] {
        one_of(cx, at, v.as_deref().unwrap_or(""), &["Cluster", "Local"])?;
    }
    let external = matches!(spec.kind.as_str(), "NodePort" | "LoadBalancer");
    if spec.external_traffic_policy.as_deref() == Some("Local") && !external {
        return Err(cx.err(
            "spec.externalTrafficPolicy",
            "Invalid value: \"Local\": may only be set when `type` is 'NodePort' or 'LoadBalancer'",
        ));
    }
    if let Some(t) = spec
        .session_affinity_config
        .as_ref()
        .and_then(|c| c.client_ip.as_ref())
        .and_then(|c| c.timeout_seconds)
    {
        // core/v1 MaxClientIPServiceAffinitySeconds = 86400.
        if t <= 0 || t > 86400 {
            return Err(cx.err(
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                format!("Invalid value: {t}: must be greater than 0 and less than 86400"),
            ));
        }
    }
    if !spec.cluster_ip.is_empty()
        && spec.cluster_ip != "None"
        && crate::net::ip::Ipv4::parse(&spec.cluster_ip).is_none()
    {
        return Err(cx.err(
            "spec.clusterIPs[0]",
            format!(
                "Invalid value: {:?}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                spec.cluster_ip
            ),
        ));
    }
    for (i, p) in spec.ports.iter().enumerate() {
        if !(1..=65535).contains(&p.port) {
            return Err(cx.err(
                &format!("spec.ports.{i}.port"),
                format!(
                    "Invalid value: {}: must be between 1 and 65535, inclusive",
                    p.port
                ),
            ));
        }
        if spec.ports.len() > 1 && p.name.is_empty() {
            return Err(cx.err(&format!("spec.ports[{i}].name"), "Required value"));
        }
        if let Some(np) = p.node_port.filter(|n| *n != 0) {
            if !external {
                return Err(cx.err(
                    &format!("spec.ports[{i}].nodePort"),
                    format!(
                        "Forbidden: may not be used when `type` is '{}'",
                        if spec.kind.is_empty() {
                            "ClusterIP"
                        } else {
                            &spec.kind
                        }
                    ),
                ));
            }
            let r = crate::net::alloc::NODE_PORT_RANGE;
            if !r.contains(&np) {
                return Err(cx.err(
                    &format!("spec.ports[{i}].nodePort"),
                    format!(
                        "Invalid value: {np}: provided port is not in the valid range. The range of valid ports is {}-{}",
                        r.start(),
                        r.end()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Ingress validation (pkg/apis/networking/validation `validateHTTPIngressPath`): every
/// path has a pathType, and Exact/Prefix paths are absolute.
fn ingress_spec(cx: &Ctx, spec: &crate::api::service::IngressSpec) -> Result<(), LoadError> {
    for (r, rule) in spec.rules.iter().enumerate() {
        for (i, p) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
            let at = format!("spec.rules[{r}].http.paths[{i}]");
            if p.path_type.is_empty() {
                return Err(cx.err(
                    &format!("{at}.pathType"),
                    "Required value: pathType must be specified",
                ));
            }
            one_of(
                cx,
                &format!("{at}.pathType"),
                &p.path_type,
                &["Exact", "ImplementationSpecific", "Prefix"],
            )?;
            if p.path_type != "ImplementationSpecific" && !p.path.starts_with('/') {
                return Err(cx.err(
                    &format!("{at}.path"),
                    format!("Invalid value: {:?}: must be an absolute path", p.path),
                ));
            }
        }
    }
    Ok(())
}

/// An enum-like string field (empty: the default).
fn one_of(cx: &Ctx, at: &str, v: &str, allowed: &[&str]) -> Result<(), LoadError> {
    if v.is_empty() || allowed.contains(&v) {
        return Ok(());
    }
    Err(cx.err(
        at,
        format!(
            "Unsupported value: {v:?}: supported values: {}",
            allowed
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

fn update_strategy(cx: &Ctx, s: &super::apps::UpdateStrategy) -> Result<(), LoadError> {
    one_of(
        cx,
        "spec.updateStrategy.type",
        &s.kind,
        &["OnDelete", "RollingUpdate"],
    )?;
    if s.kind == "OnDelete" && s.rolling_update.is_some() {
        return Err(cx.err(
            "spec.updateStrategy.rollingUpdate",
            "Invalid value: only allowed for updateStrategy 'RollingUpdate'",
        ));
    }
    Ok(())
}

/// `ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent`.
fn int_or_percent(cx: &Ctx, at: &str, v: &Option<IntOrString>) -> Result<(), LoadError> {
    let Some(v) = v else {
        return Ok(());
    };
    match v.scaled_value(100, true) {
        Err(e) => Err(cx.err(at, e)),
        Ok(n) if n < 0 => Err(cx.err(at, "Invalid value: must be greater than or equal to 0")),
        Ok(n) if n > 100 && matches!(v, IntOrString::Str(_)) => {
            Err(cx.err(at, "Invalid value: must not be greater than 100%"))
        }
        Ok(_) => Ok(()),
    }
}

fn non_negative_int(cx: &Ctx, at: &str, v: Option<i64>) -> Result<(), LoadError> {
    match v {
        Some(n) if n < 0 => Err(cx.err(
            at,
            format!("Invalid value: {n}: must be greater than or equal to 0"),
        )),
        _ => Ok(()),
    }
}

/// The rest of `ValidateDeploymentSpec` / `ValidateRollingUpdateDeployment` (apps/validation).
fn deployment_spec(cx: &Ctx, spec: &super::apps::DeploymentSpec) -> Result<(), LoadError> {
    non_negative_int(
        cx,
        "spec.minReadySeconds",
        Some(spec.min_ready_seconds.into()),
    )?;
    non_negative_int(
        cx,
        "spec.revisionHistoryLimit",
        spec.revision_history_limit.map(i64::from),
    )?;
    if let Some(p) = spec.progress_deadline_seconds {
        non_negative_int(cx, "spec.progressDeadlineSeconds", Some(p.into()))?;
        if p <= spec.min_ready_seconds {
            return Err(cx.err(
                "spec.progressDeadlineSeconds",
                format!("Invalid value: {p}: must be greater than minReadySeconds"),
            ));
        }
    }
    if let Some(ru) = &spec.strategy.rolling_update {
        let at = "spec.strategy.rollingUpdate";
        int_or_percent(cx, &format!("{at}.maxUnavailable"), &ru.max_unavailable)?;
        int_or_percent(cx, &format!("{at}.maxSurge"), &ru.max_surge)?;
        let zero = |v: &Option<IntOrString>| match v {
            // getIntOrPercentValue: an absent value is defaulted to 25% before validation.
            None => false,
            Some(IntOrString::Int(n)) => *n == 0,
            Some(IntOrString::Str(s)) => s.trim_end_matches('%').parse::<i64>() == Ok(0),
        };
        if zero(&ru.max_unavailable) && zero(&ru.max_surge) {
            return Err(cx.err(
                &format!("{at}.maxUnavailable"),
                "Invalid value: 0: may not be 0 when `maxSurge` is 0",
            ));
        }
    }
    Ok(())
}

/// `validateHorizontalPodAutoscalerSpec` (pkg/apis/autoscaling/validation), first error only,
/// with the HPAScaleToZero gate off (v1.35's default) and HPAConfigurableTolerance on.
fn hpa_spec(cx: &Ctx, spec: &super::autoscaling::HpaSpec) -> Result<(), LoadError> {
    if let Some(m) = spec.min_replicas.filter(|m| *m < 1) {
        return Err(cx.err(
            "spec.minReplicas",
            format!("Invalid value: {m}: must be greater than or equal to 1"),
        ));
    }
    if spec.max_replicas < 1 {
        return Err(cx.err(
            "spec.maxReplicas",
            format!(
                "Invalid value: {}: must be greater than 0",
                spec.max_replicas
            ),
        ));
    }
    if spec.min_replicas.is_some_and(|m| spec.max_replicas < m) {
        return Err(cx.err(
            "spec.maxReplicas",
            format!(
                "Invalid value: {}: must be greater than or equal to `minReplicas`",
                spec.max_replicas
            ),
        ));
    }
    let r = &spec.scale_target_ref;
    for (f, v) in [("kind", &r.kind), ("name", &r.name)] {
        let at = format!("spec.scaleTargetRef.{f}");
        if v.is_empty() {
            return Err(cx.err(&at, "Required value"));
        }
        if let Some(why) = path_segment(v) {
            return Err(cx.err(&at, format!("Invalid value: {v:?}: {why}")));
        }
    }
    const SOURCES: [&str; 5] = [
        "ContainerResource",
        "External",
        "Object",
        "Pods",
        "Resource",
    ];
    for (i, m) in spec.metrics.iter().enumerate() {
        let at = format!("spec.metrics.{i}");
        if m.kind.is_empty() {
            return Err(cx.err(
                &format!("{at}.type"),
                "Required value: must specify a metric source type",
            ));
        }
        if !SOURCES.contains(&m.kind.as_str()) {
            return Err(cx.err(
                &format!("{at}.type"),
                format!(
                    "Unsupported value: {:?}: supported values: {}",
                    m.kind,
                    SOURCES.map(|s| format!("{s:?}")).join(", ")
                ),
            ));
        }
        let present = [
            ("containerResource", m.container_resource.is_some()),
            ("external", m.external.is_some()),
            ("object", m.object.is_some()),
            ("pods", m.pods.is_some()),
            ("resource", m.resource.is_some()),
        ];
        let expected = match m.kind.as_str() {
            "ContainerResource" => "containerResource",
            "External" => "external",
            "Object" => "object",
            "Pods" => "pods",
            _ => "resource",
        };
        if !present.iter().any(|(f, p)| *f == expected && *p) {
            return Err(cx.err(
                &format!("{at}.{expected}"),
                "Required value: must populate information for the given metric source",
            ));
        }
        if let Some((f, _)) = present.iter().find(|(f, p)| *p && *f != expected) {
            return Err(cx.err(
                &format!("{at}.{f}"),
                "Forbidden: must populate the given metric source only",
            ));
        }
        let (name, target) = match (&m.resource, &m.container_resource) {
            (Some(r), _) if expected == "resource" => (&r.name, &r.target),
            (_, Some(c)) if expected == "containerResource" => {
                if c.container.is_empty() {
                    return Err(cx.err(
                        &format!("{at}.containerResource.container"),
                        "Required value: must specify a container",
                    ));
                }
                (&c.name, &c.target)
            }
            _ => continue,
        };
        let at = format!("{at}.{expected}");
        if name.is_empty() {
            return Err(cx.err(
                &format!("{at}.name"),
                "Required value: must specify a resource name",
            ));
        }
        metric_target(cx, &format!("{at}.target"), target)?;
        match (target.average_utilization, &target.average_value) {
            (None, None) => {
                return Err(cx.err(
                    &format!("{at}.target.averageUtilization"),
                    "Required value: must set either a target raw value or a target utilization",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(cx.err(
                    &format!("{at}.target.averageValue"),
                    "Forbidden: may not set both a target raw value and a target utilization",
                ))
            }
            _ => {}
        }
    }
    if let Some(b) = &spec.behavior {
        for (f, rules) in [("scaleUp", &b.scale_up), ("scaleDown", &b.scale_down)] {
            if let Some(r) = rules {
                scaling_rules(cx, &format!("spec.behavior.{f}"), r)?;
            }
        }
    }
    Ok(())
}

/// `validateMetricTarget`.
fn metric_target(
    cx: &Ctx,
    at: &str,
    t: &super::autoscaling::MetricTarget,
) -> Result<(), LoadError> {
    if t.kind.is_empty() {
        return Err(cx.err(
            &format!("{at}.type"),
            "Required value: must specify a metric target type",
        ));
    }
    if !["Utilization", "Value", "AverageValue"].contains(&t.kind.as_str()) {
        return Err(cx.err(
            &format!("{at}.type"),
            format!(
                "Invalid value: {:?}: must be either Utilization, Value, or AverageValue",
                t.kind
            ),
        ));
    }
    for (f, q) in [("value", &t.value), ("averageValue", &t.average_value)] {
        if let Some(q) = q.as_ref().filter(|q| q.is_zero() || q.is_negative()) {
            return Err(cx.err(
                &format!("{at}.{f}"),
                format!("Invalid value: \"{q}\": must be positive"),
            ));
        }
    }
    if let Some(u) = t.average_utilization.filter(|u| *u < 1) {
        return Err(cx.err(
            &format!("{at}.averageUtilization"),
            format!("Invalid value: {u}: must be greater than 0"),
        ));
    }
    Ok(())
}

/// `validateScalingRules` and `validateScalingPolicy` (MaxStabilizationWindowSeconds 3600,
/// MaxPeriodSeconds 1800).
fn scaling_rules(
    cx: &Ctx,
    at: &str,
    r: &super::autoscaling::HpaScalingRules,
) -> Result<(), LoadError> {
    if let Some(w) = r.stabilization_window_seconds {
        if w < 0 {
            return Err(cx.err(
                &format!("{at}.stabilizationWindowSeconds"),
                format!("Invalid value: {w}: must be greater than or equal to zero"),
            ));
        }
        if w > 3600 {
            return Err(cx.err(
                &format!("{at}.stabilizationWindowSeconds"),
                format!("Invalid value: {w}: must be less than or equal to 3600"),
            ));
        }
    }
    if let Some(p) = &r.select_policy {
        one_of(
            cx,
            &format!("{at}.selectPolicy"),
            p,
            &["Disabled", "Max", "Min"],
        )?;
    }
    if r.policies.as_ref().is_some_and(Vec::is_empty) {
        return Err(cx.err(
            &format!("{at}.policies"),
            "Required value: must specify at least one Policy",
        ));
    }
    for (i, p) in r.policies.iter().flatten().enumerate() {
        let pat = format!("{at}.policies.{i}");
        one_of(cx, &format!("{pat}.type"), &p.kind, &["Percent", "Pods"])?;
        if p.value <= 0 {
            return Err(cx.err(
                &format!("{pat}.value"),
                format!("Invalid value: {}: must be greater than zero", p.value),
            ));
        }
        if p.period_seconds <= 0 {
            return Err(cx.err(
                &format!("{pat}.periodSeconds"),
                format!(
                    "Invalid value: {}: must be greater than zero",
                    p.period_seconds
                ),
            ));
        }
        if p.period_seconds > 1800 {
            return Err(cx.err(
                &format!("{pat}.periodSeconds"),
                format!(
                    "Invalid value: {}: must be less than or equal to 1800",
                    p.period_seconds
                ),
            ));
        }
    }
    if let Some(t) = r.tolerance.as_ref().filter(|t| t.is_negative()) {
        return Err(cx.err(
            &format!("{at}.tolerance"),
            format!("Invalid value: \"{t}\": must be greater than or equal to 0"),
        ));
    }
    Ok(())
}

/// `ValidateJobSpec` (the parts the model reads) at `at` (`spec` or `spec.jobTemplate.spec`).
fn job_spec(cx: &Ctx, at: &str, spec: &super::batch::JobSpec) -> Result<(), LoadError> {
    for (f, v) in [
        ("parallelism", spec.parallelism.map(i64::from)),
        ("completions", spec.completions.map(i64::from)),
        ("backoffLimit", spec.backoff_limit.map(i64::from)),
        ("activeDeadlineSeconds", spec.active_deadline_seconds),
        (
            "ttlSecondsAfterFinished",
            spec.ttl_seconds_after_finished.map(i64::from),
        ),
    ] {
        non_negative_int(cx, &format!("{at}.{f}"), v)?;
    }
    let mode = spec.completion_mode.as_deref().unwrap_or("");
    one_of(
        cx,
        &format!("{at}.completionMode"),
        mode,
        &["NonIndexed", "Indexed"],
    )?;
    if mode == "Indexed" && spec.completions.is_none() {
        return Err(cx.err(
            &format!("{at}.completions"),
            "Required value: when completion mode is Indexed",
        ));
    }
    pod_spec(
        cx,
        &format!("{at}.template.spec"),
        &spec.template.spec,
        &["OnFailure", "Never"],
    )
}

fn replicas(cx: &Ctx, r: Option<i32>) -> Result<(), LoadError> {
    match r {
        Some(n) if n < 0 => Err(cx.err(
            "spec.replicas",
            format!("Invalid value: {n}: must be greater than or equal to 0"),
        )),
        _ => Ok(()),
    }
}

fn workload(
    cx: &Ctx,
    selector: Option<&LabelSelector>,
    template: &super::pod::PodTemplateSpec,
) -> Result<(), LoadError> {
    let Some(sel) = selector else {
        return Err(cx.err("spec.selector", "Required value"));
    };
    if let Err(e) = sel.validate() {
        return Err(cx.err("spec.selector", format!("Invalid value: {e}")));
    }
    if sel.is_empty() {
        return Err(cx.err(
            "spec.selector",
            "Invalid value: empty selector is invalid for deployment",
        ));
    }
    if !sel.matches(&template.metadata.labels) {
        return Err(cx.err(
            "spec.template.metadata.labels",
            format!(
                "Invalid value: {:?}: `selector` does not match template `labels`",
                template.metadata.labels
            ),
        ));
    }
    pod_spec(cx, "spec.template.spec", &template.spec, &["Always"])
}

fn pod_spec(cx: &Ctx, at: &str, spec: &PodSpec, policies: &[&str]) -> Result<(), LoadError> {
    if spec.containers.is_empty() {
        return Err(cx.err(&format!("{at}.containers"), "Required value"));
    }
    let policy = if spec.restart_policy.is_empty() {
        "Always"
    } else {
        &spec.restart_policy
    };
    if !policies.contains(&policy) {
        return Err(cx.err(
            &format!("{at}.restartPolicy"),
            format!(
                "Unsupported value: {policy:?}: supported values: {}",
                policies
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mut names: Vec<&str> = Vec::new();
    for (field, list) in [
        ("initContainers", &spec.init_containers),
        ("containers", &spec.containers),
    ] {
        for (i, c) in list.iter().enumerate() {
            let p = format!("{at}.{field}.{i}");
            if c.name.is_empty() {
                return Err(cx.err(&format!("{p}.name"), "Required value"));
            }
            if let Some(why) = dns1123_label(&c.name) {
                return Err(cx.err(
                    &format!("{p}.name"),
                    format!("Invalid value: {:?}: {why}", c.name),
                ));
            }
            if names.contains(&c.name.as_str()) {
                return Err(cx.err(
                    &format!("{p}.name"),
                    format!("Duplicate value: {:?}", c.name),
                ));
            }
            names.push(&c.name);
            if c.image.trim().is_empty() {
                return Err(cx.err(&format!("{p}.image"), "Required value"));
            }
            // Upstream `validateSleepAction` (PodLifecycleSleepActionAllowZero, on by default
            // since v1.33): a sleep hook fits in the grace period.
            let grace = spec.termination_grace_period_seconds.unwrap_or(30);
            let hooks = c
                .lifecycle
                .iter()
                .flat_map(|l| [("postStart", &l.post_start), ("preStop", &l.pre_stop)]);
            for (hook, h) in hooks {
                if let Some(sleep) = h.as_ref().and_then(|h| h.sleep.as_ref()) {
                    if sleep.seconds < 0 || sleep.seconds > grace {
                        return Err(cx.err(
                            &format!("{p}.lifecycle.{hook}.sleep.seconds"),
                            format!(
                                "Invalid value: {}: must be non-negative and less than terminationGracePeriodSeconds ({grace})",
                                sleep.seconds
                            ),
                        ));
                    }
                }
            }
            non_negative(
                cx,
                &format!("{p}.resources.requests"),
                &c.resources.requests,
            )?;
            non_negative(cx, &format!("{p}.resources.limits"), &c.resources.limits)?;
            // Upstream ValidateResourceRequirements: a request may not exceed its limit.
            for (res, req) in &c.resources.requests {
                if let Some(lim) = c.resources.limits.get(res) {
                    if req > lim {
                        let at = format!("{p}.resources.requests");
                        return Err(cx.err_at(
                            resource_node(cx.doc, &at, res).mark,
                            &format!("{at}.{res}"),
                            format!("Invalid value: {req:?}: must be less than or equal to {res} limit of {lim}", req = req.to_string()),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Every quantity of a resource list is in range (see [`quantity_range`]).
fn non_negative(cx: &Ctx, at: &str, rl: &ResourceList) -> Result<(), LoadError> {
    for (name, q) in rl {
        let node = resource_node(cx.doc, at, name);
        let written = node.scalar_text();
        if let Some(why) = quantity_range(q, written.as_deref().map(str::trim)) {
            return Err(cx.err_at(node.mark, &format!("{at}.{name}"), why));
        }
    }
    Ok(())
}

/// Upstream `path.IsValidPathSegmentName`: not `.` or `..`, no `/` or `%`.
pub fn path_segment(s: &str) -> Option<String> {
    if s == "." || s == ".." {
        return Some(format!("may not be '{s}'"));
    }
    if s.contains('/') || s.contains('%') {
        return Some("may not contain '/' or '%'".into());
    }
    None
}

/// RFC 1123 label: at most 63 characters of `[a-z0-9-]`, starting and ending alphanumeric.
pub fn dns1123_label(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    (!ok).then(|| "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (at most 63 characters)".to_string())
}

/// RFC 1123 subdomain: at most 253 characters, dot-separated RFC 1123 labels.
pub fn dns1123_subdomain(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    (!ok).then(|| "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".to_string())
}

/// RFC 1035 label (Service names): like an RFC 1123 label but starting with a letter.
pub fn dns1035_label(s: &str) -> Option<String> {
    match dns1123_label(s) {
        None if s.as_bytes()[0].is_ascii_lowercase() => None,
        _ => Some("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(dns1123_label("web-0").is_none());
        assert!(dns1123_label("Web").is_some());
        assert!(dns1123_label("-a").is_some());
        assert!(dns1123_label(&"a".repeat(64)).is_some());
        assert!(dns1123_subdomain("a.b-c.d").is_none());
        assert!(dns1123_subdomain("a..b").is_some());
        assert!(dns1035_label("0abc").is_some());
        assert!(dns1035_label("abc0").is_none());
    }
}
