//! Latency histogram in microseconds: log-linear buckets, 16 per power of two (at most
//! 1/16 = 6.25% wide), exact below 16 µs. Integer-only, so percentiles are the same on every
//! platform.

/// Sub-buckets per power of two (2^4).
const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
/// Values up to 2^40 µs (about 12.7 days) have their own bucket; larger ones share the last.
const MAX_EXP: u32 = 40;
pub const BUCKETS: usize = (MAX_EXP as usize - SUB_BITS as usize + 1) * SUB;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }
}

fn index(v: u64) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let e = (63 - v.leading_zeros()).min(MAX_EXP);
    let v = v.min((1u64 << (MAX_EXP + 1)) - 1);
    let m = ((v >> (e - SUB_BITS)) as usize) & (SUB - 1);
    (e - SUB_BITS + 1) as usize * SUB + m
}

/// The midpoint of bucket `i`.
fn value(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let e = (i / SUB) as u32 + SUB_BITS - 1;
    let m = (i % SUB) as u64;
    let width = 1u64 << (e - SUB_BITS);
    ((SUB as u64 + m) << (e - SUB_BITS)) + width / 2
}

impl Histogram {
    pub fn add(&mut self, us: u64, n: u64) {
        self.counts[index(us)] += n;
        self.total += n;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.total += o.total;
    }

    /// The `pct`-th percentile (nearest rank) in µs; 0 when empty.
    pub fn percentile(&self, pct: u64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = (self.total * pct).div_ceil(100).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value(i);
            }
        }
        value(BUCKETS - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_within_a_sixteenth() {
        for v in [
            0u64,
            1,
            15,
            16,
            17,
            31,
            32,
            1000,
            20_000,
            123_456_789,
            1 << 39,
        ] {
            let i = index(v);
            assert!(i < BUCKETS);
            let mid = value(i);
            let err = mid.abs_diff(v);
            assert!(err * 16 <= v.max(1), "{v}: bucket {i} mid {mid}");
        }
        // Monotone.
        let mut last = 0;
        for v in (0..100_000u64).step_by(7) {
            assert!(index(v) >= last);
            last = index(v);
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut h = Histogram::default();
        for ms in 1..=100u64 {
            h.add(ms * 1000, 1);
        }
        let p50 = h.percentile(50);
        assert!(p50.abs_diff(50_000) * 16 <= 50_000, "{p50}");
        let p99 = h.percentile(99);
        assert!(p99.abs_diff(99_000) * 16 <= 99_000, "{p99}");
        assert_eq!(Histogram::default().percentile(99), 0);
    }
}
