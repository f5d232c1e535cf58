//! A small raw DEFLATE encoder (RFC 1951) for share links.
//!
//! Why our own: miniz_oxide's compressor was 15 KB of the playground's module (6.6 KB
//! gzipped) for one caller, the share link (docs/benchmarks.md, "Small dependencies
//! replaced"); its inflater was replaced too, by `cellsim_scenarios::inflate`. The output is
//! raw DEFLATE as before, so links made by either encoder decode.
//!
//! How: LZ77 over a 32 KiB window (RFC 1951 §2.5.1's "any distance up to 32K bytes") with a
//! hash chain of 3-byte prefixes, as zlib's `deflate.c` finds matches (the longest within
//! `MAX_CHAIN` candidates, stop at 258) and its lazy evaluation (`deflate_slow`: a match is
//! kept only if the next position has no longer one). Each block of at most `BLOCK_TOKENS`
//! symbols and `MAX_STORED` bytes is written the cheapest of three ways, counted exactly in
//! bits: dynamic Huffman codes (§3.2.7), the fixed codes (§3.2.6) or stored (§3.2.4). Code
//! lengths come from Huffman's construction, limited to 15 bits (7 for the code-length code)
//! by halving the frequencies until the tree is shallow enough — close to optimal, and a few
//! lines where package-merge would be a few dozen.
//!
//! Deterministic (no hashing by address, no clocks; ties broken by symbol order), no
//! `unsafe`, no panics on any input (every index is bounded by a length checked beside it),
//! and memory bounded: besides the output, the match finder's two tables of 32 Ki positions and one
//! block's symbols (at most `BLOCK_TOKENS`).

/// The match finder's window: `Chains::prev` is indexed by position modulo this.
const WINDOW: usize = 1 << 15;
/// The largest distance back a match may reach: one less than DEFLATE's 32,768, so that a
/// chain entry is never overwritten while it is still inside the window.
const MAX_DIST: usize = WINDOW - 1;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
/// Candidates tried per position (zlib's `max_chain` is 256 at level 7, 4096 at 9). Over the
/// built-in scenarios 4096 saves 29 of 40,648 bytes and is 9× slower on repetitive input
/// (the fuzz test's); 64 costs 50 bytes more.
const MAX_CHAIN: usize = 256;
/// Symbols per block: a block's Huffman codes fit its own statistics.
const BLOCK_TOKENS: usize = 1 << 14;
/// Bytes per block: what one stored block holds (its LEN is 16 bits), so that a block can
/// always be written stored.
const MAX_STORED: usize = 0xFFFF;
const HASH_BITS: u32 = 15;

/// `data` as one raw DEFLATE stream (no zlib or gzip wrapper).
#[cfg_attr(target_arch = "wasm32", optimize(size))]
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = Encoder {
        data,
        tokens: Vec::new(),
        block_start: 0,
        covered: 0,
        out: Bits::default(),
    };
    let mut chains = Chains {
        head: vec![0; 1 << HASH_BITS],
        prev: vec![0; WINDOW],
    };
    // The match found at the previous position, not yet emitted (lazy evaluation).
    let mut pending: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < data.len() {
        let cand = chains.insert(data, i);
        let found = match pending {
            Some((len, _)) if len >= MAX_MATCH => None,
            _ => chains.longest_match(data, i, cand),
        };
        match (pending, found) {
            (Some((len, dist)), found) if found.is_none_or(|(l, _)| l <= len) => {
                // The match at i - 1 stands: emit it and skip what it covers.
                enc.copy(len, dist);
                let end = i - 1 + len;
                for j in i + 1..end {
                    chains.insert(data, j);
                }
                pending = None;
                i = end;
            }
            (Some(_), found) => {
                // A longer match starts here: the previous byte goes out as a literal.
                enc.literal();
                pending = found;
                i += 1;
            }
            (None, Some(m)) => {
                pending = Some(m);
                i += 1;
            }
            (None, None) => {
                enc.literal();
                i += 1;
            }
        }
    }
    if let Some((len, dist)) = pending {
        enc.copy(len, dist);
    }
    enc.block(true);
    enc.out.finish()
}

