//! The engine: virtual clock, event queue and trace. The simulation loop that drives the
//! control plane lives in `crate::sim`.

pub mod queue;
pub mod trace;

pub use queue::EventQueue;
pub use trace::{TraceEvent, TraceWriter};
