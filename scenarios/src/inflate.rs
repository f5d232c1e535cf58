//! Raw DEFLATE (RFC 1951) decoding: the embedded library and the playground's share links.
//!
//! Why not miniz_oxide's inflater: it is built for speed (lookup tables, a streaming state
//! machine) and was about 13 KB of the playground's wasm; both inputs here are small and
//! decoded once, so a bit-at-a-time canonical Huffman decoder (the structure of zlib's
//! `contrib/puff`) is fast enough and a fraction of the size (docs/benchmarks.md,
//! "Session 11"). Any input gives a result or an [`InflateError`]; none panics, and the output
//! never exceeds the caller's limit.

use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum InflateError {
    #[error("the deflated data ends early")]
    Truncated,
    #[error("the deflated data is invalid: {0}")]
    Invalid(&'static str),
    #[error("the inflated data is longer than {0} bytes")]
    TooLong(usize),
}

/// The bytes `data` (raw DEFLATE, no zlib or gzip header) inflates to, at most `limit` of them.
pub fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    let mut s = State {
        data,
        pos: 0,
        bit_buf: 0,
        bit_count: 0,
        out: Vec::new(),
        limit,
    };
    loop {
        let last = s.bits(1)? == 1;
        match s.bits(2)? {
            0 => s.stored()?,
            1 => {
                let (lengths, distances) = fixed_codes();
                s.codes(&lengths, &distances)?;
            }
            2 => {
                let (lengths, distances) = s.dynamic_codes()?;
                s.codes(&lengths, &distances)?;
            }
            _ => return Err(InflateError::Invalid("block type 3")),
        }
        if last {
            return Ok(s.out);
        }
    }
}

struct State<'a> {
    data: &'a [u8],
    pos: usize,
    bit_buf: u32,
    bit_count: u32,
    out: Vec<u8>,
    limit: usize,
}

/// A canonical Huffman code: how many codes have each length (1..=15), and the symbols in
/// code order.
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    /// The code for `lengths` (one per symbol, 0 = unused), and whether the lengths fill the
    /// code space (`complete`). Over-subscribed lengths are an error.
    fn new(lengths: &[u8]) -> Result<(Huffman, bool), InflateError> {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[usize::from(l)] += 1;
        }
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left = left * 2 - i32::from(c);
            if left < 0 {
                return Err(InflateError::Invalid("over-subscribed code"));
            }
        }
        let used = lengths.len() - usize::from(count[0]);
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; used];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                let at = &mut offs[usize::from(l)];
                symbol[usize::from(*at)] = sym as u16;
                *at += 1;
            }
        }
        Ok((Huffman { count, symbol }, left == 0))
    }

    /// A literal/length or distance code of a dynamic block: complete, or (as zlib's `puff`
    /// allows) a single code of length 1.
    fn dynamic(lengths: &[u8]) -> Result<Huffman, InflateError> {
        let (h, complete) = Huffman::new(lengths)?;
        let single = h.count[1] == 1 && h.symbol.len() == 1;
        if complete || single {
            Ok(h)
        } else {
            Err(InflateError::Invalid("incomplete code"))
        }
    }
}

/// Length symbols 257..=285: base length and extra bits.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance symbols 0..=29: base distance and extra bits.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// The fixed codes of block type 1 (RFC 1951, 3.2.6).
fn fixed_codes() -> (Huffman, Huffman) {
    let mut lengths = [8u8; 288];
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    // Neither is over-subscribed (the distance code is incomplete: 30 of 32 codes), so
    // `Huffman::new` cannot fail here.
    let lit = Huffman::new(&lengths).map_or_else(|_| empty(), |(h, _)| h);
    let dist = Huffman::new(&[5u8; 30]).map_or_else(|_| empty(), |(h, _)| h);
    (lit, dist)
}

fn empty() -> Huffman {
    Huffman {
        count: [0; 16],
        symbol: Vec::new(),
    }
}

