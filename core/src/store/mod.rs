//! The versioned object store and its change feed.
//!
//! Every write bumps one global resource version, as etcd's revision does; controllers and the
//! scheduler consume the change feed from the last version they saw (the informer pattern,
//! without the network). The `ObjectStore` trait is the seam where an etcd-backed store will
//! plug in for multi-host runs (design: "Where it goes next").

mod chunked_slab;
pub mod generation;
mod key_hash;
mod memory;
mod probe_map;

pub use memory::MemoryStore;
pub use probe_map::{ProbeMap, ProbeSet};

use crate::api::{Kind, Object};

/// Identifies an object: kind, namespace (empty for cluster-scoped kinds) and name. Ordered by
/// kind, then namespace, then name, which is the store's iteration order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            kind,
            namespace: if kind.namespaced() {
                namespace.to_string()
            } else {
                String::new()
            },
            name: name.to_string(),
        }
    }

    pub fn of(obj: &Object) -> ObjectKey {
        let m = obj.meta();
        ObjectKey::new(obj.kind(), &m.namespace, &m.name)
    }

    /// `ObjectKey::of(obj) == *self`, without building a key (no allocation).
    pub fn names(&self, obj: &Object) -> bool {
        let m = obj.meta();
        obj.kind() == self.kind
            && m.name == self.name
            && (!self.kind.namespaced() || m.namespace == self.namespace)
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.kind.namespaced() {
            write!(f, "{}/{}/{}", self.kind.name(), self.namespace, self.name)
        } else {
            write!(f, "{}/{}", self.kind.name(), self.name)
        }
    }
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

/// One entry of the change feed.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub revision: u64,
    pub key: ObjectKey,
    pub change: ChangeType,
}

/// A stored object with the revision of its last write.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub revision: u64,
    /// The revision of the last write that may have changed more than a pod's status (every
    /// write but `MemoryStore::modify_pod_status_if`): a reader that copied the metadata and
    /// spec at this revision knows they are still equal without comparing them (the
    /// scheduler's `Snapshot::refresh_placed`).
    pub spec_revision: u64,
    pub object: Object,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    AlreadyExists(ObjectKey),
    #[error("{0} not found")]
    NotFound(ObjectKey),
    #[error("conflict on {key}: expected revision {expected}, found {found}")]
    Conflict {
        key: ObjectKey,
        expected: u64,
        found: u64,
    },
}

/// The store contract shared by the embedded store and a future etcd-backed one.
pub trait ObjectStore {
    fn get(&self, key: &ObjectKey) -> Option<&Stored>;
    /// All objects of a kind, in key order.
    fn list(&self, kind: Kind) -> Box<dyn Iterator<Item = (&ObjectKey, &Stored)> + '_>;
    fn create(&mut self, obj: Object) -> Result<u64, StoreError>;
    /// Replace an object. With `expected = Some(rev)` the write fails on a concurrent change
    /// (optimistic concurrency, as the API server's resourceVersion check).
    fn update(&mut self, obj: Object, expected: Option<u64>) -> Result<u64, StoreError>;
    fn delete(&mut self, key: &ObjectKey) -> Result<Object, StoreError>;
    /// The current revision (the last write's).
    fn revision(&self) -> u64;
    /// Changes with revision greater than `after`, oldest first.
    fn changes_since(&self, after: u64) -> &[Change];
}
