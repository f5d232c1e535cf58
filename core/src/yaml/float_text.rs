//! Decimal text to the nearest `f64` (round half to even), exactly as `str::parse::<f64>` and
//! Go's `strconv.ParseFloat` give it, without std's Eisel–Lemire tables.
//!
//! Why: std's parser carries a 10 KB table of 128-bit powers of five, data that gzip cannot
//! shrink, about 9 KB of the playground's gzipped wasm (docs/benchmarks.md, "Session 11").
//! Scenario floats are short (`0.5`, `1.5e3`), so almost every one takes Clinger's fast path
//! (at most 15 digits and a power of ten up to 10^22: one exactly rounded multiplication or
//! division); the rest go through exact big-integer arithmetic, slower but rare. The tests
//! compare every result bit for bit with std's parser over edge cases and seeded random texts.
//!
//! The input grammar is the YAML scalar module's number shapes: an optional sign, digits with
//! at most one `.` (at least one digit), then optionally `e`/`E`, an optional sign and digits.

/// Significant digits kept; beyond them only "some nonzero digit follows" is (as in Go's and
/// std's slow paths): enough to round every input correctly.
const MAX_DIGITS: usize = 800;

/// `text` as the nearest `f64`; `None` when it does not match the grammar above.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let value = parse_unsigned(rest)?;
    Some(if negative { -value } else { value })
}