impl State<'_> {
    /// The next `need` (at most 16) bits, least significant first.
    fn bits(&mut self, need: u32) -> Result<u32, InflateError> {
        let mut val = self.bit_buf;
        while self.bit_count < need {
            let byte = *self.data.get(self.pos).ok_or(InflateError::Truncated)?;
            self.pos += 1;
            val |= u32::from(byte) << self.bit_count;
            self.bit_count += 8;
        }
        self.bit_buf = val >> need;
        self.bit_count -= need;
        Ok(val & ((1u32 << need) - 1))
    }

    fn push(&mut self, byte: u8) -> Result<(), InflateError> {
        if self.out.len() >= self.limit {
            return Err(InflateError::TooLong(self.limit));
        }
        self.out.push(byte);
        Ok(())
    }

    /// A stored block: from the next byte boundary, LEN, its complement, LEN bytes.
    fn stored(&mut self) -> Result<(), InflateError> {
        self.bit_buf = 0;
        self.bit_count = 0;
        let header = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or(InflateError::Truncated)?;
        let len = u16::from_le_bytes([header[0], header[1]]);
        let nlen = u16::from_le_bytes([header[2], header[3]]);
        if len != !nlen {
            return Err(InflateError::Invalid("stored block length"));
        }
        self.pos += 4;
        let bytes = self
            .data
            .get(self.pos..self.pos + usize::from(len))
            .ok_or(InflateError::Truncated)?;
        if self.out.len() + bytes.len() > self.limit {
            return Err(InflateError::TooLong(self.limit));
        }
        self.out.extend_from_slice(bytes);
        self.pos += usize::from(len);
        Ok(())
    }

    /// One symbol of code `h`, read a bit at a time (codes are stored most significant bit
    /// first).
    fn decode(&mut self, h: &Huffman) -> Result<u16, InflateError> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= self.bits(1)? as i32;
            let count = i32::from(h.count[len]);
            if code - count < first {
                let at = (index + code - first) as usize;
                return h
                    .symbol
                    .get(at)
                    .copied()
                    .ok_or(InflateError::Invalid("code"));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(InflateError::Invalid("code"))
    }

    /// The literals, lengths and distances of one compressed block, up to its end code.
    fn codes(&mut self, lit: &Huffman, dist: &Huffman) -> Result<(), InflateError> {
        loop {
            let sym = self.decode(lit)?;
            match sym {
                0..=255 => self.push(sym as u8)?,
                256 => return Ok(()),
                _ => {
                    let i = usize::from(sym - 257);
                    let (Some(&base), Some(&extra)) = (LENGTH_BASE.get(i), LENGTH_EXTRA.get(i))
                    else {
                        return Err(InflateError::Invalid("length symbol"));
                    };
                    let len = usize::from(base) + self.bits(u32::from(extra))? as usize;
                    let d = usize::from(self.decode(dist)?);
                    let (Some(&base), Some(&extra)) = (DIST_BASE.get(d), DIST_EXTRA.get(d)) else {
                        return Err(InflateError::Invalid("distance symbol"));
                    };
                    let back = usize::from(base) + self.bits(u32::from(extra))? as usize;
                    if back > self.out.len() {
                        return Err(InflateError::Invalid("distance too far back"));
                    }
                    for _ in 0..len {
                        let byte = self.out[self.out.len() - back];
                        self.push(byte)?;
                    }
                }
            }
        }
    }

    /// The code lengths of a dynamic block (RFC 1951, 3.2.7) and the two codes they define.
    fn dynamic_codes(&mut self) -> Result<(Huffman, Huffman), InflateError> {
        const ORDER: [usize; 19] = [
            16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
        ];
        let nlen = self.bits(5)? as usize + 257;
        let ndist = self.bits(5)? as usize + 1;
        let ncode = self.bits(4)? as usize + 4;
        if nlen > 286 || ndist > 30 {
            return Err(InflateError::Invalid("too many length or distance codes"));
        }
        let mut code_lengths = [0u8; 19];
        for &i in &ORDER[..ncode] {
            code_lengths[i] = self.bits(3)? as u8;
        }
        // The code lengths' own code must be complete (as in zlib's `puff`).
        let (lencode, complete) = Huffman::new(&code_lengths)?;
        if !complete {
            return Err(InflateError::Invalid("incomplete code-length code"));
        }
        let mut lengths = [0u8; 286 + 30];
        let mut i = 0;
        while i < nlen + ndist {
            let sym = self.decode(&lencode)?;
            let (value, repeat) = match sym {
                0..=15 => (sym as u8, 1),
                16 => {
                    let Some(&prev) = i.checked_sub(1).map(|p| &lengths[p]) else {
                        return Err(InflateError::Invalid("repeat with no previous length"));
                    };
                    (prev, 3 + self.bits(2)? as usize)
                }
                17 => (0, 3 + self.bits(3)? as usize),
                _ => (0, 11 + self.bits(7)? as usize),
            };
            if i + repeat > nlen + ndist {
                return Err(InflateError::Invalid("too many lengths"));
            }
            lengths[i..i + repeat].fill(value);
            i += repeat;
        }
        if lengths[256] == 0 {
            return Err(InflateError::Invalid("no end-of-block code"));
        }
        let lit = Huffman::dynamic(&lengths[..nlen])?;
        let dist = Huffman::dynamic(&lengths[nlen..nlen + ndist])?;
        Ok((lit, dist))
    }
}

