//! Admission: what the API server does to an object before it is stored (mutating and
//! validating admission plugins). A rejected create never reaches the store.

pub mod priority;
pub mod quota;

use crate::api::Object;
use crate::store::MemoryStore;

/// Run every admission plugin on an object being created. The error is the API server's
/// message (`pods "x" is forbidden: ...`).
pub fn admit_create(store: &MemoryStore, obj: &mut Object) -> Result<(), String> {
    if let Object::Pod(p) = obj {
        // Mutating admission (priority) runs before validating admission (quota), as in
        // the API server.
        priority::admit(store, p)
            .map_err(|e| format!("pods {:?} is forbidden: {e}", p.metadata.name))?;
        quota::admit(store, p)
            .map_err(|e| format!("pods {:?} is forbidden: {e}", p.metadata.name))?;
    }
    Ok(())
}
