//! discovery.k8s.io/v1 EndpointSlice: the endpoints of a Service, written by the EndpointSlice
//! controller (`controllers::endpointslice`) and read by the service proxies (`net`).

use super::meta::ObjectMeta;
use cellsim_derive::CompactDeserialize;
use serde::Serialize;

/// The label naming the Service a slice belongs to (`discovery.LabelServiceName`).
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// The label naming the slice's manager (`discovery.LabelManagedBy`).
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// The EndpointSlice controller's value of `LabelManagedBy`
/// (pkg/controller/endpointslice `ControllerName`).
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointSlice {
    pub metadata: ObjectMeta,
    /// IPv4 (the only family modelled).
    pub address_type: String,
    pub endpoints: Vec<Endpoint>,
    pub ports: Vec<EndpointPort>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Endpoint {
    pub addresses: Vec<String>,
    pub conditions: EndpointConditions,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub zone: String,
    pub target_ref: Option<TargetRef>,
}

/// `discovery.EndpointConditions`. Absent fields read as upstream says: ready and serving
/// unknown are treated as true by consumers, terminating unknown as false.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointConditions {
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointPort {
    pub name: String,
    pub protocol: String,
    pub port: i32,
}

impl EndpointSlice {
    /// The Service this slice belongs to (its `kubernetes.io/service-name` label).
    pub fn service_name(&self) -> Option<&str> {
        self.metadata
            .labels
            .get(LABEL_SERVICE_NAME)
            .map(String::as_str)
    }
}
