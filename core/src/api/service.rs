//! v1 Service and networking.k8s.io/v1 Ingress.

use super::meta::{IntOrString, ObjectMeta};
use super::selector::Labels;
use cellsim_derive::CompactDeserialize;
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Service {
    pub metadata: ObjectMeta,
    pub spec: ServiceSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceSpec {
    /// ClusterIP (default), NodePort, LoadBalancer, ExternalName.
    #[serde(rename = "type")]
    pub kind: String,
    /// Absent selector: endpoints are managed by hand (not by the endpoints controller).
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
    /// `None` makes a headless service. (The API's field is `clusterIP`, which camelCase
    /// renaming would spell `clusterIp`.)
    #[serde(rename = "clusterIP")]
    pub cluster_ip: String,
    pub session_affinity: String,
    pub session_affinity_config: Option<SessionAffinityConfig>,
    pub internal_traffic_policy: Option<String>,
    pub external_traffic_policy: Option<String>,
    pub publish_not_ready_addresses: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePort {
    pub name: String,
    pub protocol: String,
    pub port: i32,
    pub target_port: Option<IntOrString>,
    pub node_port: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionAffinityConfig {
    pub client_ip: Option<ClientIpConfig>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientIpConfig {
    /// Default 10800 (3 hours).
    pub timeout_seconds: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Ingress {
    pub metadata: ObjectMeta,
    pub spec: IngressSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IngressSpec {
    pub ingress_class_name: Option<String>,
    pub default_backend: Option<IngressBackend>,
    pub rules: Vec<IngressRule>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IngressRule {
    pub host: String,
    pub http: Option<HttpIngressRuleValue>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HttpIngressRuleValue {
    pub paths: Vec<HttpIngressPath>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HttpIngressPath {
    pub path: String,
    /// Exact, Prefix or ImplementationSpecific.
    pub path_type: String,
    pub backend: IngressBackend,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IngressBackend {
    pub service: Option<IngressServiceBackend>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IngressServiceBackend {
    pub name: String,
    pub port: ServiceBackendPort,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, CompactDeserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceBackendPort {
    pub name: String,
    pub number: i32,
}

#[cfg(test)]
mod tests {
    use crate::api::object::{decode, Decoded, Object};

    /// A manifest's `clusterIP` (the API's spelling) reaches the model: a fixed address, or
    /// `None` for a headless Service, and it is not reported as an ignored field.
    #[test]
    fn cluster_ip_is_read_under_its_api_name() {
        for (value, want) in [("10.96.0.10", "10.96.0.10"), ("None", "None")] {
            let text = format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n\
                 spec: {{clusterIP: {value}, ports: [{{port: 80}}]}}\n"
            );
            let docs = crate::yaml::parse_documents("svc.yaml", &text).unwrap();
            let mut ignored = Vec::new();
            let got = decode("svc.yaml", &docs[0], &mut ignored).unwrap();
            let Decoded::Object(_, obj) = &got[0] else {
                panic!("not decoded: {got:?}");
            };
            let Object::Service(svc) = obj.as_ref() else {
                panic!("not a Service");
            };
            assert_eq!(svc.spec.cluster_ip, want);
            assert!(ignored.is_empty(), "ignored: {ignored:?}");
        }
    }
}
