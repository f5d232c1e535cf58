//! `Object`: one stored Kubernetes object of a modelled kind, and decoding from YAML.

use super::apps::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use super::autoscaling::HorizontalPodAutoscaler;
use super::batch::{CronJob, Job};
use super::discovery::EndpointSlice;
use super::kind::{Kind, ACCEPTED_UNMODELLED};
use super::meta::ObjectMeta;
use super::node::Node;
use super::pod::Pod;
use super::policy::{LimitRange, Namespace, PodDisruptionBudget, PriorityClass, ResourceQuota};
use super::service::{Ingress, Service};
use crate::yaml::{self, LoadError, Mark};
use serde::Serialize;

/// Variants differ in size (a Pod is far larger than a Namespace); they are not boxed because
/// pods dominate every store and boxing them would add an allocation per pod for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object {
    Namespace(Namespace),
    Node(Node),
    PriorityClass(PriorityClass),
    ResourceQuota(ResourceQuota),
    LimitRange(LimitRange),
    Service(Service),
    Ingress(Ingress),
    EndpointSlice(EndpointSlice),
    PodDisruptionBudget(PodDisruptionBudget),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    Deployment(Deployment),
    ReplicaSet(ReplicaSet),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    CronJob(CronJob),
    Job(Job),
    Pod(Pod),
}

macro_rules! each_kind {
    ($self:expr, $o:ident => $e:expr) => {
        match $self {
            Object::Namespace($o) => $e,
            Object::Node($o) => $e,
            Object::PriorityClass($o) => $e,
            Object::ResourceQuota($o) => $e,
            Object::LimitRange($o) => $e,
            Object::Service($o) => $e,
            Object::Ingress($o) => $e,
            Object::EndpointSlice($o) => $e,
            Object::PodDisruptionBudget($o) => $e,
            Object::HorizontalPodAutoscaler($o) => $e,
            Object::Deployment($o) => $e,
            Object::ReplicaSet($o) => $e,
            Object::StatefulSet($o) => $e,
            Object::DaemonSet($o) => $e,
            Object::CronJob($o) => $e,
            Object::Job($o) => $e,
            Object::Pod($o) => $e,
        }
    };
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Node(_) => Kind::Node,
            Object::PriorityClass(_) => Kind::PriorityClass,
            Object::ResourceQuota(_) => Kind::ResourceQuota,
            Object::LimitRange(_) => Kind::LimitRange,
            Object::Service(_) => Kind::Service,
            Object::Ingress(_) => Kind::Ingress,
            Object::EndpointSlice(_) => Kind::EndpointSlice,
            Object::PodDisruptionBudget(_) => Kind::PodDisruptionBudget,
            Object::HorizontalPodAutoscaler(_) => Kind::HorizontalPodAutoscaler,
            Object::Deployment(_) => Kind::Deployment,
            Object::ReplicaSet(_) => Kind::ReplicaSet,
            Object::StatefulSet(_) => Kind::StatefulSet,
            Object::DaemonSet(_) => Kind::DaemonSet,
            Object::CronJob(_) => Kind::CronJob,
            Object::Job(_) => Kind::Job,
            Object::Pod(_) => Kind::Pod,
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        each_kind!(self, o => &o.metadata)
    }

    pub fn meta_mut(&mut self) -> &mut ObjectMeta {
        each_kind!(self, o => &mut o.metadata)
    }

    /// `Kind/namespace/name` (or `Kind/name` for cluster-scoped kinds), as the trace shows it.
    pub fn display_key(&self) -> String {
        let m = self.meta();
        if self.kind().namespaced() {
            format!("{}/{}/{}", self.kind().name(), m.namespace, m.name)
        } else {
            format!("{}/{}", self.kind().name(), m.name)
        }
    }
}

/// What one YAML document turned out to be.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// A modelled object, with its YAML node (the document, or an item of a `v1 List`).
    Object(&'a yaml::Node, Box<Object>),
    /// A kind real manifests carry that the model ignores (kind, name).
    Ignored { kind: String, name: String },
}

