//! `OrdMap`/`OrdSet` against std's `BTreeMap`/`BTreeSet`: the same seeded random operations
//! on both, contents and iteration order compared after every step (the seed and step are in
//! every failure message).

use std::collections::{BTreeMap, BTreeSet};

use super::{Entry, OrdMap, OrdSet};
use crate::rng::SimRng;

/// Few distinct keys, so operations often hit present keys and the slab's free list is reused.
fn key(rng: &mut SimRng) -> String {
    format!("k{:02}", rng.below(24))
}

fn check_map(got: &OrdMap<String, u64>, want: &BTreeMap<String, u64>, at: &str) {
    assert_eq!(got.len(), want.len(), "{at}: len");
    assert_eq!(got.is_empty(), want.is_empty(), "{at}: is_empty");
    let g: Vec<(&String, &u64)> = got.iter().collect();
    let w: Vec<(&String, &u64)> = want.iter().collect();
    assert_eq!(g, w, "{at}: iter");
    let g: Vec<(&String, &u64)> = got.iter().rev().collect();
    let w: Vec<(&String, &u64)> = want.iter().rev().collect();
    assert_eq!(g, w, "{at}: iter().rev()");
    assert!(got.keys().eq(want.keys()), "{at}: keys");
    assert!(got.values().eq(want.values()), "{at}: values");
    assert_eq!(got.first_key_value(), want.first_key_value(), "{at}: first");
    assert_eq!(got.last_key_value(), want.last_key_value(), "{at}: last");
    assert_eq!(format!("{got:?}"), format!("{want:?}"), "{at}: Debug");
}

fn check_set(got: &OrdSet<String>, want: &BTreeSet<String>, at: &str) {
    assert_eq!(got.len(), want.len(), "{at}: len");
    assert!(got.iter().eq(want.iter()), "{at}: iter");
    assert!(got.iter().rev().eq(want.iter().rev()), "{at}: iter().rev()");
    assert_eq!(got.first(), want.first(), "{at}: first");
    assert_eq!(got.last(), want.last(), "{at}: last");
    assert_eq!(format!("{got:?}"), format!("{want:?}"), "{at}: Debug");
}

