//! A word-at-a-time `memcmp` for the wasm build.
//!
//! Every byte-slice and string comparison the core makes (`ObjectKey` equality in the store's
//! hash index, `String` keys in ordered maps, label matching) ends in a call to `memcmp`. On
//! `wasm32-unknown-unknown` there is no C library, so the one linked is compiler-builtins',
//! which compares one byte per loop iteration (`mem::impls::compare_bytes`): profiled in
//! Chromium, it was 10–16 % of the page's time over the 1000-node / 30,000-pod hour
//! (docs/benchmarks.md, "Session 10"). compiler-builtins defines its `memcmp` with weak
//! linkage precisely so a program can supply its own; this one compares eight bytes at a time.
//!
//! Same contract as C's `memcmp`: the sign of the result is that of the difference of the
//! first differing bytes taken as `u8`; 0 when equal. The byte loop for the tail is plain
//! indexing that LLVM has no idiom to turn back into a `memcmp` call.

/// Compare `a` and `b` (equal lengths) as `memcmp` does: negative, zero or positive as `a`
/// sorts before, equal to or after `b`, bytewise unsigned. Eight bytes per step: on a
/// mismatch, the lowest differing byte of the two little-endian words is the first differing
/// byte in memory.
#[inline]
pub fn compare(a: &[u8], b: &[u8]) -> i32 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or([0; 8]));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        if x != y {
            let at = i + ((x ^ y).trailing_zeros() / 8) as usize;
            return i32::from(a[at]) - i32::from(b[at]);
        }
        i += 8;
    }
    while i < n {
        if a[i] != b[i] {
            return i32::from(a[i]) - i32::from(b[i]);
        }
        i += 1;
    }
    0
}

/// The C symbol the compiler calls for slice and string comparisons, in the wasm build only.
///
/// # Safety
/// `a` and `b` must each be valid for reads of `n` bytes (C's `memcmp` contract).
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    // SAFETY: the caller guarantees both regions are readable for `n` bytes; they are only
    // read while this call lasts.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, n),
            std::slice::from_raw_parts(b, n),
        )
    };
    compare(a, b)
}

#[cfg(test)]
mod tests {
    use super::compare;

    /// What C's `memcmp` computes, one byte at a time (compiler-builtins' own loop).
    fn bytewise(a: &[u8], b: &[u8]) -> i32 {
        a.iter()
            .zip(b)
            .find(|(x, y)| x != y)
            .map_or(0, |(x, y)| i32::from(*x) - i32::from(*y))
    }

    #[test]
    fn agrees_with_the_bytewise_comparison_at_every_length_and_position() {
        // Every length 0..40 (the word loop, the tail, both), a difference at every position,
        // in both directions, including bytes above 0x7f (unsigned comparison).
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(compare(&a, &a), 0, "n={n}");
            for at in 0..n {
                for delta in [1u8, 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] = b[at].wrapping_add(delta);
                    assert_eq!(
                        compare(&a, &b),
                        bytewise(&a, &b),
                        "n={n} at={at} delta={delta}"
                    );
                    assert_eq!(
                        compare(&b, &a),
                        bytewise(&b, &a),
                        "n={n} at={at} delta={delta}"
                    );
                    // A second, later difference must not change the result.
                    if at + 9 < n {
                        b[at + 9] ^= 0xff;
                        assert_eq!(compare(&a, &b), bytewise(&a, &b), "n={n} at={at} twice");
                    }
                }
            }
        }
    }

    #[test]
    fn sign_matches_slice_ordering_for_strings() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "default/web-0",
            "default/web-1",
            "kube-system/x",
            "\u{e9}t\u{e9}",
        ];
        for x in words {
            for y in words {
                if x.len() == y.len() {
                    let c = compare(x.as_bytes(), y.as_bytes());
                    assert_eq!(
                        c.signum(),
                        x.as_bytes().cmp(y.as_bytes()) as i32,
                        "{x:?} {y:?}"
                    );
                }
            }
        }
    }
}
