//! The DefaultTolerationSeconds admission plugin (upstream
//! plugin/pkg/admission/defaulttolerationseconds/admission.go): every pod that does not already
//! tolerate `node.kubernetes.io/not-ready:NoExecute` / `node.kubernetes.io/unreachable:NoExecute`
//! gets a toleration for it with `tolerationSeconds` 300 (the API server's
//! `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`).
//! So a pod is evicted from a failed node 300 s after the node lifecycle controller taints it.

use crate::api::node::{TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE};
use crate::api::pod::{Pod, Toleration};

/// Upstream `defaultNotReadyTolerationSeconds` and `defaultUnreachableTolerationSeconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

pub fn admit(pod: &mut Pod) {
    // A toleration counts when its key is the taint's or empty and its effect NoExecute or
    // empty; the operator is not looked at (as upstream).
    let covers = |t: &Toleration, key: &str| {
        (t.key == key || t.key.is_empty()) && (t.effect == "NoExecute" || t.effect.is_empty())
    };
    let tolerations = &mut pod.spec.tolerations;
    let not_ready = tolerations.iter().any(|t| covers(t, TAINT_NODE_NOT_READY));
    let unreachable = tolerations
        .iter()
        .any(|t| covers(t, TAINT_NODE_UNREACHABLE));
    for (present, key) in [
        (not_ready, TAINT_NODE_NOT_READY),
        (unreachable, TAINT_NODE_UNREACHABLE),
    ] {
        if !present {
            tolerations.push(Toleration {
                key: key.into(),
                operator: "Exists".into(),
                value: String::new(),
                effect: "NoExecute".into(),
                toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(key: &str, effect: &str, secs: Option<i64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: "Exists".into(),
            value: String::new(),
            effect: effect.into(),
            toleration_seconds: secs,
        }
    }

    fn admitted(tols: Vec<Toleration>) -> Vec<Toleration> {
        let mut p = Pod::default();
        p.spec.tolerations = tols;
        admit(&mut p);
        p.spec.tolerations
    }

    #[test]
    fn default_tolerations_like_upstream() {
        // Rows after upstream admission_test.go TestForgivenessAdmission.
        let nr = tol(TAINT_NODE_NOT_READY, "NoExecute", Some(300));
        let un = tol(TAINT_NODE_UNREACHABLE, "NoExecute", Some(300));
        // No tolerations: both added, not-ready first.
        assert_eq!(admitted(vec![]), vec![nr.clone(), un.clone()]);
        // Other tolerations are kept, the defaults appended.
        let other = tol("foo", "NoSchedule", None);
        assert_eq!(
            admitted(vec![other.clone()]),
            vec![other, nr.clone(), un.clone()]
        );
        // An own not-ready toleration (any seconds) is kept; only unreachable is added.
        let own = tol(TAINT_NODE_NOT_READY, "NoExecute", Some(700));
        assert_eq!(admitted(vec![own.clone()]), vec![own, un.clone()]);
        let own = tol(TAINT_NODE_UNREACHABLE, "", None);
        assert_eq!(admitted(vec![own.clone()]), vec![own, nr]);
        // A wildcard toleration (empty key, empty effect) covers both.
        let all = tol("", "", None);
        assert_eq!(admitted(vec![all.clone()]), vec![all]);
        // An empty key with the NoSchedule effect covers neither.
        let ns = tol("", "NoSchedule", None);
        assert_eq!(admitted(vec![ns.clone()]).len(), 3);
    }
}
