//! Service networking: address allocation, the service proxies' endpoint selection (shared
//! with the real backend), Ingress routing, and the traffic model that sends requests
//! through them.

pub mod alloc;
pub mod ingress;
pub mod ip;
pub mod select;
pub mod traffic;
