//! Object writes that every component makes the same way: create with a uid and creation
//! time, and graceful pod deletion.

use super::ctx::Ctx;
use crate::api::{Kind, Object};
use crate::store::{ObjectKey, ObjectStore};

/// Create an object through admission, assigning its uid (deterministic:
/// `<kind hash>-<revision>`) and creation time. Returns the object as stored, or admission's
/// rejection. An existing object with that key is replaced (admission runs on creates only).
pub fn create(ctx: &mut Ctx, mut obj: Object) -> Result<Object, String> {
    if ctx.store.get(&ObjectKey::of(&obj)).is_none() {
        crate::admission::admit_create(ctx.store, &mut obj)?;
    }
    let next_rev = ctx.store.revision() + 1;
    let kind_hash = fnv_kind(&obj);
    let m = obj.meta_mut();
    if m.uid.is_empty() {
        m.uid = format!("{kind_hash:08x}-{next_rev:012x}");
    }
    let now = ctx.now.millis();
    obj.meta_mut().created_at = now;
    let key = ObjectKey::of(&obj);
    if ctx.store.get(&key).is_some() {
        let _ = ctx.store.update(obj.clone(), None);
    } else {
        let _ = ctx.store.create(obj.clone());
    }
    Ok(obj)
}

/// Create, and on an admission rejection record `FailedCreate` on `reporter` (the controller
/// or the scenario step that asked), as kube-controller-manager and kubectl report it.
pub fn create_or_report(ctx: &mut Ctx, obj: Object, reporter: &str) -> Option<Object> {
    match create(ctx, obj) {
        Ok(o) => Some(o),
        Err(e) => {
            ctx.event(
                "FailedCreate",
                reporter.to_string(),
                None,
                format!("Error creating: {e}"),
            );
            None
        }
    }
}

fn fnv_kind(o: &Object) -> u32 {
    crate::controllers::naming::fnv32a(o.kind().name().as_bytes())
}

/// Start a graceful deletion of a pod (as the API server does for `DELETE pod`): a pod that
/// never reached a node goes at once; a bound one gets `deletionTimestamp` and its kubelet
/// stops the containers, then removes it.
pub fn delete_pod(ctx: &mut Ctx, pod_key: &str) {
    let (ns, name) = pod_key.split_once('/').unwrap_or(("default", pod_key));
    let key = ObjectKey::new(Kind::Pod, ns, name);
    let Some(Object::Pod(p)) = ctx.store.get(&key).map(|s| s.object.clone()) else {
        return;
    };
    if p.spec.node_name.is_empty() || p.is_terminal() {
        let _ = ctx.store.delete(&key);
        return;
    }
    if p.metadata.deletion_at.is_some() {
        return;
    }
    let mut p = p;
    p.metadata.deletion_at = Some(ctx.now.millis());
    let _ = ctx.store.update(Object::Pod(p), None);
}

/// `DeleteOptions.propagationPolicy`: what happens to an object's dependents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    /// The owner goes at once; the garbage collector then deletes the dependents (kubectl's
    /// default, `--cascade=background`).
    #[default]
    Background,
    /// The owner gets `deletionTimestamp` and the `foregroundDeletion` finalizer; the garbage
    /// collector deletes the dependents, and the owner goes when no dependent with
    /// `blockOwnerDeletion` is left.
    Foreground,
    /// The owner gets the `orphan` finalizer; the garbage collector removes the dependents'
    /// owner references to it, then the owner goes.
    Orphan,
}

impl Propagation {
    pub fn parse(s: &str) -> Option<Propagation> {
        Some(match s {
            "Background" => Propagation::Background,
            "Foreground" => Propagation::Foreground,
            "Orphan" => Propagation::Orphan,
            _ => return None,
        })
    }
}

/// metav1.FinalizerDeleteDependents.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
/// metav1.FinalizerOrphanDependents.
pub const ORPHAN_FINALIZER: &str = "orphan";

/// `DELETE` with a propagation policy, as the API server handles it (registry/generic
/// `BeginDelete` + `deletionFinalization`). Pods are always deleted gracefully (they own
/// nothing in the model). An object already being deleted is left as it is.
pub fn delete(ctx: &mut Ctx, key: &ObjectKey, policy: Propagation) {
    if key.kind == Kind::Pod {
        delete_pod(ctx, &format!("{}/{}", key.namespace, key.name));
        return;
    }
    let Some(mut obj) = ctx.store.get(key).map(|s| s.object.clone()) else {
        return;
    };
    if obj.meta().deletion_at.is_some() {
        return;
    }
    let finalizer = match policy {
        Propagation::Background if obj.meta().finalizers.is_empty() => {
            let _ = ctx.store.delete(key);
            return;
        }
        Propagation::Background => None,
        Propagation::Foreground => Some(FOREGROUND_FINALIZER),
        Propagation::Orphan => Some(ORPHAN_FINALIZER),
    };
    let m = obj.meta_mut();
    m.deletion_at = Some(ctx.now.millis());
    if let Some(f) = finalizer {
        if !m.finalizers.iter().any(|x| x == f) {
            m.finalizers.push(f.to_string());
        }
    }
    let _ = ctx.store.update(obj, None);
}

/// Remove a finalizer; an object being deleted whose last finalizer goes is removed (the API
/// server finishes the deletion).
pub fn remove_finalizer(ctx: &mut Ctx, key: &ObjectKey, finalizer: &str) {
    let Some(mut obj) = ctx.store.get(key).map(|s| s.object.clone()) else {
        return;
    };
    let m = obj.meta_mut();
    let before = m.finalizers.len();
    m.finalizers.retain(|f| f != finalizer);
    if m.finalizers.len() == before {
        return;
    }
    if m.finalizers.is_empty() && m.deletion_at.is_some() {
        let _ = ctx.store.delete(key);
    } else {
        let _ = ctx.store.update(obj, None);
    }
}