/// Decode one document (a Kubernetes object, or a `v1 List` of them) into objects.
/// `ignored_fields` collects fields the model does not use, for `--verbose`.
pub fn decode<'a>(
    file: &str,
    doc: &'a yaml::Node,
    ignored_fields: &mut Vec<(String, Mark)>,
) -> Result<Vec<Decoded<'a>>, LoadError> {
    let yaml::Value::Map(_) = &doc.value else {
        return Err(LoadError::new(
            file,
            doc.mark,
            "expected a Kubernetes object (a mapping with apiVersion, kind and metadata)",
        ));
    };
    let kind_node = doc.get("kind").ok_or_else(|| {
        LoadError::new(
            file,
            doc.mark,
            "missing required field `kind` in a Kubernetes object",
        )
    })?;
    let kind = kind_node
        .as_str()
        .ok_or_else(|| LoadError::new(file, kind_node.mark, "`kind` must be a string"))?;
    let api_node = doc.get("apiVersion").ok_or_else(|| {
        LoadError::new(
            file,
            doc.mark,
            format!("missing required field `apiVersion` in {kind}"),
        )
    })?;
    let api_version = api_node
        .as_str()
        .ok_or_else(|| LoadError::new(file, api_node.mark, "`apiVersion` must be a string"))?;

    if kind == "List" && api_version == "v1" {
        let mut out = Vec::new();
        if let Some(items) = doc.get("items") {
            let yaml::Value::Seq(items) = &items.value else {
                return Err(LoadError::new(
                    file,
                    items.mark,
                    "`items` of a List must be a sequence",
                ));
            };
            for item in items {
                out.extend(decode(file, item, ignored_fields)?);
            }
        }
        return Ok(out);
    }

    let Some(k) = Kind::from_name(kind) else {
        if ACCEPTED_UNMODELLED.contains(&kind) {
            let name = doc
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(|n| n.as_str())
                .unwrap_or("")
                .to_string();
            return Ok(vec![Decoded::Ignored {
                kind: kind.to_string(),
                name,
            }]);
        }
        return Err(LoadError::new(
            file,
            kind_node.mark,
            format!(
                "unknown kind {kind:?} (apiVersion {api_version}); cellsim models {}",
                Kind::ALL.map(|k| k.name()).join(", ")
            ),
        ));
    };
    if api_version != k.api_version() {
        return Err(LoadError::new(
            file,
            api_node.mark,
            format!(
                "no matches for kind {kind:?} in version {api_version:?}: expected apiVersion {:?}",
                k.api_version()
            ),
        ));
    }
    let obj = decode_kind(file, k, doc, ignored_fields)?;
    super::validate::validate(file, doc, &obj)?;
    Ok(vec![Decoded::Object(doc, Box::new(obj))])
}

fn decode_kind(
    file: &str,
    k: Kind,
    doc: &yaml::Node,
    ig: &mut Vec<(String, Mark)>,
) -> Result<Object, LoadError> {
    let f = file;
    let mut local = Vec::new();
    let obj = match k {
        Kind::Namespace => Object::Namespace(yaml::decode_node(f, doc, &mut local)?),
        Kind::Node => Object::Node(yaml::decode_node(f, doc, &mut local)?),
        Kind::PriorityClass => Object::PriorityClass(yaml::decode_node(f, doc, &mut local)?),
        Kind::ResourceQuota => Object::ResourceQuota(yaml::decode_node(f, doc, &mut local)?),
        Kind::LimitRange => Object::LimitRange(yaml::decode_node(f, doc, &mut local)?),
        Kind::Service => Object::Service(yaml::decode_node(f, doc, &mut local)?),
        Kind::Ingress => Object::Ingress(yaml::decode_node(f, doc, &mut local)?),
        Kind::EndpointSlice => Object::EndpointSlice(yaml::decode_node(f, doc, &mut local)?),
        Kind::PodDisruptionBudget => {
            Object::PodDisruptionBudget(yaml::decode_node(f, doc, &mut local)?)
        }
        Kind::HorizontalPodAutoscaler => {
            Object::HorizontalPodAutoscaler(yaml::decode_node(f, doc, &mut local)?)
        }
        Kind::Deployment => Object::Deployment(yaml::decode_node(f, doc, &mut local)?),
        Kind::ReplicaSet => Object::ReplicaSet(yaml::decode_node(f, doc, &mut local)?),
        Kind::StatefulSet => Object::StatefulSet(yaml::decode_node(f, doc, &mut local)?),
        Kind::DaemonSet => Object::DaemonSet(yaml::decode_node(f, doc, &mut local)?),
        Kind::CronJob => Object::CronJob(yaml::decode_node(f, doc, &mut local)?),
        Kind::Job => Object::Job(yaml::decode_node(f, doc, &mut local)?),
        Kind::Pod => Object::Pod(yaml::decode_node(f, doc, &mut local)?),
    };
    // apiVersion and kind are consumed by `decode`, not by the typed struct.
    ig.extend(
        local
            .into_iter()
            .filter(|(p, _)| p != "apiVersion" && p != "kind"),
    );
    Ok(obj)
}