#[test]
fn ord_map_equals_btree_map_under_random_operations() {
    for seed in 0..200u64 {
        let mut rng = SimRng::new(seed);
        let mut got: OrdMap<String, u64> = OrdMap::new();
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for step in 0..300 {
            let at = format!("seed {seed} step {step}");
            let k = key(&mut rng);
            let v = rng.below(1000);
            match rng.below(23) {
                0..=3 => assert_eq!(got.insert(k.clone(), v), want.insert(k, v), "{at}: insert"),
                4..=5 => assert_eq!(got.remove(k.as_str()), want.remove(k.as_str()), "{at}"),
                6 => assert_eq!(got.remove_entry(&k), want.remove_entry(&k), "{at}"),
                7 => {
                    *got.entry(k.clone()).or_insert(v) += 1;
                    *want.entry(k).or_insert(v) += 1;
                }
                8 => {
                    got.entry(k.clone())
                        .and_modify(|x| *x *= 3)
                        .or_insert_with(|| v);
                    want.entry(k).and_modify(|x| *x *= 3).or_insert_with(|| v);
                }
                9 => {
                    *got.entry(k.clone()).or_default() += v;
                    *want.entry(k).or_default() += v;
                }
                10 => {
                    // An occupied entry removed or replaced through the entry API.
                    let g = match got.entry(k.clone()) {
                        Entry::Occupied(e) if v % 2 == 0 => Some(e.remove()),
                        Entry::Occupied(mut e) => Some(e.insert(v)),
                        Entry::Vacant(_) => None,
                    };
                    let w = match want.entry(k) {
                        std::collections::btree_map::Entry::Occupied(e) if v % 2 == 0 => {
                            Some(e.remove())
                        }
                        std::collections::btree_map::Entry::Occupied(mut e) => Some(e.insert(v)),
                        std::collections::btree_map::Entry::Vacant(_) => None,
                    };
                    assert_eq!(g, w, "{at}: entry remove/insert");
                }
                11 => {
                    if let Some(x) = got.get_mut(k.as_str()) {
                        *x += 7;
                    }
                    if let Some(x) = want.get_mut(k.as_str()) {
                        *x += 7;
                    }
                    assert_eq!(got.get(&k), want.get(&k), "{at}: get");
                    assert_eq!(got.contains_key(&k), want.contains_key(&k), "{at}");
                    assert_eq!(got.get_key_value(&k), want.get_key_value(&k), "{at}");
                }
                12 => {
                    let m = v % 5 + 2;
                    got.retain(|_, x| *x % m != 0);
                    want.retain(|_, x| *x % m != 0);
                }
                13 => assert_eq!(got.pop_first(), want.pop_first(), "{at}: pop_first"),
                14 => assert_eq!(got.pop_last(), want.pop_last(), "{at}: pop_last"),
                15 => {
                    for (i, (_, x)) in got.iter_mut().enumerate() {
                        *x += i as u64;
                    }
                    for (i, (_, x)) in want.iter_mut().enumerate() {
                        *x += i as u64;
                    }
                    for x in got.values_mut().rev() {
                        *x ^= 1;
                    }
                    for x in want.values_mut().rev() {
                        *x ^= 1;
                    }
                }
                16 => {
                    let hi = key(&mut rng);
                    let (lo, hi) = if k <= hi { (k, hi) } else { (hi, k) };
                    let g: Vec<_> = got.range(lo.clone()..hi.clone()).collect();
                    let w: Vec<_> = want.range(lo.clone()..hi.clone()).collect();
                    assert_eq!(g, w, "{at}: range");
                    let g = got.range::<str, _>((
                        std::ops::Bound::Excluded(lo.as_str()),
                        std::ops::Bound::Unbounded,
                    ));
                    let g: Vec<_> = g.rev().collect();
                    let w: Vec<_> = want
                        .range::<str, _>((
                            std::ops::Bound::Excluded(lo.as_str()),
                            std::ops::Bound::Unbounded,
                        ))
                        .rev()
                        .collect();
                    assert_eq!(g, w, "{at}: range rev");
                    for (_, x) in got.range_mut(lo.clone()..=hi.clone()) {
                        *x += 2;
                    }
                    for (_, x) in want.range_mut(lo..=hi) {
                        *x += 2;
                    }
                }
                17 => {
                    let c = got.clone();
                    assert!(c == got, "{at}: clone ==");
                    let owned: Vec<(String, u64)> = c.into_iter().collect();
                    let w: Vec<(String, u64)> = want.clone().into_iter().collect();
                    assert_eq!(owned, w, "{at}: into_iter");
                }
                18 => {
                    let extra = [(k.clone(), v), (key(&mut rng), v + 1), (k, v + 2)];
                    got.extend(extra.clone());
                    want.extend(extra);
                }
                19 => {
                    got = got.clone().into_iter().rev().collect();
                    let w: Vec<u64> = want.values().copied().collect();
                    assert!(got.values().copied().eq(w), "{at}: collect");
                }
                20 => {
                    if v % 10 == 0 {
                        got.clear();
                        want.clear();
                    }
                }
                21 => {
                    // The first or last entry read, changed, or removed.
                    let (g, w) = if v % 2 == 0 {
                        (got.first_entry(), want.first_entry())
                    } else {
                        (got.last_entry(), want.last_entry())
                    };
                    match (g, w) {
                        (Some(mut g), Some(mut w)) => {
                            assert_eq!((g.key(), g.get()), (w.key(), w.get()), "{at}: entry");
                            if v % 3 == 0 {
                                assert_eq!(g.remove_entry(), w.remove_entry(), "{at}: remove");
                            } else {
                                *g.get_mut() += 5;
                                *w.get_mut() += 5;
                            }
                        }
                        (None, None) => {}
                        (g, w) => panic!(
                            "{at}: first/last_entry {:?} vs {:?}",
                            g.is_some(),
                            w.is_some()
                        ),
                    }
                }
                _ => {
                    let g = got.values_mut().next_back().map(|x| {
                        *x += 1;
                        *x
                    });
                    let w = want.values_mut().next_back().map(|x| {
                        *x += 1;
                        *x
                    });
                    assert_eq!(g, w, "{at}: values_mut().next_back()");
                }
            }
            check_map(&got, &want, &at);
        }
    }
}

