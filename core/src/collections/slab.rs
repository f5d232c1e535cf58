//! The keys and values of an [`super::OrdMap`] (the elements of an [`super::OrdSet`]): a
//! `Vec` of slots with a free list, addressed by the `u32` handles the [`super::tree::Tree`]
//! orders.

/// One slot: a value, or a free slot with the next free slot's number (`NONE` ends the list).
#[derive(Clone)]
pub(super) enum Slot<V> {
    Full(V),
    Free(u32),
}

const NONE: u32 = u32::MAX;

#[derive(Clone)]
pub(super) struct Slab<V> {
    pub(super) slots: Vec<Slot<V>>,
    /// The most recently freed slot, or `NONE`.
    free: u32,
}

impl<V> Slab<V> {
    pub(super) const fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: NONE,
        }
    }

    /// Stores `v` in a free slot (the most recently freed first) or a new one.
    #[inline]
    pub(super) fn insert(&mut self, v: V) -> u32 {
        if self.free != NONE {
            let s = self.free;
            let slot = &mut self.slots[s as usize];
            let Slot::Free(next) = *slot else {
                unreachable!("slab: the free list names a full slot")
            };
            self.free = next;
            *slot = Slot::Full(v);
            s
        } else {
            let s = u32::try_from(self.slots.len()).expect("slab: more than u32::MAX values");
            assert!(s != NONE, "slab: more than u32::MAX - 1 values");
            self.slots.push(Slot::Full(v));
            s
        }
    }

    /// Takes the value out of slot `s` and puts the slot on the free list.
    #[inline]
    pub(super) fn remove(&mut self, s: u32) -> V {
        let slot = std::mem::replace(&mut self.slots[s as usize], Slot::Free(self.free));
        self.free = s;
        match slot {
            Slot::Full(v) => v,
            Slot::Free(_) => unreachable!("slab: removing a free slot"),
        }
    }

    #[inline]
    pub(super) fn get(&self, s: u32) -> &V {
        get(&self.slots, s)
    }

    #[inline]
    pub(super) fn get_mut(&mut self, s: u32) -> &mut V {
        match &mut self.slots[s as usize] {
            Slot::Full(v) => v,
            Slot::Free(_) => unreachable!("slab: reading a free slot"),
        }
    }

    /// Drops every value; the next insert starts at slot 0 again.
    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.free = NONE;
    }
}

#[inline]
pub(super) fn get<V>(slots: &[Slot<V>], s: u32) -> &V {
    match &slots[s as usize] {
        Slot::Full(v) => v,
        Slot::Free(_) => unreachable!("slab: reading a free slot"),
    }
}

/// Takes the value out of slot `s` of a consumed slab (no free list to keep).
#[inline]
pub(super) fn take<V>(slots: &mut [Slot<V>], s: u32) -> V {
    match std::mem::replace(&mut slots[s as usize], Slot::Free(NONE)) {
        Slot::Full(v) => v,
        Slot::Free(_) => unreachable!("slab: taking a free slot"),
    }
}