fn parse_unsigned(s: &[u8]) -> Option<f64> {
    let mut digits: Vec<u8> = Vec::new();
    let mut truncated = false;
    // The decimal exponent of the digit after the last kept one: value = 0.DIGITS × 10^point.
    let mut point: i64 = 0;
    let mut seen_dot = false;
    let mut any_digit = false;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            c @ b'0'..=b'9' => {
                any_digit = true;
                let d = c - b'0';
                if digits.is_empty() && d == 0 {
                    // A leading zero: only moves the point when after the `.`.
                    if seen_dot {
                        point -= 1;
                    }
                } else {
                    if digits.len() < MAX_DIGITS {
                        digits.push(d);
                    } else if d != 0 {
                        truncated = true;
                    }
                    if !seen_dot {
                        point += 1;
                    }
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    if !any_digit {
        return None;
    }
    let mut exp: i64 = 0;
    if i < s.len() {
        let e = &s[i + 1..];
        let (neg, e) = match e.first() {
            Some(b'-') => (true, &e[1..]),
            Some(b'+') => (false, &e[1..]),
            _ => (false, e),
        };
        if e.is_empty() {
            return None;
        }
        for &c in e {
            if !c.is_ascii_digit() {
                return None;
            }
            // Saturate: anything past ±10^6 is 0 or infinity anyway.
            exp = (exp * 10 + i64::from(c - b'0')).min(1_000_000);
        }
        if neg {
            exp = -exp;
        }
    }
    // Trailing zeros of the kept digits carry no value.
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        return Some(0.0);
    }
    let point = point + exp;
    // value is in [10^(point-1), 10^point).
    if point > 310 {
        return Some(f64::INFINITY);
    }
    if point < -324 {
        // Below 10^-325: less than half the smallest subnormal (4.9e-324).
        return Some(0.0);
    }
    // value = D × 10^e10, D the kept digits as an integer.
    let e10 = point - digits.len() as i64;
    if !truncated && digits.len() <= 15 && (-22..=22).contains(&e10) {
        let d = digits.iter().fold(0u64, |acc, &x| acc * 10 + u64::from(x)) as f64;
        let p = POW10[e10.unsigned_abs() as usize];
        return Some(if e10 >= 0 { d * p } else { d / p });
    }
    let mut n = Big::from_digits(&digits);
    if e10 >= 0 {
        n.mul_pow10(e10 as u32);
        Some(round(&n, 0, truncated))
    } else {
        let mut den = Big::from_u32(1);
        den.mul_pow10(e10.unsigned_abs() as u32);
        // Enough quotient bits for a 53-bit mantissa, its rounding bit and more.
        let k = (den.bits() + 56).saturating_sub(n.bits());
        n.shl(k);
        let (q, exact) = n.div_rem(&den);
        Some(round(&q, -(k as i64), truncated || !exact))
    }
}

/// 10^0 ..= 10^22, all exact in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The `f64` nearest to `n × 2^exp2` (plus a little more when `sticky`: some nonzero part below
/// `n` was cut off), ties to even, with subnormals and overflow to infinity.
fn round(n: &Big, exp2: i64, sticky: bool) -> f64 {
    let b = n.bits() as i64;
    if b == 0 {
        return 0.0;
    }
    // The binary exponent of the leading bit.
    let mut e = b - 1 + exp2;
    if e > 1023 {
        return f64::INFINITY;
    }
    // Mantissa bits the result can hold: 53, fewer for a subnormal (possibly none).
    let keep = 53 - (-1022 - e).max(0);
    let drop = b - keep;
    let mut m = if drop <= 0 {
        n.low_u64() << (-drop)
    } else {
        let m = n.bits_from(drop as u64, keep.max(0) as u32);
        let half = n.bit(drop as u64 - 1);
        let rest = sticky || n.any_below(drop as u64 - 1);
        if half && (rest || m & 1 == 1) {
            m + 1
        } else {
            m
        }
    };
    if keep < 53 {
        // Subnormal: m counts units of 2^-1074; a carry into bit 52 is the smallest normal.
        return f64::from_bits(m);
    }
    if m == 1 << 53 {
        m >>= 1;
        e += 1;
        if e > 1023 {
            return f64::INFINITY;
        }
    }
    f64::from_bits(((e + 1023) as u64) << 52 | (m & ((1 << 52) - 1)))
}

/// An unsigned big integer, little-endian 32-bit limbs, no leading zero limbs.
#[derive(Clone, Debug)]
struct Big(Vec<u32>);

impl Big {
    fn from_u32(v: u32) -> Big {
        let mut b = Big(vec![v]);
        b.trim();
        b
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut b = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let mut scale = 1u32;
            let mut add = 0u32;
            for &d in chunk {
                scale *= 10;
                add = add * 10 + u32::from(d);
            }
            b.mul_add(scale, add);
        }
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// self = self × m + a.
    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut e: u32) {
        while e >= 9 {
            self.mul_add(1_000_000_000, 0);
            e -= 9;
        }
        self.mul_add(10u32.pow(e), 0);
    }

    fn bits(&self) -> u64 {
        match self.0.last() {
            Some(&top) => self.0.len() as u64 * 32 - u64::from(top.leading_zeros()),
            None => 0,
        }
    }

    fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        self.0.get(limb).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    /// Whether any bit below `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        self.0.iter().take(limb).any(|&l| l != 0)
            || self
                .0
                .get(limb)
                .is_some_and(|l| l & ((1u32 << (i % 32)) - 1) != 0)
    }

    /// `count` (≤ 64) bits starting at bit `from`.
    fn bits_from(&self, from: u64, count: u32) -> u64 {
        (0..u64::from(count)).fold(0, |acc, j| acc | u64::from(self.bit(from + j)) << j)
    }

    /// The value, when it has at most 64 bits.
    fn low_u64(&self) -> u64 {
        self.bits_from(0, 64)
    }

    fn shl(&mut self, k: u64) {
        let limbs = (k / 32) as usize;
        let bits = (k % 32) as u32;
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = *limb;
                *limb = v << bits | carry;
                carry = v >> (32 - bits);
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
        self.trim();
    }

    /// (self / d, whether it divides exactly), by shift and subtract: only the rare slow path
    /// uses it.
    fn div_rem(&self, d: &Big) -> (Big, bool) {
        let mut q = Big(vec![0; self.0.len()]);
        let mut r = Big(Vec::new());
        for i in (0..self.bits()).rev() {
            r.shl(1);
            if self.bit(i) {
                if r.0.is_empty() {
                    r.0.push(1);
                } else {
                    r.0[0] |= 1;
                }
            }
            if r.ge(d) {
                r.sub(d);
                q.0[(i / 32) as usize] |= 1 << (i % 32);
            }
        }
        q.trim();
        let exact = r.0.is_empty();
        (q, exact)
    }

    fn ge(&self, other: &Big) -> bool {
        if self.0.len() != other.0.len() {
            return self.0.len() > other.0.len();
        }
        for (a, b) in self.0.iter().rev().zip(other.0.iter().rev()) {
            if a != b {
                return a > b;
            }
        }
        true
    }

    /// self -= other (self ≥ other).
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            *limb = v.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }
}

