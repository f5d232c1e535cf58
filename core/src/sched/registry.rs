//! The in-tree plugin registry: which extension points each plugin implements (what
//! `multiPoint` expands it into), and how to build one from its args.

use super::framework::{Plugin, Point};
use super::plugins;
use std::rc::Rc;

use Point::*;

/// Upstream plugin names and the extension points their Go types implement (v1.35).
pub const PLUGINS: &[(&str, &[Point])] = &[
    ("SchedulingGates", &[PreEnqueue]),
    ("PrioritySort", &[QueueSort]),
    ("NodeUnschedulable", &[Filter]),
    ("NodeName", &[Filter]),
    ("TaintToleration", &[Filter, PreScore, Score]),
    ("NodeAffinity", &[PreFilter, Filter, PreScore, Score]),
    ("NodePorts", &[PreFilter, Filter]),
    ("NodeResourcesFit", &[PreFilter, Filter, PreScore, Score]),
    ("VolumeRestrictions", &[PreFilter, Filter]),
    ("EBSLimits", &[Filter]),
    ("GCEPDLimits", &[Filter]),
    ("NodeVolumeLimits", &[Filter]),
    ("AzureDiskLimits", &[Filter]),
    (
        "VolumeBinding",
        &[PreFilter, Filter, Reserve, PreBind, PreScore, Score],
    ),
    ("VolumeZone", &[PreFilter, Filter]),
    ("PodTopologySpread", &[PreFilter, Filter, PreScore, Score]),
    ("InterPodAffinity", &[PreFilter, Filter, PreScore, Score]),
    ("DefaultPreemption", &[PostFilter]),
    ("NodeResourcesBalancedAllocation", &[PreScore, Score]),
    ("ImageLocality", &[Score]),
    ("DefaultBinder", &[Bind]),
];

/// The extension points of a registered plugin; `None` when no such plugin exists.
pub fn points_of(name: &str) -> Option<&'static [Point]> {
    PLUGINS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// Build a plugin from its args (`None`: upstream defaults). The error is upstream's
/// validation message for the args.
pub fn build(name: &str, args: Option<&crate::yaml::Node>) -> Result<Rc<dyn Plugin>, String> {
    plugins::build(name, args)
}
