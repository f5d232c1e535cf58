//! The EndpointSlice controller (kube-controller-manager v1.35, pkg/controller/endpointslice
//! and staging/src/k8s.io/endpointslice): for every Service with a selector, EndpointSlices
//! listing the selected pods that have an IP, with their conditions.
//!
//! - Which pods (`ShouldPodBeInEndpoints(pod, includeTerminating=true)`): an IP is assigned,
//!   and the pod is not finished for good (restartPolicy Never: not Succeeded or Failed;
//!   OnFailure: not Succeeded). Terminating pods stay, marked terminating.
//! - Conditions (`podToEndpoint`): `serving` = the pod is Ready (or the Service publishes
//!   not-ready addresses); `ready` = serving and not terminating; `terminating` = the pod
//!   has a deletion timestamp.
//! - Ports: each Service port's `targetPort` resolved per pod (`podutil.FindPort`: a name
//!   is looked up among the containers' ports; a pod without it has no such port).
//!   Endpoints are grouped into slices by their resolved port list.
//! - At most 100 endpoints per slice (`--max-endpoints-per-slice` default). The reconciler
//!   keeps endpoints in the slices that already hold them, fills slices that have room, and
//!   creates new ones named by `generateName: <service>-` (a 5-character suffix); empty
//!   slices are deleted, except that a Service with no endpoints keeps one empty placeholder
//!   slice, as upstream does.
//! - The batching delay (`--endpoint-updates-batch-period`) defaults to 0: slices are written
//!   when the change is seen. What a proxy sees later is modelled by `net::traffic`.

use crate::api::discovery::{
    Endpoint, EndpointConditions, EndpointPort, EndpointSlice, TargetRef, CONTROLLER_NAME,
    LABEL_MANAGED_BY, LABEL_SERVICE_NAME,
};
use crate::api::meta::{IntOrString, OwnerReference};
use crate::api::pod::{Pod, PodPhase};
use crate::api::service::Service;
use crate::api::{Kind, Object};
use crate::collections::{OrdMap, OrdSet};
use crate::sim::ctx::Ctx;
use crate::sim::objects;
use crate::store::{ObjectKey, ObjectStore};

/// `--max-endpoints-per-slice` default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
/// The node label the endpoint's `zone` is copied from.
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

#[derive(Default)]
pub struct EndpointSliceController {
    pub cursor: u64,
    /// Service -> the pods its selector matched at the last look.
    members: OrdMap<ObjectKey, OrdSet<ObjectKey>>,
    /// Pod -> the Services whose selector matched it.
    member_of: OrdMap<ObjectKey, OrdSet<ObjectKey>>,
}

impl EndpointSliceController {
    pub fn sync(&mut self, ctx: &mut Ctx) {
        let mut dirty: OrdSet<ObjectKey> = OrdSet::new();
        // The feed is read in place (nothing is written before the reconciles). With no
        // Service in the store and no pod remembered as selected, a pod change selects
        // nothing and was selected by nothing: `observe_pod` would return nothing, so it is
        // skipped.
        let no_services = ctx.store.count(Kind::Service) == 0;
        for c in ctx.store.changes_since(self.cursor) {
            match c.key.kind {
                Kind::Service => {
                    self.rebuild_members(ctx, &c.key);
                    dirty.insert(c.key.clone());
                }
                Kind::Pod if no_services && self.member_of.is_empty() => {}
                Kind::Pod => dirty.extend(self.observe_pod(ctx, &c.key)),
                _ => {}
            }
        }
        self.cursor = ctx.store.revision();
        if dirty.is_empty() {
            return;
        }
        for svc in dirty {
            self.reconcile(ctx, &svc);
        }
        self.cursor = ctx.store.revision();
    }

    /// A Service changed: recompute which pods it selects.
    fn rebuild_members(&mut self, ctx: &Ctx, svc: &ObjectKey) {
        for p in self.members.remove(svc).unwrap_or_default() {
            if let Some(s) = self.member_of.get_mut(&p) {
                s.remove(svc);
                if s.is_empty() {
                    self.member_of.remove(&p);
                }
            }
        }
        let Some(Object::Service(s)) = ctx.store.get(svc).map(|s| &s.object) else {
            return;
        };
        let Some(sel) = &s.spec.selector else {
            return;
        };
        let pods: OrdSet<ObjectKey> = ctx
            .store
            .objects_in(Kind::Pod, &svc.namespace)
            .filter(|o| selects(sel, o))
            .map(ObjectKey::of)
            .collect();
        for p in &pods {
            self.member_of
                .entry(p.clone())
                .or_default()
                .insert(svc.clone());
        }
        self.members.insert(svc.clone(), pods);
    }

