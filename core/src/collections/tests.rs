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
            match rng.below(22) {
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
