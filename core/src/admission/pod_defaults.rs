//! API defaulting of a pod, which the API server applies when it decodes the request, before
//! any admission plugin: upstream pkg/apis/core/v1/defaults.go `SetDefaults_Pod` — a container
//! (app or init) that states a limit but no request for a resource requests its limit.

use crate::api::pod::{Container, Pod};

/// `SetDefaults_Pod`, the resource part: requests default to limits, per resource.
pub fn apply(pod: &mut Pod) {
    let spec = &mut pod.spec;
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut())
    {
        default_requests(c);
    }
}

fn default_requests(c: &mut Container) {
    let r = &mut c.resources;
    for (name, q) in &r.limits {
        r.requests.entry(name.clone()).or_insert_with(|| q.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Quantity;

    #[test]
    fn requests_default_to_limits_per_resource() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        let mut p = Pod::default();
        let mut c = Container::default();
        c.resources.limits.insert("cpu".into(), q("2"));
        c.resources.limits.insert("memory".into(), q("1Gi"));
        c.resources.requests.insert("cpu".into(), q("500m"));
        p.spec.containers.push(c.clone());
        p.spec.init_containers.push(c);
        apply(&mut p);
        for c in p.spec.containers.iter().chain(&p.spec.init_containers) {
            assert_eq!(
                c.resources.requests["cpu"],
                q("500m"),
                "a stated request stays"
            );
            assert_eq!(
                c.resources.requests["memory"],
                q("1Gi"),
                "a missing one is the limit"
            );
        }
    }
}
