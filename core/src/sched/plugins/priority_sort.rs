//! PrioritySort (QueueSort): higher `spec.priority` first, then earlier enqueue time. The
//! ordering itself lives in `sched::queue` (activeQ is kept sorted by it); this plugin is the
//! configuration's handle on it.

use crate::sched::framework::{Plugin, Point};

pub struct PrioritySort;

impl Plugin for PrioritySort {
    fn name(&self) -> &'static str {
        "PrioritySort"
    }
    fn points(&self) -> &'static [Point] {
        &[Point::QueueSort]
    }
}
