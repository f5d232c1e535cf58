//! The volume plugins (VolumeRestrictions, the *Limits plugins, VolumeBinding, VolumeZone).
//!
//! cellsim models no volumes (PersistentVolumeClaims are accepted and ignored), so every pod
//! is a pod without volumes — for which each of these plugins upstream passes every node and
//! scores nothing. They are registered so configurations that name them stay valid.

use crate::sched::framework::{Plugin, Point};

pub struct NoVolumes {
    name: &'static str,
}

impl NoVolumes {
    pub fn new(name: &str) -> NoVolumes {
        let name = crate::sched::registry::PLUGINS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("VolumeBinding", |(n, _)| n);
        NoVolumes { name }
    }
}

impl Plugin for NoVolumes {
    fn name(&self) -> &'static str {
        self.name
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        crate::sched::registry::points_of(self.name).unwrap_or(&[])
    }
    /// No volumes: every node passes.
    fn has_filter(&self) -> bool {
        false
    }
}
