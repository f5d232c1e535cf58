//! Ordered maps and sets whose tree code is compiled once for the whole program.
//!
//! std's `BTreeMap<K, V>` compiles its search, insert, remove, split/merge, iteration and drop
//! code for every distinct `(K, V)` pair: 10–15 KB of wasm each, and the core had about 100
//! pairs (docs/benchmarks.md, "Bundle size"). Here the order lives in one non-generic
//! [`tree::Tree`] of `u32` handles (sorted chunks of handles, searched through a `&dyn Probe`
//! comparison; it also hands the handles out and takes them back), and the keys and values in
//! slabs (`slab`: a `Vec` of `Option`s) addressed by those handles. What is compiled per type
//! is small: the probe per key and query type, putting, reading and taking a slot per key or
//! value type, and thin wrappers: [`OrdMap<K, V>`] (`ord_map`) = tree + slab of keys + slab of
//! values, [`OrdSet<K>`] (`ord_set`) = `OrdMap<K, ()>`.
//!
//! Both have std's semantics and iteration order (key order) for the API subset the core uses,
//! including `range`'s panics on bounds out of order; `tests` drives them and std's collections
//! with the same seeded random operations and compares contents and order after every step,
//! and checks the tree's chunk invariants at sizes that split and merge chunks. `OrdMap` also
//! serializes and deserializes as std's `BTreeMap` (`de`), so the API and scenario structs'
//! maps use it too.

mod de;
mod ord_map;
mod ord_set;
mod slab;
mod tree;

pub use ord_map::{
    Entries, Entry, IntoIter, IntoKeys, Iter, IterMut, Keys, OccupiedEntry, OrdMap, Range,
    VacantEntry,
};
pub use ord_set::OrdSet;
pub use tree::{Cursor, Handles, IntoHandles};

#[cfg(test)]
mod tests;