/// The match finder's hash chains: for each bucket of 3-byte prefixes its newest position,
/// and for each position in the window the one before it in its bucket. Positions are
/// stored plus one: 0 ends a chain.
struct Chains {
    head: Vec<usize>,
    prev: Vec<usize>,
}

impl Chains {
    /// Adds position `i` to its bucket's chain; returns the chain before it (plus one), 0 if
    /// fewer than 3 bytes are left.
    fn insert(&mut self, data: &[u8], i: usize) -> usize {
        let Some(b) = data.get(i..i + MIN_MATCH) else {
            return 0;
        };
        let v = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
        let h = (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize;
        let before = self.head[h];
        self.prev[i % WINDOW] = before;
        self.head[h] = i + 1;
        before
    }

    /// The longest match (length, distance) for position `i` among the chain from `cand`,
    /// if one reaches `MIN_MATCH`; the nearest of equally long ones.
    #[cfg_attr(target_arch = "wasm32", optimize(size))]
    fn longest_match(&self, data: &[u8], i: usize, mut cand: usize) -> Option<(usize, usize)> {
        let max = MAX_MATCH.min(data.len() - i);
        let here = &data[i..i + max];
        let mut best = (MIN_MATCH - 1, 0);
        let mut tries = MAX_CHAIN;
        while cand > 0 && tries > 0 {
            let at = cand - 1;
            let dist = i - at;
            if dist > MAX_DIST {
                break;
            }
            let len = here
                .iter()
                .zip(&data[at..])
                .take_while(|(a, b)| a == b)
                .count();
            if len > best.0 {
                best = (len, dist);
                if len == max {
                    break;
                }
            }
            let next = self.prev[at % WINDOW];
            if next >= cand {
                break;
            }
            cand = next;
            tries -= 1;
        }
        // A 3-byte match far back costs more bits than three literals (zlib's `TOO_FAR`).
        (best.1 > 0 && !(best.0 == MIN_MATCH && best.1 > 4096)).then_some(best)
    }
}

/// A symbol of the LZ77 parse: `dist << 9 | len` for a match, the byte for a literal
/// (`dist` 0).
type Token = u32;

struct Encoder<'a> {
    data: &'a [u8],
    tokens: Vec<Token>,
    /// Where the current block's bytes start, and how far its symbols reach.
    block_start: usize,
    covered: usize,
    out: Bits,
}

