//! Kubernetes object model: the fields cellsim uses of each kind.

pub mod quantity;

pub use quantity::{Quantity, QuantityError};