    /// A pod changed: the Services that selected it before or select it now.
    fn observe_pod(&mut self, ctx: &Ctx, pod: &ObjectKey) -> OrdSet<ObjectKey> {
        let mut touched = self.member_of.remove(pod).unwrap_or_default();
        for s in &touched {
            if let Some(m) = self.members.get_mut(s) {
                m.remove(pod);
            }
        }
        let obj = ctx.store.get(pod).map(|s| &s.object);
        let mut now = OrdSet::new();
        if let Some(o) = obj {
            for svc in ctx.store.objects_in(Kind::Service, &pod.namespace) {
                let Object::Service(s) = svc else { continue };
                if s.spec.selector.as_ref().is_some_and(|sel| selects(sel, o)) {
                    now.insert(ObjectKey::of(svc));
                }
            }
        }
        for s in &now {
            self.members
                .entry(s.clone())
                .or_default()
                .insert(pod.clone());
        }
        touched.extend(now.iter().cloned());
        if !now.is_empty() {
            self.member_of.insert(pod.clone(), now);
        }
        touched
    }

    /// Make the Service's slices list exactly its desired endpoints.
    fn reconcile(&mut self, ctx: &mut Ctx, key: &ObjectKey) {
        let existing: Vec<EndpointSlice> = ctx
            .store
            .objects_in(Kind::EndpointSlice, &key.namespace)
            .filter_map(|o| match o {
                Object::EndpointSlice(e)
                    if e.service_name() == Some(key.name.as_str())
                        && e.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str)
                            == Some(CONTROLLER_NAME) =>
                {
                    Some(e.clone())
                }
                _ => None,
            })
            .collect();
        let svc = match ctx.store.get(key).map(|s| &s.object) {
            Some(Object::Service(s)) if s.spec.selector.is_some() => s.clone(),
            _ => {
                // Deleted, or no longer selector-managed: its slices go.
                for e in existing {
                    let _ = ctx.store.delete(&ObjectKey::new(
                        Kind::EndpointSlice,
                        &key.namespace,
                        &e.metadata.name,
                    ));
                }
                return;
            }
        };
        let desired = self.desired(ctx, key, &svc);
        let plan = pack(&existing, desired);
        for name in plan.delete {
            let _ = ctx
                .store
                .delete(&ObjectKey::new(Kind::EndpointSlice, &key.namespace, &name));
        }
        for e in plan.update {
            let k = ObjectKey::new(Kind::EndpointSlice, &key.namespace, &e.metadata.name);
            if ctx.store.get(&k).map(|s| &s.object) != Some(&Object::EndpointSlice(e.clone())) {
                let _ = ctx.store.update(Object::EndpointSlice(e), None);
            }
        }
        for (ports, endpoints) in plan.create {
            let mut e = EndpointSlice {
                address_type: "IPv4".into(),
                endpoints,
                ports,
                ..Default::default()
            };
            let m = &mut e.metadata;
            m.namespace = key.namespace.clone();
            m.generate_name = format!("{}-", key.name);
            // The API server's SimpleNameGenerator: 5 random characters.
            loop {
                m.name = format!("{}{}", m.generate_name, ctx.rng.k8s_suffix(5));
                let k = ObjectKey::new(Kind::EndpointSlice, &m.namespace, &m.name);
                if ctx.store.get(&k).is_none() {
                    break;
                }
            }
            m.labels.insert(LABEL_SERVICE_NAME.into(), key.name.clone());
            m.labels
                .insert(LABEL_MANAGED_BY.into(), CONTROLLER_NAME.into());
            m.owner_references.push(OwnerReference {
                api_version: "v1".into(),
                kind: "Service".into(),
                name: key.name.clone(),
                uid: svc.metadata.uid.clone(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            });
            let _ = objects::create(ctx, Object::EndpointSlice(e));
        }
    }

