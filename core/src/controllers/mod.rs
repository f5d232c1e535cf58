//! Controllers: level-triggered reconcile functions driven by the store's change feed.
//!
//! Each controller keeps the revision it has read up to, turns new changes into a set of keys
//! to reconcile (a `BTreeSet`, so the order never depends on hashing), and reconciles each key
//! against the current state — idempotently, as kube-controller-manager's controllers do.

pub mod cron;
pub mod deployment;
pub mod naming;
pub mod replicaset;

use crate::sim::ctx::Ctx;

/// All controllers, run in a fixed order.
#[derive(Default)]
pub struct Controllers {
    pub deployment: deployment::DeploymentController,
    pub replicaset: replicaset::ReplicaSetController,
}

impl Controllers {
    pub fn sync(&mut self, ctx: &mut Ctx) {
        self.deployment.sync(ctx);
        self.replicaset.sync(ctx);
    }

    /// The lowest revision any controller still needs from the change feed.
    pub fn cursor(&self) -> u64 {
        self.deployment.cursor.min(self.replicaset.cursor)
    }
}
