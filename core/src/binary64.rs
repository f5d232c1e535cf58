//! IEEE-754 binary64 arithmetic carried out exactly in integers.
//!
//! Some controller decisions upstream are made in Go `float64` — the HPA's usage ratio and
//! `math.Ceil(ratio * pods)`, the tolerance band `1.0 - 0.1 <= ratio <= 1.0 + 0.1`, the
//! Deployment controller's `integer.RoundToInt32(float64(a) / float64(b))`. Rounding makes
//! those results differ from exact rational arithmetic (`ceil(7/3 * 27)` is 64 in float64, 63
//! exactly), so cellsim reproduces the float64 results bit for bit instead: [`F64`] holds a
//! finite binary64 value as `±mantissa × 2^exponent` and every operation rounds to nearest,
//! ties to even, exactly as the hardware does. No `f32`/`f64` is involved, so the results are the
//! same on every platform (invariant 1).
//!
//! Only what the controllers need is modelled: finite values of moderate magnitude (no
//! subnormals, infinities or NaN — the inputs are integers and ratios of integers).

use std::cmp::Ordering;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// Bits of a binary64 significand, the implicit leading one included.
const PRECISION: u32 = 53;

/// A finite binary64 value: `(-1)^neg × mant × 2^exp`, with `2^52 <= mant < 2^53`, or zero
/// (`mant == 0`, `neg == false`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct F64 {
    neg: bool,
    mant: u64,
    exp: i32,
}

impl F64 {
    pub const ZERO: F64 = F64 {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// Go `float64(n)`.
    pub fn from_i64(n: i64) -> F64 {
        round(n < 0, u128::from(n.unsigned_abs()), 0, false)
    }

    /// The float64 nearest to `num / den` (a Go constant such as `0.1` is `from_ratio(1, 10)`).
    pub fn from_ratio(num: i64, den: i64) -> F64 {
        F64::from_i64(num) / F64::from_i64(den)
    }

    pub fn is_zero(self) -> bool {
        self.mant == 0
    }

    /// Go `math.Ceil(x)` converted to an integer (`int64(math.Ceil(x))`).
    pub fn ceil(self) -> i64 {
        let (whole, frac) = self.split();
        if self.neg {
            -whole
        } else {
            whole + i64::from(frac)
        }
    }

    /// Go's conversion `int64(x)`: truncation toward zero.
    pub fn trunc(self) -> i64 {
        let (whole, _) = self.split();
        if self.neg {
            -whole
        } else {
            whole
        }
    }

    /// The magnitude's integer part and whether a fraction is left.
    fn split(self) -> (i64, bool) {
        if self.is_zero() {
            return (0, false);
        }
        if self.exp >= 0 {
            let v = u128::from(self.mant) << self.exp.min(64) as u32;
            return (i64::try_from(v).unwrap_or(i64::MAX), false);
        }
        let s = (-self.exp) as u32;
        if s >= 64 {
            return (0, true);
        }
        let whole = self.mant >> s;
        let frac = self.mant & ((1u64 << s) - 1) != 0;
        (whole as i64, frac)
    }
}

/// `self / other`, correctly rounded. Division by zero is not modelled: it returns zero
/// (callers check divisors first, as upstream's callers do).
impl Div for F64 {
    type Output = F64;

    fn div(self, other: F64) -> F64 {
        if self.is_zero() || other.is_zero() {
            return F64::ZERO;
        }
        // mant < 2^53, so the shifted dividend fits in 127 bits and the quotient keeps at least
        // 74 significant bits: enough for rounding, with the remainder as the sticky bit.
        let num = u128::from(self.mant) << 74;
        let den = u128::from(other.mant);
        round(
            self.neg != other.neg,
            num / den,
            self.exp - other.exp - 74,
            num % den != 0,
        )
    }
}

/// `self * other`, correctly rounded.
impl Mul for F64 {
    type Output = F64;

    fn mul(self, other: F64) -> F64 {
        if self.is_zero() || other.is_zero() {
            return F64::ZERO;
        }
        round(
            self.neg != other.neg,
            u128::from(self.mant) * u128::from(other.mant),
            self.exp + other.exp,
            false,
        )
    }
}

/// `self + other`, correctly rounded.
impl Add for F64 {
    type Output = F64;

    fn add(self, other: F64) -> F64 {
        if self.is_zero() {
            return other;
        }
        if other.is_zero() {
            return self;
        }
        // Order by magnitude: x is the larger.
        let (x, y) = if cmp_magnitude(self, other) == Ordering::Less {
            (other, self)
        } else {
            (self, other)
        };
        let d = (x.exp - y.exp) as u32; // >= 0: x has the larger magnitude and both are normal
        let xm = u128::from(x.mant);
        let ym = u128::from(y.mant);
        if x.neg == y.neg {
            if d <= 64 {
                return round(x.neg, (xm << d) + ym, y.exp, false);
            }
            // y only contributes below the rounding point: keep its bits as far as they fit,
            // the rest as the sticky bit.
            let (part, lost) = shifted(ym, d - 64);
            return round(x.neg, (xm << 64) + part, x.exp - 64, lost);
        }
        if d <= 64 {
            let m = (xm << d) - ym;
            if m == 0 {
                return F64::ZERO;
            }
            return round(x.neg, m, y.exp, false);
        }
        // x - y with y's low bits lost: borrow one unit and keep the (positive) rest as sticky.
        let (part, lost) = shifted(ym, d - 64);
        let m = (xm << 64) - part - u128::from(lost);
        round(x.neg, m, x.exp - 64, lost)
    }
}

impl Sub for F64 {
    type Output = F64;