    /// The endpoints the Service should have, grouped by resolved port list.
    fn desired(
        &self,
        ctx: &Ctx,
        key: &ObjectKey,
        svc: &Service,
    ) -> OrdMap<Vec<EndpointPort>, Vec<Endpoint>> {
        let mut out: OrdMap<Vec<EndpointPort>, Vec<Endpoint>> = OrdMap::new();
        for pk in self.members.get(key).into_iter().flatten() {
            let Some(Object::Pod(p)) = ctx.store.get(pk).map(|s| &s.object) else {
                continue;
            };
            if !in_endpoints(p) {
                continue;
            }
            let ports = endpoint_ports(svc, p);
            let zone = ctx
                .store
                .get(&ObjectKey::new(Kind::Node, "", &p.spec.node_name))
                .and_then(|s| match &s.object {
                    Object::Node(n) => n.metadata.labels.get(ZONE_LABEL).cloned(),
                    _ => None,
                })
                .unwrap_or_default();
            out.entry(ports).or_default().push(endpoint(svc, p, zone));
        }
        for eps in out.values_mut() {
            crate::sort::sort(eps);
        }
        out
    }
}

fn selects(sel: &crate::api::selector::Labels, o: &Object) -> bool {
    let Object::Pod(p) = o else { return false };
    crate::api::selector::set_selects(sel, &p.metadata.labels)
}

/// `ShouldPodBeInEndpoints(pod, includeTerminating=true)`.
fn in_endpoints(p: &Pod) -> bool {
    if p.status.pod_ip.is_empty() || p.spec.node_name.is_empty() {
        return false;
    }
    match p.spec.restart_policy.as_str() {
        "Never" => !matches!(p.status.phase, PodPhase::Succeeded | PodPhase::Failed),
        "OnFailure" => p.status.phase != PodPhase::Succeeded,
        _ => true,
    }
}

/// `podToEndpoint`.
fn endpoint(svc: &Service, p: &Pod, zone: String) -> Endpoint {
    let terminating = p.metadata.deletion_at.is_some();
    let serving = svc.spec.publish_not_ready_addresses || p.status.ready;
    let ready = if svc.spec.publish_not_ready_addresses {
        true
    } else {
        serving && !terminating
    };
    Endpoint {
        addresses: vec![p.status.pod_ip.clone()],
        conditions: EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        },
        node_name: p.spec.node_name.clone(),
        zone,
        target_ref: Some(TargetRef {
            kind: "Pod".into(),
            namespace: p.metadata.namespace.clone(),
            name: p.metadata.name.clone(),
            uid: p.metadata.uid.clone(),
        }),
    }
}

/// `podutil.FindPort`: a numbered targetPort is itself (absent: the port); a named one is the
/// container port of that name (TCP by default), else the pod has no such port.
pub fn resolve_target_port(p: &Pod, port: &crate::api::service::ServicePort) -> Option<i32> {
    match &port.target_port {
        None => Some(port.port),
        Some(IntOrString::Int(n)) => Some(*n as i32),
        Some(IntOrString::Str(name)) => p
            .spec
            .containers
            .iter()
            .flat_map(|c| &c.ports)
            .find(|cp| &cp.name == name)
            .map(|cp| cp.container_port),
    }
}

fn endpoint_ports(svc: &Service, p: &Pod) -> Vec<EndpointPort> {
    svc.spec
        .ports
        .iter()
        .filter_map(|sp| {
            resolve_target_port(p, sp).map(|n| EndpointPort {
                name: sp.name.clone(),
                protocol: if sp.protocol.is_empty() {
                    "TCP".into()
                } else {
                    sp.protocol.clone()
                },
                port: n,
            })
        })
        .collect()
}

/// What to write: slices to delete, slices to update, and slices to create.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    delete: Vec<String>,
    update: Vec<EndpointSlice>,
    create: Vec<(Vec<EndpointPort>, Vec<Endpoint>)>,
}

type EndpointId = (Option<String>, Vec<String>);

fn endpoint_id(e: &Endpoint) -> EndpointId {
    (
        e.target_ref.as_ref().map(|t| t.uid.clone()),
        e.addresses.clone(),
    )
}