impl Encoder<'_> {
    fn literal(&mut self) {
        let b = self.data.get(self.covered).copied().unwrap_or(0);
        self.push(u32::from(b), 1);
    }

    fn copy(&mut self, len: usize, dist: usize) {
        self.push((dist << 9 | len) as u32, len);
    }

    fn push(&mut self, token: Token, bytes: usize) {
        self.tokens.push(token);
        self.covered += bytes;
        // The next symbol covers at most `MAX_MATCH` bytes.
        let full = self.tokens.len() >= BLOCK_TOKENS
            || self.covered - self.block_start > MAX_STORED - MAX_MATCH;
        if full && self.covered < self.data.len() {
            self.block(false);
        }
    }

    /// Writes the pending symbols as one block, the cheapest way.
    #[cfg_attr(target_arch = "wasm32", optimize(size))]
    fn block(&mut self, last: bool) {
        let mut lit = [0u32; 286];
        let mut dst = [0u32; 30];
        lit[256] = 1;
        // The lengths' and distances' extra bits, the same in every kind of block.
        let mut extra = 0;
        for &t in &self.tokens {
            let (l, d) = split(t);
            if d == 0 {
                lit[l] += 1;
            } else {
                let (lc, le) = bucket(l - MIN_MATCH, 2);
                let (dc, de) = bucket(d - 1, 1);
                lit[257 + lc] += 1;
                dst[dc] += 1;
                extra += u64::from(le + de);
            }
        }
        let raw = self.data.get(self.block_start..self.covered).unwrap_or(&[]);

        // Dynamic: the two codes, then the code-length code over their run-length encoding.
        let ll = code_lengths(&lit, 15);
        let dl = code_lengths(&dst, 15);
        let hlit = last_used(&ll).max(257);
        let hdist = last_used(&dl).max(1);
        let mut both = ll[..hlit].to_vec();
        both.extend_from_slice(&dl[..hdist]);
        let rle = run_lengths(&both);
        let mut cfreq = [0u32; 19];
        for &(sym, _) in &rle {
            cfreq[usize::from(sym)] += 1;
        }
        let cl = code_lengths(&cfreq, 7);
        let hclen = CL_ORDER
            .iter()
            .rposition(|&s| cl[usize::from(s)] != 0)
            .map_or(4, |p| (p + 1).max(4));
        let dynamic = 17
            + 3 * hclen as u64
            + cost(&cfreq, &cl)
            + cost(&cfreq, &CL_EXTRA)
            + cost(&lit, &ll)
            + cost(&dst, &dl)
            + extra;
        let (fl, fd) = fixed_lengths();
        let fixed = 3 + cost(&lit, &fl) + cost(&dst, &fd) + extra;
        // Stored: the header, padding to a byte, LEN and NLEN, the bytes.
        let stored = 3 + u64::from(7 - (self.out.n + 2) % 8) + 32 + 8 * raw.len() as u64;

        if stored < dynamic.min(fixed) {
            self.out.put(u32::from(last), 3);
            self.out.align();
            let n = raw.len() as u32;
            self.out.put(n | (!n & 0xFFFF) << 16, 32);
            for &b in raw {
                self.out.put(u32::from(b), 8);
            }
        } else if fixed <= dynamic {
            self.out.put(u32::from(last) | 1 << 1, 3);
            self.symbols(&fl, &fd);
        } else {
            self.out.put(u32::from(last) | 2 << 1, 3);
            self.out.put((hlit - 257) as u32, 5);
            self.out.put((hdist - 1) as u32, 5);
            self.out.put((hclen - 4) as u32, 4);
            for &s in &CL_ORDER[..hclen] {
                self.out.put(u32::from(cl[usize::from(s)]), 3);
            }
            let ccodes = codes(&cl);
            for &(s, x) in &rle {
                let s = usize::from(s);
                self.out.put(ccodes[s], u32::from(cl[s]));
                self.out.put(u32::from(x), u32::from(CL_EXTRA[s]));
            }
            self.symbols(&ll, &dl);
        }
        self.tokens.clear();
        self.block_start = self.covered;
    }

    /// The pending symbols and the end of block, in the codes of these lengths.
    #[cfg_attr(target_arch = "wasm32", optimize(size))]
    fn symbols(&mut self, ll: &[u8], dl: &[u8]) {
        let lc = codes(ll);
        let dc = codes(dl);
        for &t in &self.tokens {
            match split(t) {
                (b, 0) => self.out.put(lc[b], u32::from(ll[b])),
                (l, d) => {
                    let (c, n) = bucket(l - MIN_MATCH, 2);
                    self.out.put(lc[257 + c], u32::from(ll[257 + c]));
                    self.out.put((l - MIN_MATCH) as u32 & ((1 << n) - 1), n);
                    let (c, n) = bucket(d - 1, 1);
                    self.out.put(dc[c], u32::from(dl[c]));
                    self.out.put((d - 1) as u32 & ((1 << n) - 1), n);
                }
            }
        }
        self.out.put(lc[256], u32::from(ll[256]));
    }
}

fn split(t: Token) -> (usize, usize) {
    ((t & 0x1FF) as usize, (t >> 9) as usize)
}

/// The code of a length (`v` = length − 3, `k` = 2) or a distance (`v` = distance − 1,
/// `k` = 1) and its number of extra bits, whose value is `v`'s low bits. RFC 1951 §3.2.5's tables
/// are this arithmetic: after the first 2^(k+1) codes, each doubling of `v` takes 2^k codes.
/// Length 258 has its own code, 285, with no extra bits.
fn bucket(v: usize, k: u32) -> (usize, u32) {
    if k == 2 && v == MAX_MATCH - MIN_MATCH {
        return (28, 0);
    }
    if v < 1 << (k + 1) {
        return (v, 0);
    }
    let e = v.ilog2() - k;
    (((e as usize + 1) << k) | ((v >> e) & ((1 << k) - 1)), e)
}

/// The code-length code's symbols in the order their lengths are sent (§3.2.7).
const CL_ORDER: [u8; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];
/// Extra bits of the code-length symbols: 16 repeats 3–6 times, 17 zeros 3–10, 18 zeros
/// 11–138.
const CL_EXTRA: [u8; 19] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];