#[test]
fn ord_set_equals_btree_set_under_random_operations() {
    for seed in 0..200u64 {
        let mut rng = SimRng::new(seed ^ 0x5e7);
        let mut got: OrdSet<String> = OrdSet::new();
        let mut want: BTreeSet<String> = BTreeSet::new();
        for step in 0..300 {
            let at = format!("seed {seed} step {step}");
            let k = key(&mut rng);
            match rng.below(10) {
                0..=3 => assert_eq!(got.insert(k.clone()), want.insert(k), "{at}: insert"),
                4 => assert_eq!(got.remove(k.as_str()), want.remove(k.as_str()), "{at}"),
                5 => {
                    assert_eq!(got.contains(&k), want.contains(&k), "{at}: contains");
                    assert_eq!(got.get(&k), want.get(&k), "{at}: get");
                    assert_eq!(got.take(&k), want.take(&k), "{at}: take");
                }
                6 => {
                    let m = rng.below(4) + 2;
                    got.retain(|x| x.len() as u64 % m != 0 || x.ends_with('3'));
                    want.retain(|x| x.len() as u64 % m != 0 || x.ends_with('3'));
                }
                7 => {
                    assert_eq!(got.pop_first(), want.pop_first(), "{at}: pop_first");
                    assert_eq!(got.pop_last(), want.pop_last(), "{at}: pop_last");
                }
                8 => {
                    let hi = key(&mut rng);
                    let (lo, hi) = if k <= hi { (k, hi) } else { (hi, k) };
                    assert!(
                        got.range(lo.clone()..=hi.clone()).eq(want.range(lo..=hi)),
                        "{at}: range"
                    );
                    let sub: OrdSet<String> = got.iter().step_by(2).cloned().collect();
                    let wsub: BTreeSet<String> = want.iter().step_by(2).cloned().collect();
                    assert_eq!(sub.is_subset(&got), wsub.is_subset(&want), "{at}");
                    assert_eq!(got.is_subset(&sub), want.is_subset(&wsub), "{at}");
                }
                _ => {
                    let c = got.clone();
                    assert!(c == got, "{at}: clone ==");
                    assert!(c.into_iter().eq(want.clone()), "{at}: into_iter");
                }
            }
            check_set(&got, &want, &at);
        }
    }
}

/// Values with destructors: every value is dropped exactly once (removed, replaced, cleared,
/// or with the map), and none is dropped while still reachable.
#[test]
fn ord_map_drops_each_value_once() {
    use std::rc::Rc;
    let token = Rc::new(());
    {
        let mut m: OrdMap<u32, Rc<()>> = OrdMap::new();
        let mut rng = SimRng::new(7);
        for _ in 0..2000 {
            let k = rng.below(50) as u32;
            match rng.below(4) {
                0 | 1 => {
                    m.insert(k, Rc::clone(&token));
                }
                2 => {
                    m.remove(&k);
                }
                _ => m.retain(|k, _| k % 3 != 0),
            }
            assert_eq!(Rc::strong_count(&token), 1 + m.len());
        }
        let half: Vec<_> = m.clone().into_iter().take(3).collect();
        assert_eq!(Rc::strong_count(&token), 1 + m.len() + half.len());
        drop(half);
        assert_eq!(Rc::strong_count(&token), 1 + m.len());
    }
    assert_eq!(Rc::strong_count(&token), 1);
}

/// The tree's chunk invariants: no empty chunk, none over `MAX`, and with two or more chunks
/// none under `MIN`; the lengths add up to `len`.
fn check_chunks(lens: &[usize], len: usize, at: &str) {
    use super::tree::{MAX, MIN};
    assert_eq!(
        lens.iter().sum::<usize>(),
        len,
        "{at}: chunk lengths {lens:?}"
    );
    for &n in lens {
        assert!((1..=MAX).contains(&n), "{at}: chunk of {n} in {lens:?}");
        assert!(
            lens.len() == 1 || n >= MIN,
            "{at}: short chunk of {n} in {lens:?}"
        );
    }
}

