//! `metadata.generation` as the API server keeps it: 1 at creation, plus one on every update
//! that changes what the object asks for (never on a status-only write), whatever the writer
//! put in the field.
//!
//! Upstream: each kind's registry strategy (`PrepareForCreate` / `PrepareForUpdate`); for
//! Deployments pkg/registry/apps/deployment/strategy.go, which counts a change of the spec
//! **or of the annotations** (the deprecated rollback request is an annotation). Only
//! Deployments carry a generation so far: no other controller reads one.

use crate::api::Object;

/// At creation.
pub fn on_create(new: &mut Object) {
    if let Object::Deployment(d) = new {
        d.metadata.generation = 1;
    }
}

/// At an update of `old` to `new`.
pub fn on_update(old: &Object, new: &mut Object) {
    if let (Object::Deployment(o), Object::Deployment(n)) = (old, new) {
        let changed = o.spec != n.spec || o.metadata.annotations != n.metadata.annotations;
        n.metadata.generation = o.metadata.generation + i64::from(changed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::apps::Deployment;

    #[test]
    fn spec_and_annotation_changes_bump_the_generation_status_does_not() {
        let mut d = Object::Deployment(Deployment::default());
        on_create(&mut d);
        let Object::Deployment(first) = &d else {
            unreachable!()
        };
        assert_eq!(first.metadata.generation, 1);
        let mut status = first.clone();
        status.status.replicas = 3;
        status.metadata.generation = 9;
        let mut next = Object::Deployment(status.clone());
        on_update(&d, &mut next);
        let Object::Deployment(n) = &next else {
            unreachable!()
        };
        assert_eq!(n.metadata.generation, 1);
        let mut spec = n.clone();
        spec.spec.replicas = Some(4);
        let mut next2 = Object::Deployment(spec);
        on_update(&next, &mut next2);
        let Object::Deployment(n2) = &next2 else {
            unreachable!()
        };
        assert_eq!(n2.metadata.generation, 2);
        let mut ann = n2.clone();
        ann.metadata.annotations.insert("a".into(), "b".into());
        let mut next3 = Object::Deployment(ann);
        on_update(&next2, &mut next3);
        assert_eq!(next3.meta().generation, 3);
    }
}
