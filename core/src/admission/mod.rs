//! Admission: what the API server does to an object before it is stored (API defaulting, then
//! mutating, then validating admission plugins). A rejected create never reaches the store.
//!
//! Pods go through, in kube-apiserver's plugin order (pkg/kubeapiserver/options/plugins.go
//! `AllOrderedPlugins`; all mutating plugins run before all validating ones):
//! `pod_defaults` (`SetDefaults_Pod`: requests from limits), then mutating `limit_ranger`,
//! `priority`, `default_toleration_seconds`, then validating `limit_ranger` and `quota`.
//! LimitRange objects get `SetDefaults_LimitRangeItem` when they are created.

pub mod default_toleration_seconds;
pub mod limit_ranger;
pub mod pod_defaults;
pub mod priority;
pub mod quota;

use crate::api::Object;
use crate::store::MemoryStore;

/// Run every admission plugin on an object being created. The error is the API server's
/// message (`pods "x" is forbidden: ...`).
pub fn admit_create(store: &MemoryStore, obj: &mut Object) -> Result<(), String> {
    match obj {
        Object::Pod(p) => {
            let forbidden = |p: &crate::api::pod::Pod, e: String| {
                format!("pods {:?} is forbidden: {e}", p.metadata.name)
            };
            pod_defaults::apply(p);
            limit_ranger::mutate(store, p);
            priority::admit(store, p).map_err(|e| forbidden(p, e))?;
            default_toleration_seconds::admit(p);
            limit_ranger::validate(store, p).map_err(|e| forbidden(p, e))?;
            quota::admit(store, p).map_err(|e| forbidden(p, e))?;
        }
        Object::LimitRange(lr) => limit_ranger::default_items(lr),
        Object::Service(s) => crate::net::alloc::assign(store, s)?,
        _ => {}
    }
    Ok(())
}