/// Thousands of `u64` keys, so chunks split and merge many times: random inserts, removes,
/// pops, entries, ranges and retains against std, contents compared every 64 steps and the
/// chunk invariants after every step.
#[test]
fn ord_map_splits_and_merges_chunks_like_btree_map() {
    use std::ops::Bound;
    for seed in 0..6u64 {
        let mut rng = SimRng::new(seed ^ 0xc4u64);
        let mut got: OrdMap<u64, u64> = OrdMap::new();
        let mut want: BTreeMap<u64, u64> = BTreeMap::new();
        // Grow to about 3000 keys, then shrink to none.
        for step in 0..12_000u64 {
            let at = format!("seed {seed} step {step}");
            let growing = step < 6_000;
            let k = rng.below(4_000);
            let v = rng.below(1_000_000);
            match rng.below(20) {
                0..=9 if growing => assert_eq!(got.insert(k, v), want.insert(k, v), "{at}"),
                0..=9 => assert_eq!(got.remove(&k), want.remove(&k), "{at}: remove"),
                10 if growing => {
                    *got.entry(k).or_insert(v) += 1;
                    *want.entry(k).or_insert(v) += 1;
                }
                10 => {
                    let g = match got.entry(k) {
                        Entry::Occupied(e) => Some(e.remove_entry()),
                        Entry::Vacant(e) => Some((e.into_key(), 0)),
                    };
                    let w = match want.entry(k) {
                        std::collections::btree_map::Entry::Occupied(e) => Some(e.remove_entry()),
                        std::collections::btree_map::Entry::Vacant(e) => Some((e.into_key(), 0)),
                    };
                    assert_eq!(g, w, "{at}: entry remove_entry");
                }
                11 => assert_eq!(got.pop_first(), want.pop_first(), "{at}: pop_first"),
                12 => assert_eq!(got.pop_last(), want.pop_last(), "{at}: pop_last"),
                13 => {
                    assert_eq!(got.get(&k), want.get(&k), "{at}: get");
                    assert_eq!(got.contains_key(&k), want.contains_key(&k), "{at}");
                }
                14 | 15 => {
                    let hi = k + rng.below(300);
                    let bounds = [
                        (Bound::Included(k), Bound::Excluded(hi + 1)),
                        (Bound::Excluded(k), Bound::Included(hi)),
                        (Bound::Unbounded, Bound::Included(hi)),
                        (Bound::Excluded(k), Bound::Unbounded),
                    ];
                    let b = bounds[rng.below(4) as usize];
                    assert!(got.range(b).eq(want.range(b)), "{at}: range {b:?}");
                    assert!(
                        got.range(b).rev().eq(want.range(b).rev()),
                        "{at}: range {b:?} rev"
                    );
                    // Both ends at once, meeting in the middle.
                    let mut g = got.range(b);
                    let mut w = want.range(b);
                    loop {
                        let (gf, wf) = (g.next(), w.next());
                        assert_eq!(gf, wf, "{at}: range {b:?} front");
                        let (gb, wb) = (g.next_back(), w.next_back());
                        assert_eq!(gb, wb, "{at}: range {b:?} back");
                        if gf.is_none() && gb.is_none() {
                            break;
                        }
                    }
                    for (_, x) in got.range_mut(b) {
                        *x += 1;
                    }
                    for (_, x) in want.range_mut(b) {
                        *x += 1;
                    }
                }
                16 if step % 50 == 0 => {
                    // Drops long runs, leaving short chunks to join.
                    let m = rng.below(7) + 2;
                    got.retain(|k, _| (k / 40) % m != 0);
                    want.retain(|k, _| (k / 40) % m != 0);
                }
                _ => {
                    let mut g = got.iter();
                    let mut w = want.iter();
                    for _ in 0..rng.below(200) {
                        assert_eq!(g.next_back(), w.next_back(), "{at}: iter next_back");
                        assert_eq!(g.next(), w.next(), "{at}: iter next");
                        assert_eq!(g.len(), w.len(), "{at}: iter len");
                    }
                }
            }
            check_chunks(&got.chunk_lens(), got.len(), &at);
            if step % 64 == 0 {
                assert!(got.iter().eq(want.iter()), "{at}: iter");
                assert_eq!(got.len(), want.len(), "{at}: len");
            }
        }
        assert!(got.iter().eq(want.iter()), "seed {seed}: iter at the end");
    }
}

