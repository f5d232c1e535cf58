//! veth pairs: one end stays in the current namespace, the other is created directly in
//! another one (`peer name X netns PATH`; iproute2 reads a `netns` argument containing a `/`
//! as a namespace file path), as the CNI bridge plugin's `SetupVeth` does for a pod.

/// The host-side name of a pod's veth: `veth` + 8 hex digits of FNV-1a over the pod's key
/// (the CNI bridge plugin uses `veth` + random hex; a hash keeps the name derivable, so
/// teardown after a restart finds it). At most 12 characters (IFNAMSIZ is 16 with the NUL).
pub fn host_name(key: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("veth{h:08x}")
}

/// The line that makes the pair `name` (here) / `peer` (in the namespace file `peer_ns`).
pub fn create(name: &str, peer: &str, peer_ns: &std::path::Path) -> String {
    format!(
        "link add {name} type veth peer name {peer} netns {}",
        peer_ns.display()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_names_fit_ifnamsiz_and_differ() {
        let a = super::host_name("pod-a");
        let b = super::host_name("pod-b");
        assert_eq!(a.len(), 12);
        assert_ne!(a, b);
        assert_eq!(a, super::host_name("pod-a"));
    }
}
