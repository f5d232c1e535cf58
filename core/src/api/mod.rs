//! Kubernetes object model: the fields cellsim uses of each kind. Fields the model does not
//! use are accepted and ignored (collected for `--verbose`), as the design requires of real
//! manifests.

pub mod apps;
pub mod autoscaling;
pub mod batch;
pub mod discovery;
pub mod kind;
pub mod meta;
pub mod node;
pub mod object;
pub mod pod;
pub mod policy;
pub mod quantity;
pub mod resources;
pub mod selector;
pub mod service;
pub mod validate;

pub use kind::Kind;
pub use object::Object;
pub use quantity::{Quantity, QuantityError};