/// Ascending and descending runs (the split point is always the last chunk or the first),
/// emptied from the front, from the back and through `retain`; and a set of the same sizes.
#[test]
fn ord_map_and_set_chunk_edges_in_order() {
    for n in [1u32, 63, 64, 65, 127, 128, 129, 130, 256, 257, 1000, 4099] {
        let at = format!("n {n}");
        let mut up: OrdMap<u32, u32> = (0..n).map(|k| (k, k * 2)).collect();
        let mut down: OrdMap<u32, u32> = (0..n).rev().map(|k| (k, k * 2)).collect();
        check_chunks(&up.chunk_lens(), n as usize, &at);
        check_chunks(&down.chunk_lens(), n as usize, &at);
        assert!(up == down, "{at}: same map both ways");
        assert!(up.keys().copied().eq(0..n), "{at}: keys");
        assert_eq!(
            up.range(n / 2..).count(),
            (n - n / 2) as usize,
            "{at}: range"
        );
        let mut i = 0;
        while let Some((k, v)) = up.pop_first() {
            assert_eq!((k, v), (i, i * 2), "{at}: pop_first");
            check_chunks(&up.chunk_lens(), up.len(), &at);
            i += 1;
        }
        assert_eq!(i, n, "{at}: popped");
        let mut i = n;
        while let Some((k, _)) = down.pop_last() {
            i -= 1;
            assert_eq!(k, i, "{at}: pop_last");
            check_chunks(&down.chunk_lens(), down.len(), &at);
        }
        assert!(
            down.is_empty() && down.chunk_lens().is_empty(),
            "{at}: empty"
        );

        let mut s: OrdSet<u32> = (0..n).rev().collect();
        check_chunks(&s.chunk_lens(), n as usize, &at);
        // Every other element of every other run of 50 goes: chunks shrink unevenly.
        s.retain(|k| (k / 50) % 2 == 0 || k % 2 == 0);
        let want: Vec<u32> = (0..n).filter(|k| (k / 50) % 2 == 0 || k % 2 == 0).collect();
        assert!(s.iter().copied().eq(want.iter().copied()), "{at}: retain");
        check_chunks(&s.chunk_lens(), want.len(), &at);
        for k in want.iter().rev().step_by(3) {
            assert!(s.remove(k), "{at}: remove {k}");
            check_chunks(&s.chunk_lens(), s.len(), &at);
        }
        s.retain(|_| false);
        assert!(
            s.is_empty() && s.chunk_lens().is_empty(),
            "{at}: retain none"
        );
    }
}

#[test]
#[should_panic(expected = "range start is greater than range end in BTreeMap")]
fn ord_map_range_start_after_end_panics_as_std() {
    use std::ops::Bound::{Excluded, Included};
    let m: OrdMap<u32, u32> = (0..10).map(|k| (k, k)).collect();
    let _ = m.range((Included(5), Excluded(3)));
}

#[test]
#[should_panic(expected = "range start and end are equal and excluded in BTreeMap")]
fn ord_set_range_equal_excluded_bounds_panic_as_std() {
    use std::ops::Bound::Excluded;
    let s: OrdSet<u32> = (0..10).collect();
    let _ = s.range((Excluded(4), Excluded(4)));
}

/// Bounds that std accepts but that select nothing: equal bounds, one of them excluded.
#[test]
fn ord_map_empty_ranges_as_std() {
    use std::ops::Bound::{Excluded, Included};
    let m: OrdMap<u32, u32> = (0..300).map(|k| (k * 2, k)).collect();
    let w: BTreeMap<u32, u32> = (0..300).map(|k| (k * 2, k)).collect();
    for k in [0u32, 1, 127, 128, 129, 598, 599, 700] {
        for b in [
            (Included(k), Excluded(k)),
            (Excluded(k), Included(k)),
            (Included(k), Included(k)),
        ] {
            assert!(m.range(b).eq(w.range(b)), "{k}: {b:?}");
            assert!(m.range(b).rev().eq(w.range(b).rev()), "{k}: {b:?} rev");
        }
    }
}

/// `retain` that empties the first chunk (the one kept in the tree itself) and keeps the rest;
/// then `pop_first` until one chunk is left, and on to empty.
#[test]
fn ord_map_first_chunk_emptied() {
    for n in [129u32, 200, 1000] {
        let mut m: OrdMap<u32, u32> = (0..n).map(|k| (k, k)).collect();
        let first = m.chunk_lens()[0] as u32;
        m.retain(|k, _| *k >= first);
        let at = format!("n={n}");
        assert!(m.keys().copied().eq(first..n), "{at}: retain");
        check_chunks(&m.chunk_lens(), m.len(), &at);
        assert_eq!(m.first_key_value(), Some((&first, &first)), "{at}");
        assert_eq!(m.get(&(n - 1)), Some(&(n - 1)), "{at}");
        for k in first..n {
            assert_eq!(m.pop_first(), Some((k, k)), "{at}");
            check_chunks(&m.chunk_lens(), m.len(), &at);
        }
        assert!(m.is_empty() && m.chunk_lens().is_empty(), "{at}: empty");
        m.insert(7, 7);
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            vec![(&7, &7)],
            "{at}: refilled"
        );
    }
}
