//! Stable sorting with one compiled sort for the whole program.
//!
//! std's stable sort (driftsort) is generic over the element type and the comparator, so every
//! `sort`/`sort_by`/`sort_by_key` call site with its own closure compiles its own copy: 5–14 KB
//! of wasm each, about 300 KB of the playground's module (docs/benchmarks.md, "Bundle size").
//! A stable sort's result is fully determined by its comparator (for a consistent total
//! preorder: equal elements keep their input order), so any stable algorithm gives the same
//! order. These functions sort a `Vec<u32>` of positions with ONE instantiation of std's
//! stable sort (`sort_positions`, comparator behind `&mut dyn FnMut`), then move the elements
//! into that order in place (`apply_permutation`, non-generic too: it swaps through a `dyn`
//! callback). What stays generic per call site is a closure that compares two elements by
//! position (the comparison itself, which any sort compiles) and one that swaps two: 0.1–0.6
//! KB of wasm.
//!
//! (The other source of sorts was std's BTreeMap/BTreeSet `FromIterator`, which stable-sorts
//! the items before building; no std ordered collection is left in the module:
//! `collections::OrdMap`'s inserts one by one.)
//!
//! The price is 4 bytes per element (on the stack up to `ON_STACK` elements) and an indirect
//! call per comparison; on the 1000-node churn run the scheduler's and controllers' sorts
//! through here cost nothing measurable (docs/benchmarks.md, "Bundle size", Session 7). A
//! hot path where it does show may keep std's sort. An unstable sort is no smaller: ipnsort
//! is 2–4 KB per element type and comparator too.

use std::cmp::Ordering;

/// Stable sort of `v` by `cmp`: the same order as `v.sort_by(cmp)`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    with_positions(v.len(), &mut |order| {
        sort_positions(order, &mut |a, b| cmp(&v[a], &v[b]));
        apply_permutation(order, &mut |a, b| v.swap(a, b));
    });
}

/// Stable sort of `v` by its `Ord`: the same order as `v.sort()`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Stable sort of `v` by `key` (called on every comparison, as std's `sort_by_key` does): the
/// same order as `v.sort_by_key(key)`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Stable sort of `v` by `key`, called once per element: the same order as
/// `v.sort_by_cached_key(key)`. For keys that allocate (names) or cost a lookup.
pub fn sort_by_cached_key<T, K: Ord>(v: &mut [T], key: impl FnMut(&T) -> K) {
    if v.len() < 2 {
        return;
    }
    let keys: Vec<K> = v.iter().map(key).collect();
    with_positions(v.len(), &mut |order| {
        sort_positions(order, &mut |a, b| keys[a].cmp(&keys[b]));
        apply_permutation(order, &mut |a, b| v.swap(a, b));
    });
}

/// Up to this many elements the positions live on the stack: most sorts here are of a few
/// elements, and they then allocate nothing (std's sort does not for them either).
const ON_STACK: usize = 32;

/// Calls `f` with the positions `0..n` as `u32`s.
#[inline(never)]
fn with_positions(n: usize, f: &mut dyn FnMut(&mut [u32])) {
    let n32 = u32::try_from(n).expect("sort: more than u32::MAX elements");
    if n <= ON_STACK {
        let mut buf = [0u32; ON_STACK];
        for (i, slot) in (0..n32).zip(buf.iter_mut()) {
            *slot = i;
        }
        f(&mut buf[..n]);
    } else {
        let mut order: Vec<u32> = (0..n32).collect();
        f(&mut order);
    }
}

/// The one stable sort: `order` (positions) by `cmp` of the elements at two positions.
/// Non-generic, so std's driftsort is compiled once for it.
#[inline(never)]
fn sort_positions(order: &mut [u32], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| cmp(a as usize, b as usize));
}

