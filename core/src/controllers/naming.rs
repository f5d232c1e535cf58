//! Generated names and hashes, as upstream computes them.

use crate::api::pod::PodTemplateSpec;
use crate::api::Kind;
use crate::sim::ctx::Ctx;
use crate::store::{ObjectKey, ObjectStore};

/// A new pod's name: upstream `names.SimpleNameGenerator` (`prefix` + `utilrand.String(5)`),
/// drawn again while a pod of that name exists in `namespace` (the API server would refuse it).
pub fn free_pod_name(ctx: &mut Ctx, namespace: &str, prefix: &str) -> String {
    loop {
        let name = format!("{prefix}{}", ctx.rng.k8s_suffix(5));
        if ctx
            .store
            .get(&ObjectKey::new(Kind::Pod, namespace, &name))
            .is_none()
        {
            return name;
        }
    }
}

/// 32-bit FNV-1a (upstream hashes pod templates with `fnv.New32a`).
pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= *b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Upstream `rand.SafeEncodeString`: each byte mapped onto "bcdfghjklmnpqrstvwxz2456789".
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char)
        .collect()
}

/// The `pod-template-hash` label value. Upstream (`controller.ComputeHash`) feeds a
/// deep-printed template plus the collision count into FNV-32a; cellsim feeds the template's
/// canonical JSON instead, so values differ from a real cluster's but keep the same form and the
/// same property (a new template gives a new ReplicaSet).
pub fn pod_template_hash(t: &PodTemplateSpec, collision_count: u32) -> String {
    let mut bytes = serde_json::to_vec(t).expect("templates serialize");
    if collision_count > 0 {
        bytes.extend_from_slice(&collision_count.to_le_bytes());
    }
    safe_encode(&fnv32a(&bytes).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_and_encoding() {
        // FNV-1a 32 test vectors (Fowler/Noll/Vo): "" and "a".
        assert_eq!(fnv32a(b""), 0x811c9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c292c);
        assert_eq!(safe_encode("0123"), "4567");
        let a = pod_template_hash(&PodTemplateSpec::default(), 0);
        assert_eq!(a, pod_template_hash(&PodTemplateSpec::default(), 0));
        assert_ne!(a, pod_template_hash(&PodTemplateSpec::default(), 1));
    }
}