/// The fixed codes' lengths (§3.2.6): literals 0–143 in 8 bits, 144–255 in 9, 256–279 in 7,
/// 280–287 in 8; every distance in 5.
fn fixed_lengths() -> ([u8; 288], [u8; 30]) {
    let mut ll = [8u8; 288];
    ll[144..256].fill(9);
    ll[256..280].fill(7);
    (ll, [5; 30])
}

/// Bits the symbols of `freq` take in codes of `lens` (lengths past `lens` cost nothing:
/// their frequency is 0).
fn cost(freq: &[u32], lens: &[u8]) -> u64 {
    freq.iter()
        .zip(lens)
        .map(|(&f, &l)| u64::from(f) * u64::from(l))
        .sum()
}

/// How many leading entries a code needs: up to its last used symbol.
fn last_used(lens: &[u8]) -> usize {
    lens.iter().rposition(|&l| l != 0).map_or(0, |p| p + 1)
}

/// Huffman code lengths for `freq`, none longer than `limit`. Unused symbols get 0; at least
/// two symbols get a code (zlib's `build_tree` does the same: a one-symbol code would be
/// incomplete, which some inflaters refuse).
#[cfg_attr(target_arch = "wasm32", optimize(size))]
fn code_lengths(freq: &[u32], limit: u8) -> Vec<u8> {
    // Room for the largest alphabet's leaves and inner nodes.
    const NODES: usize = 2 * 286;
    let n = freq.len().min(286);
    let mut w = [0u32; NODES];
    w[..n].copy_from_slice(&freq[..n]);
    for s in 0..2 {
        if w.iter().filter(|&&x| x > 0).count() < 2 && w[s] == 0 {
            w[s] = 1;
        }
    }
    loop {
        // Huffman's construction: merge the two lightest roots (the earlier of equal ones
        // first) into a new node until one is left. 0 is no parent: nodes 0 and 1 are leaves.
        let mut weight = w;
        let mut parent = [0usize; NODES];
        let mut next = n;
        loop {
            let (mut a, mut b) = (usize::MAX, usize::MAX);
            for k in 0..next {
                if weight[k] == 0 || parent[k] != 0 {
                    continue;
                }
                if a == usize::MAX || weight[k] < weight[a] {
                    b = a;
                    a = k;
                } else if b == usize::MAX || weight[k] < weight[b] {
                    b = k;
                }
            }
            if b == usize::MAX {
                break;
            }
            weight[next] = weight[a] + weight[b];
            parent[a] = next;
            parent[b] = next;
            next += 1;
        }
        // A node's parent is a later node, so depths fill in from the root down.
        let mut depth = [0u8; NODES];
        for k in (0..next).rev() {
            if parent[k] != 0 {
                depth[k] = depth[parent[k]] + 1;
            }
        }
        if depth.iter().all(|&d| d <= limit) {
            return depth[..n].to_vec();
        }
        // Too deep: flatten the weights and build again (each round halves the spread, so
        // all weights reach 1, a balanced tree, well within 7 bits for 19 symbols).
        for x in w.iter_mut().filter(|x| **x > 0) {
            *x = (*x >> 1).max(1);
        }
    }
}

/// The code lengths as the code-length code's symbols (§3.2.7) and their extra bits' values:
/// 17/18 for runs of zeros, 16 to repeat the length before.
#[cfg_attr(target_arch = "wasm32", optimize(size))]
fn run_lengths(lens: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lens.len() {
        let v = lens[i];
        let run = lens[i..].iter().take_while(|&&l| l == v).count();
        let (sym, r) = if v == 0 && run >= 11 {
            (18, run.min(138))
        } else if v == 0 && run >= 3 {
            (17, run)
        } else if i > 0 && lens[i - 1] == v && run >= 3 {
            (16, run.min(6))
        } else {
            (v, 1)
        };
        let base = match sym {
            18 => 11,
            16 | 17 => 3,
            _ => r,
        };
        out.push((sym, (r - base) as u8));
        i += r;
    }
    out
}

