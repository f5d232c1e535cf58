//! SchedulingGates (PreEnqueue): a pod with `spec.schedulingGates` waits outside activeQ until
//! every gate is removed.

use crate::sched::framework::{Code, Plugin, PodInfo, Point, Status};

pub struct SchedulingGates;

impl Plugin for SchedulingGates {
    fn name(&self) -> &'static str {
        "SchedulingGates"
    }
    fn points(&self) -> &'static [Point] {
        &[Point::PreEnqueue]
    }
    fn pre_enqueue(&self, pod: &PodInfo) -> Status {
        if pod.pod.spec.scheduling_gates.is_empty() {
            return Status::success();
        }
        let names: Vec<&str> = pod
            .pod
            .spec
            .scheduling_gates
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        // Upstream message: "waiting for scheduling gates: [gate-a gate-b]".
        Status::new(
            Code::UnschedulableAndUnresolvable,
            format!("waiting for scheduling gates: [{}]", names.join(" ")),
        )
    }
}