/// Puts the element at `order[i]` at position `i` for every `i`, through `swap(a, b)` on the
/// slice `order` was computed for. Follows each cycle of the permutation once, marking
/// finished positions in `order` (`order[i] = i`), so at most `n - 1` swaps.
#[inline(never)]
fn apply_permutation(order: &mut [u32], swap: &mut dyn FnMut(usize, usize)) {
    for start in 0..order.len() {
        // Carry the element that started at `start` around its cycle: at each step `cur`
        // holds it, every other position of the cycle not yet visited holds its original.
        let mut cur = start;
        loop {
            let src = order[cur] as usize;
            order[cur] = cur as u32;
            if src == start {
                break;
            }
            swap(cur, src);
            cur = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    /// Elements with many equal keys and a tag that tells equal ones apart, so any
    /// instability shows; lengths on both sides of `ON_STACK`.
    fn random_input(rng: &mut SimRng) -> Vec<(u8, u32)> {
        let len = rng.below(300) as usize;
        let keys = 1 + rng.below(8);
        (0..len)
            .map(|i| (rng.below(keys) as u8, i as u32))
            .collect()
    }

    #[test]
    #[allow(clippy::unnecessary_sort_by)] // std's `sort_by` itself is what is compared against
    fn sort_by_equals_std_sort_by_on_random_inputs() {
        for seed in 0..300u64 {
            let mut rng = SimRng::new(seed);
            let input = random_input(&mut rng);
            let mut want = input.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            let mut got = input.clone();
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, want, "seed {seed}, input {input:?}");

            // Descending, as call sites write it (`b` against `a`).
            want.sort_by(|a, b| b.0.cmp(&a.0));
            sort_by(&mut got, |a, b| b.0.cmp(&a.0));
            assert_eq!(got, want, "seed {seed} (descending), input {input:?}");
        }
    }

    #[test]
    fn key_variants_equal_std_on_random_inputs() {
        for seed in 1000..1300u64 {
            let mut rng = SimRng::new(seed);
            let input = random_input(&mut rng);
            let key = |e: &(u8, u32)| std::cmp::Reverse(e.0 % 3);

            let mut want = input.clone();
            want.sort_by_key(key);
            let mut got = input.clone();
            sort_by_key(&mut got, key);
            assert_eq!(got, want, "seed {seed} (sort_by_key), input {input:?}");

            let mut want = input.clone();
            want.sort_by_cached_key(|e| format!("{}", e.0));
            let mut got = input.clone();
            sort_by_cached_key(&mut got, |e| format!("{}", e.0));
            assert_eq!(
                got, want,
                "seed {seed} (sort_by_cached_key), input {input:?}"
            );

            let mut want = input.clone();
            want.sort();
            let mut got = input.clone();
            sort(&mut got);
            assert_eq!(got, want, "seed {seed} (sort), input {input:?}");
        }
    }

    #[test]
    fn permutations_are_applied_exactly() {
        // Every permutation of 5 unique keys, sorted back to 0..5: the permutation applied
        // has cycles of every shape, incl. fixed points and one 5-cycle.
        let mut perm = [0u8, 1, 2, 3, 4];
        let mut count = 0;
        loop {
            let mut v: Vec<(u8, String)> = perm.iter().map(|&k| (k, format!("e{k}"))).collect();
            sort_by_key(&mut v, |e| e.0);
            let want: Vec<(u8, String)> = (0..5).map(|k| (k, format!("e{k}"))).collect();
            assert_eq!(v, want, "from {perm:?}");
            count += 1;
            if !next_permutation(&mut perm) {
                break;
            }
        }
        assert_eq!(count, 120);
    }

    fn next_permutation(p: &mut [u8]) -> bool {
        let Some(i) = (1..p.len()).rev().find(|&i| p[i - 1] < p[i]) else {
            return false;
        };
        let j = (i..p.len()).rev().find(|&j| p[j] > p[i - 1]).unwrap();
        p.swap(i - 1, j);
        p[i..].reverse();
        true
    }

    #[test]
    fn empty_and_one_element() {
        let mut empty: Vec<String> = Vec::new();
        sort_by(&mut empty, |a, b| a.cmp(b));
        sort_by_cached_key(&mut empty, |s| s.len());
        assert!(empty.is_empty());

        let mut one = vec!["only".to_string()];
        sort_by(&mut one, |a, b| b.cmp(a));
        sort_by_key(&mut one, |s| s.len());
        sort_by_cached_key(&mut one, |s| s.clone());
        sort(&mut one);
        assert_eq!(one, ["only"]);
    }
}