/// The canonical codes of these lengths (§3.2.2), bit-reversed: DEFLATE sends a Huffman code
/// from its most significant bit, into a stream filled from each byte's least significant.
#[cfg_attr(target_arch = "wasm32", optimize(size))]
fn codes(lens: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    for b in 1..16 {
        next[b] = (next[b - 1] + count[b - 1]) << 1;
    }
    lens.iter()
        .map(|&l| {
            let l = usize::from(l);
            if l == 0 {
                return 0;
            }
            next[l] += 1;
            (next[l] - 1).reverse_bits() >> (32 - l)
        })
        .collect()
}

/// The output, filled a bit at a time from each byte's least significant bit (§3.1.1).
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    /// Bits in `acc`, always fewer than 8 between calls.
    n: u32,
}

impl Bits {
    /// The low `n` (at most 32) bits of `v`.
    fn put(&mut self, v: u32, n: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Zero bits up to the next byte boundary.
    fn align(&mut self) {
        self.put(0, (8 - self.n) % 8);
    }

    fn finish(mut self) -> Vec<u8> {
        self.align();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn inflate(z: &[u8]) -> Vec<u8> {
        miniz_oxide::inflate::decompress_to_vec(z).expect("our stream inflates")
    }

    fn round_trip(data: &[u8]) -> Vec<u8> {
        let z = deflate(data);
        assert_eq!(inflate(&z), data, "round trip of {} bytes", data.len());
        z
    }

    /// The project's seeded generator (a failure names its seed).
    type Rng = cellsim_core::rng::SimRng;

    fn below(rng: &mut Rng, n: usize) -> usize {
        rng.below(n as u64) as usize
    }

    #[test]
    fn built_in_scenarios_round_trip_about_as_small_as_miniz_level_9() {
        let (mut ours, mut theirs, mut raw) = (0, 0, 0);
        for (path, text) in cellsim_scenarios::files() {
            let z = round_trip(text.as_bytes());
            let m = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
            println!(
                "{path}: {} bytes, ours {}, miniz 9 {}",
                text.len(),
                z.len(),
                m.len()
            );
            ours += z.len();
            theirs += m.len();
            raw += text.len();
        }
        println!("all {raw} bytes: ours {ours}, miniz level 9 {theirs}");
        assert!(ours * 100 <= theirs * 105, "ours {ours} vs miniz {theirs}");
    }

    #[test]
    fn empty_and_tiny_inputs() {
        // Empty: one final fixed block holding only the end-of-block code, as zlib writes it.
        assert_eq!(round_trip(b""), [0x03, 0x00]);
        for b in [0u8, b'a', 0xFF] {
            let z = round_trip(&[b]);
            assert!(z.len() <= 3, "{z:?}");
        }
        round_trip(b"ab");
        round_trip(b"abc");
        round_trip(b"abcabc");
    }

    #[test]
    fn random_bytes_are_stored_not_expanded() {
        let seed = 0x5EED_0001;
        println!("seed {seed:#x}");
        let mut rng = Rng::new(seed);
        let data: Vec<u8> = (0..300_000).map(|_| rng.next_u64() as u8).collect();
        let z = round_trip(&data);
        // Stored blocks of about 16,384 bytes (a block's symbols), 5 bytes of header each.
        let blocks = data.len().div_ceil(BLOCK_TOKENS);
        assert!(z.len() <= data.len() + 5 * blocks, "{}", z.len());
    }

    #[test]
    fn long_runs_and_repeats() {
        let z = round_trip(&vec![b'x'; 1 << 20]);
        // 258 bytes per match of a few bits, in 17 blocks of at most 64 KiB.
        assert!(z.len() < 1250, "{}", z.len());
        round_trip(&vec![0u8; 258]);
        round_trip(&vec![0u8; 259]);
        round_trip(&vec![0u8; 261]);
        let cycle: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        round_trip(&cycle);
        // Repeats exactly at the window's edge and past it.
        let mut rng = Rng::new(7);
        let block: Vec<u8> = (0..WINDOW).map(|_| rng.next_u64() as u8).collect();
        for shift in [0, 1, 2] {
            let mut data = block[shift..].to_vec();
            data.extend_from_slice(&block);
            round_trip(&data);
        }
    }

    #[test]
    fn seeded_fuzz_round_trips() {
        let seed = 0xF022_u64;
        println!("seed {seed:#x}");
        let mut rng = Rng::new(seed);
        for round in 0..300 {
            // Small alphabets and copies of earlier stretches make matches of every length
            // and distance; some inputs are long enough to span several blocks.
            let len = match round % 10 {
                0 => below(&mut rng, 200_000),
                _ => below(&mut rng, 3000),
            };
            let alphabet = 1 + below(&mut rng, 256);
            let mut data = Vec::with_capacity(len);
            while data.len() < len {
                if data.len() > 3 && below(&mut rng, 3) == 0 {
                    let from = below(&mut rng, data.len());
                    let n = 1 + below(&mut rng, 300);
                    for k in 0..n {
                        data.push(data[from + k % (data.len() - from)]);
                    }
                } else {
                    data.push(below(&mut rng, alphabet) as u8);
                }
            }
            round_trip(&data);
        }
    }

    #[test]
    fn the_output_is_stable() {
        // Links must not change between builds: a fixed text's stream, pinned.
        let text: String = (0..400)
            .map(|i| {
                format!(
                    "- name: pod-{i}\n  node: node-{}\n  cpu: {}m\n",
                    i % 17,
                    (i * 37) % 1000
                )
            })
            .collect();
        let z = round_trip(text.as_bytes());
        let hash = format!("{:x}", sha2::Sha256::digest(&z));
        assert_eq!(
            (z.len(), hash.as_str()),
            (
                2478,
                "558d9ef5faffefb2576e33d4c378a27218c93f76579ea5dca6e61c0907e00bd3"
            )
        );
        // A short text: one fixed-code block (the same bytes zlib's level 9 writes).
        assert_eq!(
            deflate(b"kind: Scenario\n"),
            [203, 206, 204, 75, 177, 82, 8, 78, 78, 205, 75, 44, 202, 204, 231, 2, 0]
        );
    }

    #[test]
    fn code_lengths_are_limited_and_complete() {
        // Fibonacci weights make Huffman's tree as deep as there are symbols.
        let mut fib = vec![1u32, 1];
        while fib.len() < 30 {
            fib.push(fib[fib.len() - 1] + fib[fib.len() - 2]);
        }
        for limit in [7, 15] {
            let lens = code_lengths(&fib, limit);
            assert!(lens.iter().all(|&l| (1..=limit).contains(&l)), "{lens:?}");
            // Kraft's sum is exactly 1: a complete prefix code.
            let kraft: u64 = lens.iter().map(|&l| 1u64 << (15 - l)).sum();
            assert_eq!(kraft, 1 << 15, "{lens:?}");
        }
        // Unlimited, the same weights give the optimal code.
        assert_eq!(code_lengths(&[1, 1, 2, 4], 15), [3, 3, 2, 1]);
        // One used symbol: a second gets a code too.
        assert_eq!(code_lengths(&[0, 0, 5], 15), [1, 0, 1]);
        assert_eq!(code_lengths(&[0, 0, 0], 15), [1, 1, 0]);
    }

    #[test]
    fn length_and_distance_codes_follow_rfc_1951_tables() {
        // §3.2.5: (code, extra bits) for lengths 3..=258 and distances 1..=32768, with the
        // tables' bases reproduced from the extra bits.
        let mut base = 3;
        for code in 0..29 {
            let extra = if code < 8 || code == 28 {
                0
            } else {
                (code as u32 - 4) / 4
            };
            let base_here = if code == 28 { 258 } else { base };
            assert_eq!(
                bucket(base_here - 3, 2),
                (code, extra),
                "length {base_here}"
            );
            if code < 28 {
                // The last code's range stops short of 258, which has code 285.
                let top = (base_here - 3 + (1 << extra) - 1).min(254);
                assert_eq!(bucket(top, 2).0, code, "length {}", top + 3);
            }
            base += 1 << extra;
        }
        let mut base = 1;
        for code in 0..30 {
            let extra = if code < 4 { 0 } else { (code as u32 - 2) / 2 };
            assert_eq!(bucket(base - 1, 1), (code, extra), "distance {base}");
            assert_eq!(bucket(base - 1 + (1 << extra) - 1, 1).0, code);
            base += 1 << extra;
        }
        assert_eq!(base, 32769);
    }
}
