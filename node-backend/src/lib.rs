//! cellsim-node: the Linux node backend (namespaces, cgroups, overlay rootfs) that will carry
//! out the core's kubelet plan (`cellsim_core::kubelet::plan`) as real containers.
//!
//! Nothing is implemented here yet; the workspace keeps the crate so the layout of the design
//! holds and the plan types have their consumer's name. See the node-backend issue.
