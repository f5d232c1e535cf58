//! The scenario format (`cellsim.dev/v1alpha1`): its fields, loading and checking, the
//! timeline and the expectations. See `docs/scenario-format.md`.

pub mod expect;
pub mod load;
pub mod network;
pub mod spec;
pub mod timeline;

pub use load::{load, load_manifest, Scenario, Sources};
