//! Values in fixed-size chunks, addressed by slot number: a value never moves once stored.
//!
//! The store's objects used to live inline in its hash index. Growing that table moved every
//! object (about 1 KB each) at once: at t=0 of a 30,000-pod scenario one `create` copied
//! 16,384 objects into a fresh 32,768-entry table, a single unit of work of tens of
//! milliseconds, which is a long frame in the playground (docs/benchmarks.md, "Frames").
//! Boxing each object avoided the move but made every run 10–20 % slower (one allocation and
//! one indirection per object). Here a chunk is allocated once, at its full size, and filled
//! in place; growing the slab adds a chunk and moves nothing, and the hash index holds only
//! the slot number.
//!
//! Slots freed by `remove` are reused last-freed first. Slot numbers are private to the
//! store: no order or number reaches a result (invariant 1).

/// Slots per chunk: 256 objects are about a quarter of a megabyte, one allocation.
const CHUNK: usize = 256;

#[derive(Clone, Debug)]
pub struct ChunkedSlab<T> {
    chunks: Vec<Vec<Option<T>>>,
    free: Vec<u32>,
}

impl<T> Default for ChunkedSlab<T> {
    fn default() -> Self {
        ChunkedSlab {
            chunks: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> ChunkedSlab<T> {
    /// Store `value`; its slot number.
    pub fn insert(&mut self, value: T) -> u32 {
        if let Some(slot) = self.free.pop() {
            let i = slot as usize;
            let cell = &mut self.chunks[i / CHUNK][i % CHUNK];
            debug_assert!(cell.is_none(), "a free slot holds a value");
            *cell = Some(value);
            return slot;
        }
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            // Allocated at its full size, so pushing into it never reallocates.
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let full = (self.chunks.len() - 1) * CHUNK;
        let last = self.chunks.last_mut().expect("pushed above");
        last.push(Some(value));
        u32::try_from(full + last.len() - 1).expect("fewer than 2^32 slots")
    }

    #[cellsim_derive::hot]
    pub fn get(&self, slot: u32) -> Option<&T> {
        let i = slot as usize;
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)?.as_ref()
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        let i = slot as usize;
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)?.as_mut()
    }

    /// Take the value out of `slot`; the slot is reused by a later `insert`.
    pub fn remove(&mut self, slot: u32) -> Option<T> {
        let i = slot as usize;
        let value = self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)?.take()?;
        self.free.push(slot);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    #[test]
    fn values_stay_where_they_were_stored_across_growth() {
        let mut s = ChunkedSlab::default();
        let first = s.insert(String::from("first"));
        let at = s.get(first).unwrap().as_ptr();
        let addr = s.get(first).unwrap() as *const String;
        for i in 0..10 * CHUNK {
            s.insert(i.to_string());
        }
        assert_eq!(s.get(first).map(String::as_str), Some("first"));
        assert_eq!(
            s.get(first).unwrap() as *const String,
            addr,
            "the value moved"
        );
        assert_eq!(s.get(first).unwrap().as_ptr(), at);
    }

    #[test]
    fn the_slab_agrees_with_a_map_over_random_operations() {
        let seed = 0x5eed_51ab;
        let mut rng = SimRng::new(seed);
        let mut slab = ChunkedSlab::default();
        let mut model = std::collections::BTreeMap::new();
        for step in 0..20_000u64 {
            let live: Vec<u32> = model.keys().copied().collect();
            match rng.below(4) {
                0 | 1 => {
                    let slot = slab.insert(step);
                    assert!(
                        model.insert(slot, step).is_none(),
                        "seed {seed}: slot {slot} given twice"
                    );
                }
                2 if !live.is_empty() => {
                    let slot = live[rng.below(live.len() as u64) as usize];
                    assert_eq!(
                        slab.remove(slot),
                        model.remove(&slot),
                        "seed {seed} step {step}"
                    );
                    assert_eq!(slab.remove(slot), None, "seed {seed}: removed twice");
                }
                _ if !live.is_empty() => {
                    let slot = live[rng.below(live.len() as u64) as usize];
                    *slab.get_mut(slot).unwrap() += 1;
                    *model.get_mut(&slot).unwrap() += 1;
                }
                _ => {}
            }
            if step % 997 == 0 {
                for (slot, v) in &model {
                    assert_eq!(slab.get(*slot), Some(v), "seed {seed} step {step}");
                }
            }
        }
        for (slot, v) in &model {
            assert_eq!(slab.get(*slot), Some(v), "seed {seed}");
        }
        assert_eq!(slab.get(u32::MAX), None);
    }
}
