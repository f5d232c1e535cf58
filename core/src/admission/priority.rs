//! The Priority admission plugin (upstream plugin/pkg/admission/priority): resolve a pod's
//! `priorityClassName` into `spec.priority` and `spec.preemptionPolicy`.
//!
//! - A named class must exist: `no PriorityClass with name X was found`.
//! - No name: the `globalDefault` class if one exists (its name is written into the pod),
//!   else priority 0 (`scheduling.DefaultPriorityWhenNoDefaultClassExists`).
//! - The built-in system classes always exist: `system-cluster-critical` = 2000000000 and
//!   `system-node-critical` = 2000001000 (scheduling.SystemCriticalPriority + 1000).
//! - A pod that sets `priority` itself must agree with the class.

use crate::api::pod::Pod;
use crate::api::{Kind, Object};
use crate::store::MemoryStore;

/// Upstream `scheduling.SystemCriticalPriority`.
pub const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// The value and preemption policy of a class, built-in or stored.
fn lookup(store: &MemoryStore, name: &str) -> Option<(i32, Option<String>)> {
    match name {
        "system-cluster-critical" => return Some((SYSTEM_CRITICAL_PRIORITY, None)),
        "system-node-critical" => return Some((SYSTEM_CRITICAL_PRIORITY + 1000, None)),
        _ => {}
    }
    store.objects(Kind::PriorityClass).find_map(|o| match o {
        Object::PriorityClass(pc) if pc.metadata.name == name => {
            Some((pc.value, pc.preemption_policy.clone()))
        }
        _ => None,
    })
}

/// The globalDefault class, if any. With several (upstream forbids it at creation), the one
/// with the lowest value wins, as upstream's `getDefaultPriorityClass` picks.
fn global_default(store: &MemoryStore) -> Option<(String, i32, Option<String>)> {
    store
        .objects(Kind::PriorityClass)
        .filter_map(|o| match o {
            Object::PriorityClass(pc) if pc.global_default => Some((
                pc.metadata.name.clone(),
                pc.value,
                pc.preemption_policy.clone(),
            )),
            _ => None,
        })
        .min_by_key(|(n, v, _)| (*v, n.clone()))
}

pub fn admit(store: &MemoryStore, pod: &mut Pod) -> Result<(), String> {
    let (name, value, policy) = if pod.spec.priority_class_name.is_empty() {
        match global_default(store) {
            Some((n, v, p)) => (n, v, p),
            None => (String::new(), 0, None),
        }
    } else {
        let n = pod.spec.priority_class_name.clone();
        let (v, p) =
            lookup(store, &n).ok_or_else(|| format!("no PriorityClass with name {n} was found"))?;
        (n, v, p)
    };
    if let Some(given) = pod.spec.priority {
        if given != value {
            return Err(format!(
                "the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name"
            ));
        }
    }
    pod.spec.priority_class_name = name;
    pod.spec.priority = Some(value);
    if pod.spec.preemption_policy.is_none() {
        // Default PreemptLowerPriority (the API default of PriorityClass.preemptionPolicy).
        pod.spec.preemption_policy = Some(policy.unwrap_or_else(|| "PreemptLowerPriority".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::policy::PriorityClass;
    use crate::store::ObjectStore;

    fn class(name: &str, value: i32, default: bool) -> Object {
        let mut pc = PriorityClass::default();
        pc.metadata.name = name.into();
        pc.value = value;
        pc.global_default = default;
        Object::PriorityClass(pc)
    }

    fn pod(class: &str, priority: Option<i32>) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "p".into();
        p.spec.priority_class_name = class.into();
        p.spec.priority = priority;
        p
    }

    #[test]
    fn priority_admission_like_upstream() {
        // Rows after upstream admission_test.go TestPodAdmission.
        let mut s = MemoryStore::new();
        let mut p = pod("", None);
        admit(&s, &mut p).unwrap();
        assert_eq!(p.spec.priority, Some(0), "no default class: 0");
        s.create(class("high", 1000, false)).unwrap();
        s.create(class("default", 100, true)).unwrap();
        let mut p = pod("", None);
        admit(&s, &mut p).unwrap();
        assert_eq!(
            (p.spec.priority, p.spec.priority_class_name.as_str()),
            (Some(100), "default")
        );
        let mut p = pod("high", None);
        admit(&s, &mut p).unwrap();
        assert_eq!(p.spec.priority, Some(1000));
        assert_eq!(
            p.spec.preemption_policy.as_deref(),
            Some("PreemptLowerPriority")
        );
        let mut p = pod("system-node-critical", None);
        admit(&s, &mut p).unwrap();
        assert_eq!(p.spec.priority, Some(2_000_001_000));
        assert_eq!(
            admit(&s, &mut pod("nope", None)).unwrap_err(),
            "no PriorityClass with name nope was found"
        );
        assert!(admit(&s, &mut pod("high", Some(5)))
            .unwrap_err()
            .contains("must not be provided"));
        let mut p = pod("high", Some(1000));
        assert!(
            admit(&s, &mut p).is_ok(),
            "a matching explicit priority is accepted"
        );
    }
}
