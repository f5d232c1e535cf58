//! Ordered maps and sets whose tree code is compiled once per *key* type.
//!
//! std's `BTreeMap<K, V>` compiles its search, insert, remove, split/merge, iteration and drop
//! code for every distinct `(K, V)` pair: 10–15 KB of wasm each, and the core had about 100
//! pairs (docs/benchmarks.md, "Bundle size"). [`OrdMap<K, V>`] keeps a std
//! `BTreeMap<K, u32>` from each key to a slot of a slab (`Vec` of values with a free list), so
//! the tree is instantiated once per key type (`String`, `ObjectKey`, a few tuples) and what
//! is compiled per value type is small `Vec` code. [`OrdSet<K>`] is the same
//! `BTreeMap<K, u32>` with no slab, so a set of `K` shares the tree code of every map keyed by
//! `K`.
//!
//! Both have std's semantics and iteration order (key order) for the API subset the core uses;
//! `tests` drives them and std's collections with the same seeded random operations and
//! compares contents and order after every step. Maps that are part of the API or scenario
//! structs (serde fields) stay std `BTreeMap`s.

mod ord_map;
mod ord_set;
mod slab;

pub use ord_map::{
    Entry, IntoIter, Iter, IterMut, OccupiedEntry, OrdMap, Range, SlotIter, VacantEntry,
};
pub use ord_set::OrdSet;

#[cfg(test)]
mod tests;