    fn sub(self, other: F64) -> F64 {
        self + -other
    }
}

impl Neg for F64 {
    type Output = F64;

    fn neg(self) -> F64 {
        if self.is_zero() {
            self
        } else {
            F64 {
                neg: !self.neg,
                ..self
            }
        }
    }
}

impl PartialOrd for F64 {
    fn partial_cmp(&self, other: &F64) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for F64 {
    fn cmp(&self, other: &F64) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => {
                return if other.neg {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, true) => {
                return if self.neg {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            _ => {}
        }
        match (self.neg, other.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => cmp_magnitude(*self, *other),
            (true, true) => cmp_magnitude(*other, *self),
        }
    }
}

/// Compare magnitudes of two non-zero normalized values.
fn cmp_magnitude(a: F64, b: F64) -> Ordering {
    (a.exp, a.mant).cmp(&(b.exp, b.mant))
}

/// `m >> s` and whether any bit shifted out was set (for shifts of any size).
fn shifted(m: u128, s: u32) -> (u128, bool) {
    if s >= 128 {
        (0, m != 0)
    } else {
        (m >> s, m & ((1u128 << s) - 1) != 0)
    }
}

/// Round the exact value `(-1)^neg × (m + ε) × 2^e` — where `0 < ε < 1` when `sticky` — to 53
/// bits, to nearest, ties to even. Callers pass at least 55 bits whenever `sticky` is set.
fn round(neg: bool, m: u128, e: i32, sticky: bool) -> F64 {
    if m == 0 {
        return F64::ZERO;
    }
    let bits = 128 - m.leading_zeros();
    if bits <= PRECISION {
        let up = PRECISION - bits;
        return F64 {
            neg,
            mant: (m << up) as u64,
            exp: e - up as i32,
        };
    }
    let shift = bits - PRECISION;
    let mut keep = (m >> shift) as u64;
    let rem = m & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let round_up = rem > half || (rem == half && (sticky || keep & 1 == 1));
    let mut exp = e + shift as i32;
    if round_up {
        keep += 1;
        if keep == 1u64 << PRECISION {
            keep >>= 1;
            exp += 1;
        }
    }
    F64 {
        neg,
        mant: keep,
        exp,
    }
}

#[cfg(test)]
mod tests {
    //! The emulation against the platform's own float64 (tests may use floats; decisions never
    //! do): every operation on many values must give the very same bits.
    use super::*;

    fn to_native(x: F64) -> f64 {
        let v = x.mant as f64 * 2f64.powi(x.exp);
        if x.neg {
            -v
        } else {
            v
        }
    }

    /// A deterministic stream of test integers (xorshift), covering small and large values.
    fn ints(n: usize) -> Vec<i64> {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut out = vec![
            0,
            1,
            2,
            3,
            7,
            10,
            27,
            100,
            1000,
            (1 << 53) + 1,
            i64::MAX / 3,
        ];
        while out.len() < n {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let bits = (s % 62) as u32 + 1;
            let v = (s >> 2) as i64 & ((1i64 << bits) - 1);
            out.push(if s & 1 == 0 { v } else { -v });
        }
        out
    }

    #[test]
    fn operations_match_native_float64_bit_for_bit() {
        let xs = ints(160);
        for &a in &xs {
            for &b in &xs {
                let (fa, fb) = (F64::from_i64(a), F64::from_i64(b));
                let (na, nb) = (a as f64, b as f64);
                assert_eq!(to_native(fa), na, "from {a}");
                assert_eq!(to_native(fa * fb), na * nb, "{a} * {b}");
                assert_eq!(to_native(fa + fb), na + nb, "{a} + {b}");
                assert_eq!(to_native(fa - fb), na - nb, "{a} - {b}");
                if b != 0 {
                    let q = fa / fb;
                    assert_eq!(to_native(q), na / nb, "{a} / {b}");
                    let r = q * F64::from_i64(a % 97);
                    assert_eq!(to_native(r), (na / nb) * ((a % 97) as f64));
                    assert_eq!(q.ceil(), (na / nb).ceil() as i64, "ceil {a}/{b}");
                    assert_eq!(q.trunc(), (na / nb) as i64, "trunc {a}/{b}");
                    let s = q + F64::from_ratio(1, 10);
                    assert_eq!(to_native(s), na / nb + 0.1, "{a}/{b} + 0.1");
                    assert_eq!(fa.cmp(&fb), na.partial_cmp(&nb).unwrap());
                }
            }
        }
    }

    #[test]
    fn the_cases_that_make_exact_arithmetic_wrong() {
        // float64(7)/float64(3)*27 is 63.00000000000001: math.Ceil gives 64 (exactly: 63).
        let r = F64::from_ratio(7, 3) * F64::from_i64(27);
        assert_eq!(r.ceil(), 64);
        // Go's 1.0-0.1 and 1.0+0.1 are the doubles nearest 0.9 and 1.1.
        let tol = F64::from_ratio(1, 10);
        let one = F64::from_i64(1);
        assert_eq!(one - tol, F64::from_ratio(9, 10));
        assert_eq!(one + tol, F64::from_ratio(11, 10));
        assert_eq!(to_native(one - tol), 1.0 - 0.1);
    }
}
