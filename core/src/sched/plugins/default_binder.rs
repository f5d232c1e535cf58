//! DefaultBinder (Bind): writes `spec.nodeName` through the Binding subresource. The write
//! itself is done by the scheduler (it owns the store access); this plugin is the
//! configuration's handle on it — a profile needs at least one bind plugin.

use crate::sched::framework::{CycleState, Plugin, PodInfo, Point, Status};

pub struct DefaultBinder;

impl Plugin for DefaultBinder {
    fn name(&self) -> &'static str {
        "DefaultBinder"
    }
    fn points(&self) -> &'static [Point] {
        &[Point::Bind]
    }
    /// Upstream DefaultBinder.Bind: POST the Binding (done by the scheduler on Success).
    fn bind(&self, _: &CycleState, _: &PodInfo, _: &str) -> Status {
        Status::success()
    }
}
