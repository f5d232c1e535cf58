//! The in-tree plugins, one file per plugin (upstream: pkg/scheduler/framework/plugins).

pub mod balanced_allocation;
pub mod default_binder;
pub mod default_preemption;
pub mod helper;
pub mod image_locality;
pub mod inter_pod_affinity;
mod inter_pod_affinity_hints;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod priority_sort;
pub mod scheduling_gates;
pub mod taint_toleration;
pub mod volumes;

use super::framework::Plugin;
use std::rc::Rc;

/// Build a plugin by name from its args; the error is upstream's message for bad args.
pub fn build(name: &str, args: Option<&crate::yaml::Node>) -> Result<Rc<dyn Plugin>, String> {
    Ok(match name {
        "SchedulingGates" => Rc::new(scheduling_gates::SchedulingGates),
        "PrioritySort" => Rc::new(priority_sort::PrioritySort),
        "NodeUnschedulable" => Rc::new(node_unschedulable::NodeUnschedulable),
        "NodeName" => Rc::new(node_name::NodeName),
        "TaintToleration" => Rc::new(taint_toleration::TaintToleration),
        "NodeAffinity" => Rc::new(node_affinity::NodeAffinity::new(args)?),
        "NodePorts" => Rc::new(node_ports::NodePorts),
        "NodeResourcesFit" => Rc::new(node_resources_fit::NodeResourcesFit::new(args)?),
        "NodeResourcesBalancedAllocation" => {
            Rc::new(balanced_allocation::BalancedAllocation::new(args)?)
        }
        "PodTopologySpread" => Rc::new(pod_topology_spread::PodTopologySpread::new(args)?),
        "InterPodAffinity" => Rc::new(inter_pod_affinity::InterPodAffinity::new(args)?),
        "ImageLocality" => Rc::new(image_locality::ImageLocality),
        "DefaultBinder" => Rc::new(default_binder::DefaultBinder),
        "DefaultPreemption" => Rc::new(default_preemption::DefaultPreemption::new(args)?),
        "VolumeRestrictions" | "EBSLimits" | "GCEPDLimits" | "NodeVolumeLimits"
        | "AzureDiskLimits" | "VolumeBinding" | "VolumeZone" => {
            Rc::new(volumes::NoVolumes::new(name))
        }
        other => return Err(format!("plugin {other:?} does not exist")),
    })
}