#[cfg(test)]
mod tests {
    use super::{inflate, InflateError};
    use miniz_oxide::deflate::compress_to_vec;
    use miniz_oxide::inflate::decompress_to_vec_with_limit;

    /// The project's seeded generator (a failure names its seed).
    type Rng = cellsim_core::rng::SimRng;

    fn below(rng: &mut Rng, n: usize) -> usize {
        rng.below(n as u64) as usize
    }

    fn inputs(seed: u64) -> Vec<Vec<u8>> {
        let mut rng = Rng::new(seed);
        let mut v: Vec<Vec<u8>> = vec![vec![], b"a".to_vec(), vec![0; 100_000]];
        v.extend(crate::files().iter().map(|(_, t)| t.as_bytes().to_vec()));
        v.push((0..300_000).map(|_| rng.next_u64() as u8).collect());
        v.push((0..50_000).map(|_| b"ab"[below(&mut rng, 2)]).collect());
        v
    }

    #[test]
    fn inflates_what_miniz_deflates_at_every_level() {
        for input in inputs(7) {
            for level in [0, 1, 6, 9, 10] {
                let z = compress_to_vec(&input, level);
                assert_eq!(
                    inflate(&z, input.len()).as_deref(),
                    Ok(&input[..]),
                    "{} bytes at level {level}",
                    input.len()
                );
                if !input.is_empty() {
                    assert_eq!(
                        inflate(&z, input.len() - 1),
                        Err(InflateError::TooLong(input.len() - 1))
                    );
                }
            }
        }
    }

    #[test]
    fn damaged_streams_are_errors_never_more_lenient_than_miniz() {
        let seed: u64 = std::env::var("CELLSIM_INFLATE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5EED);
        println!("seed {seed} (CELLSIM_INFLATE_SEED to repeat)");
        let mut rng = Rng::new(seed | 1);
        let text = crate::files()[0].1.as_bytes();
        for round in 0..3_000 {
            let mut z = compress_to_vec(text, [1, 6, 9][round % 3]);
            match round % 4 {
                0 => z.truncate(below(&mut rng, z.len())),
                1 => {
                    let at = below(&mut rng, z.len());
                    z[at] ^= 1 << below(&mut rng, 8);
                }
                2 => {
                    for _ in 0..4 {
                        let at = below(&mut rng, z.len());
                        z[at] = rng.next_u64() as u8;
                    }
                }
                _ => {
                    z = (0..below(&mut rng, 200))
                        .map(|_| rng.next_u64() as u8)
                        .collect()
                }
            }
            let ours = inflate(&z, 1 << 20);
            if let Ok(out) = &ours {
                let theirs = decompress_to_vec_with_limit(&z, 1 << 20);
                assert_eq!(
                    theirs.as_ref().ok(),
                    Some(out),
                    "seed {seed}, round {round}: inflated what miniz rejects"
                );
            }
        }
    }

    #[test]
    fn stored_and_fixed_blocks_by_hand() {
        // A stored block "hi" and a fixed-code block with "a" and a copy of length 3.
        let stored = [0b001, 2, 0, !2, !0, b'h', b'i'];
        assert_eq!(inflate(&stored, 10).as_deref(), Ok(&b"hi"[..]));
        assert_eq!(
            inflate(&[0b001, 2, 0, 2, 0, b'h', b'i'], 10),
            Err(InflateError::Invalid("stored block length"))
        );
        assert_eq!(
            inflate(&[0b111], 10),
            Err(InflateError::Invalid("block type 3"))
        );
        assert_eq!(inflate(&[], 10), Err(InflateError::Truncated));
        let z = compress_to_vec(b"aaaa", 1);
        assert_eq!(inflate(&z, 10).as_deref(), Ok(&b"aaaa"[..]));
    }
}