/// Pack the desired endpoints into slices, reusing the existing ones (the reconciler's
/// "keep in place, fill with room, create when full" order).
fn pack(existing: &[EndpointSlice], mut desired: OrdMap<Vec<EndpointPort>, Vec<Endpoint>>) -> Plan {
    let mut plan = Plan::default();
    let total: usize = desired.values().map(Vec::len).sum();
    if total == 0 {
        // The placeholder: one slice without ports or endpoints.
        let mut kept = false;
        for e in existing {
            if !kept && e.ports.is_empty() {
                kept = true;
                if !e.endpoints.is_empty() {
                    let mut e = e.clone();
                    e.endpoints.clear();
                    plan.update.push(e);
                }
            } else {
                plan.delete.push(e.metadata.name.clone());
            }
        }
        if !kept {
            plan.create.push((Vec::new(), Vec::new()));
        }
        return plan;
    }
    // Desired endpoints by identity, per port list (a linear search per endpoint would make
    // a reconcile quadratic in the Service's size).
    let mut wanted: OrdMap<Vec<EndpointPort>, OrdMap<EndpointId, Endpoint>> = desired
        .iter_mut()
        .map(|(ports, eps)| {
            (
                ports.clone(),
                std::mem::take(eps)
                    .into_iter()
                    .map(|e| (endpoint_id(&e), e))
                    .collect(),
            )
        })
        .collect();
    for e in existing {
        let Some(want) = wanted.get_mut(&e.ports) else {
            plan.delete.push(e.metadata.name.clone());
            continue;
        };
        let mut kept = Vec::new();
        for ep in &e.endpoints {
            if let Some(w) = want.remove(&endpoint_id(ep)) {
                kept.push(w);
            }
        }
        let mut slice = e.clone();
        slice.endpoints = kept;
        if slice.endpoints.is_empty() {
            plan.delete.push(e.metadata.name.clone());
        } else {
            plan.update.push(slice);
        }
    }
    let desired: OrdMap<Vec<EndpointPort>, Vec<Endpoint>> = wanted
        .into_iter()
        .map(|(p, m)| {
            let mut v: Vec<Endpoint> = m.into_values().collect();
            crate::sort::sort(&mut v);
            (p, v)
        })
        .collect();
    // New endpoints: into the existing slices of the same ports that have room, in order,
    // then into new slices.
    for (ports, mut rest) in desired {
        for s in plan.update.iter_mut().filter(|s| s.ports == ports) {
            let room = MAX_ENDPOINTS_PER_SLICE.saturating_sub(s.endpoints.len());
            let take = room.min(rest.len());
            s.endpoints.extend(rest.drain(..take));
            crate::sort::sort(&mut s.endpoints);
        }
        while !rest.is_empty() {
            let take = MAX_ENDPOINTS_PER_SLICE.min(rest.len());
            plan.create
                .push((ports.clone(), rest.drain(..take).collect()));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(uid: &str) -> Endpoint {
        Endpoint {
            addresses: vec![format!("10.0.0.{}", uid.len())],
            target_ref: Some(TargetRef {
                uid: uid.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn port() -> Vec<EndpointPort> {
        vec![EndpointPort {
            name: String::new(),
            protocol: "TCP".into(),
            port: 8080,
        }]
    }

    #[test]
    fn packs_at_most_100_per_slice_and_keeps_endpoints_in_place() {
        let eps: Vec<Endpoint> = (0..250).map(|i| ep(&format!("u{i:03}"))).collect();
        let plan = pack(&[], OrdMap::from([(port(), eps.clone())]));
        let sizes: Vec<usize> = plan.create.iter().map(|(_, e)| e.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        // Existing slices: one endpoint leaves the first; a new one fills the third.
        let mut slices = Vec::new();
        for (i, (ports, e)) in plan.create.into_iter().enumerate() {
            let mut s = EndpointSlice {
                ports,
                endpoints: e,
                ..Default::default()
            };
            s.metadata.name = format!("s{i}");
            slices.push(s);
        }
        let mut want: Vec<Endpoint> = eps[1..].to_vec();
        want.push(ep("new"));
        let plan = pack(&slices, OrdMap::from([(port(), want)]));
        assert!(plan.create.is_empty() && plan.delete.is_empty(), "{plan:?}");
        let sizes: Vec<usize> = plan.update.iter().map(|s| s.endpoints.len()).collect();
        // The new endpoint goes into the first slice with room (the one that lost one).
        assert_eq!(sizes, [100, 100, 50]);
        assert!(plan.update[0]
            .endpoints
            .iter()
            .any(|e| endpoint_id(e).0.as_deref() == Some("new")));
    }

    #[test]
    fn no_endpoints_leaves_one_placeholder() {
        let plan = pack(&[], OrdMap::new());
        assert_eq!(plan.create, vec![(Vec::new(), Vec::new())]);
        let mut s = EndpointSlice {
            ports: port(),
            endpoints: vec![ep("a")],
            ..Default::default()
        };
        s.metadata.name = "old".into();
        let plan = pack(&[s], OrdMap::new());
        assert_eq!(plan.delete, ["old"]);
        assert_eq!(plan.create.len(), 1);
    }
}
