//! cellsim-core: the deterministic, sans-IO model of a cluster.
//!
//! Nothing in this crate reads a clock, a file, the network or an OS random source; see
//! `ARCHITECTURE.md` for the code map and the invariants every module keeps.

pub mod api;
pub mod yaml;
