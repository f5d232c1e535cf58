//! A fixed, fast hash for the store's key index.
//!
//! The store answers `get` from a hash index because ordered lookups over String keys
//! (kind, namespace, name) were a fifth of a large run's time: every component reads every
//! change back from the store, and each ordered lookup compared a dozen long, mostly equal
//! names. The index is only ever probed — never iterated — so no hash order can reach a result
//! (invariant 1); listing stays in key order through the ordered key set.
//!
//! The function is the Fx hash (rustc's `FxHasher`: rotate, xor, multiply by a fixed odd
//! constant, eight bytes at a time), reimplemented, with MurmurHash3's finalizer in `finish`
//! (see there): no random seed (std's `RandomState` reads
//! the OS's randomness, which core must not), and much cheaper than SipHash on short keys.

use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of rustc-hash's 64-bit FxHasher.
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    #[cellsim_derive::hot]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The state through MurmurHash3's 64-bit finalizer (`fmix64`: xor-shift, multiply,
    /// twice). Fx alone is weak exactly where the index looks: a multiplication carries a
    /// byte's difference only upwards, so keys that differ in the last bytes of a name (pod
    /// names: a shared prefix, a random suffix) differed only in the hash's high bits, while
    /// hashbrown places an entry by the low ones — 4,096 such pod keys landed in 32 of 4,096
    /// buckets, and every probe of the store walked long collision chains. (rustc's own
    /// FxHasher 2.x rotates in `finish` for the same reason.)
    #[inline]
    #[cellsim_derive::hot]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// The hasher of `ProbeMap` / `ProbeSet` (maps and sets that are probed, never iterated).
pub type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn h<T: Hash>(t: &T) -> u64 {
        FxBuild::default().hash_one(t)
    }

    #[test]
    fn fixed_across_runs_and_sensitive_to_every_byte() {
        // Fixed: the same value on every machine and run (no seed).
        assert_eq!(h(&"pod-a"), h(&"pod-a"));
        let base = h(&("default", "web-7d9f8c-abcde"));
        for (ns, name) in [
            ("default", "web-7d9f8c-abcdf"),
            ("default", "web-7d9f8c-abcde-"),
            ("defaultweb-7d9f8c-abcde", ""),
        ] {
            assert_ne!(h(&(ns, name)), base, "{ns}/{name}");
        }
    }

    #[test]
    fn keys_that_differ_only_at_the_end_spread_over_the_low_bits() {
        // hashbrown places an entry by the hash's low bits. Pod names share a long prefix
        // and differ in their last characters; 4,096 of them over 4,096 buckets should
        // leave about 4096 × (1 − 1/e) ≈ 2,589 buckets used, as random hashes do.
        let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
        for prefix in ["web-7d9f8c-", "frontend-5f6d7c8b9-", "a-", "db-0"] {
            let mut used = std::collections::BTreeSet::new();
            for i in 0..4096usize {
                let suffix: String = (0..5)
                    .map(|k| alphabet[(i / alphabet.len().pow(k)) % alphabet.len()] as char)
                    .collect();
                let key = crate::store::ObjectKey::new(
                    crate::api::Kind::Pod,
                    "default",
                    &format!("{prefix}{suffix}"),
                );
                used.insert(h(&key) & 0xfff);
            }
            assert!(
                used.len() > 2400,
                "{prefix}: {} buckets of 4096",
                used.len()
            );
        }
    }
}