#[cfg(test)]
mod tests {
    use super::parse_f64;
    use rand_core::{Rng, SeedableRng};

    fn same(text: &str) {
        let want = text.parse::<f64>().expect("std parses it");
        let got = parse_f64(text).unwrap_or_else(|| panic!("{text}: not parsed"));
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "{text}: {got:e} != std's {want:e}"
        );
    }

    #[test]
    fn edge_cases_match_std() {
        let long_half = "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324";
        let just_over_half = format!("{}1e-324", &long_half[..long_half.len() - 5]);
        let cases = [
            "0",
            "0.0",
            "-0.0",
            "+0",
            "00000",
            "0e5",
            "0.000e-999",
            "1",
            "-1",
            "+1.5",
            "1.",
            ".5",
            "0.1",
            "0.2",
            "0.3",
            "123.456",
            "1e23",
            "1E23",
            "9007199254740993",
            "9007199254740992.5",
            "9007199254740993.0000000001",
            "1e22",
            "1e-22",
            "123456789012345",
            "1234567890123456",
            "12345678901234567890",
            "3.141592653589793238",
            "8.988465674311579e307",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e308",
            "1e309",
            "1e400",
            "1e1000000000",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "5e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1e-320",
            "1e-323",
            "3e-324",
            "1e-400",
            "1e-1000000000",
            "0.000000000000000000000000000000000000001",
            "1_0",
            long_half,
            &just_over_half,
        ];
        for text in cases {
            if text.parse::<f64>().is_ok() {
                same(text);
            } else {
                assert_eq!(parse_f64(text), None, "{text}");
            }
        }
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "1x", "--1", "inf", "nan", "0x10",
        ] {
            assert_eq!(parse_f64(bad), None, "{bad}");
        }
    }

    #[test]
    fn random_texts_match_std() {
        let seed: u64 = std::env::var("CELLSIM_FLOAT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20261124);
        println!("seed {seed} (CELLSIM_FLOAT_SEED to repeat)");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        // A number in lo..hi.
        let mut range = |lo: i64, hi: i64| lo + (rng.next_u64() % (hi - lo) as u64) as i64;
        for round in 0..60_000 {
            let len = if round % 50 == 0 {
                range(16, 900)
            } else {
                range(1, 24)
            };
            let mut text = String::new();
            if range(0, 10) < 3 {
                text.push('-');
            }
            let dot = range(0, len + 1);
            for i in 0..len {
                if i == dot && range(0, 10) < 7 {
                    text.push('.');
                }
                // Runs of 9s and 0s reach the rounding boundaries.
                let d = match range(0, 10) {
                    0 => 0,
                    1 => 9,
                    _ => range(0, 10),
                };
                text.push(char::from(b'0' + d as u8));
            }
            if range(0, 10) < 6 {
                let e = if range(0, 2) == 0 {
                    range(-30, 30)
                } else {
                    range(-360, 330)
                };
                text.push_str(&format!("e{e}"));
            }
            let want = text.parse::<f64>().map(f64::to_bits).ok();
            let got = parse_f64(&text).map(f64::to_bits);
            assert_eq!(got, want, "seed {seed}, round {round}: {text}");
        }
    }
}
