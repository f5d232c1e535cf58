//! Simulated time: integer milliseconds since the start of a run, and Go-style durations.
//!
//! Time is never a float (design: determinism rules). Durations are written the way Go's
//! `time.ParseDuration` reads them and printed the way Go's `Duration.String` prints them, because
//! every Kubernetes user already reads `1m30s` and `1h0m0s`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An instant of simulated time, in milliseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub fn millis(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating: the end of time is a fine place to stop.
    pub fn after(self, d: Duration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    pub fn since(self, earlier: SimTime) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_secs(s: u64) -> Duration {
        Duration(s * 1000)
    }

    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms)
    }

    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds, rounded down.
    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// Parse a Go duration (`90s`, `5m`, `1h30m`, `1.5s`, `250ms`). Units: `ms`, `s`, `m`, `h`
    /// (cellsim's clock ticks in milliseconds, so `us`/`ns` are rejected unless they add up to
    /// whole milliseconds). Negative durations are rejected: simulated time only moves forward.
    pub fn parse(s: &str) -> Result<Duration, DurationError> {
        let err = |why: &str| DurationError(format!("invalid duration {s:?}: {why}"));
        if s.is_empty() {
            return Err(err("empty string (expected e.g. 90s, 5m, 1h30m)"));
        }
        if s == "0" {
            return Ok(Duration::ZERO);
        }
        if s.starts_with('-') {
            return Err(err("negative durations are not allowed"));
        }
        let rest = s.strip_prefix('+').unwrap_or(s);
        // Accumulate in nanoseconds (u128) so fractions like 1.5ms are exact, then require a
        // whole number of milliseconds.
        let mut total_ns: u128 = 0;
        let bytes = rest.as_bytes();
        let mut i = 0;
        if bytes.is_empty() {
            return Err(err("missing number"));
        }
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let int_part = &rest[start..i];
            let mut frac_part = "";
            if i < bytes.len() && bytes[i] == b'.' {
                i += 1;
                let fs = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                frac_part = &rest[fs..i];
            }
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(err("expected a number"));
            }
            let us = i;
            while i < bytes.len() && !bytes[i].is_ascii_digit() && bytes[i] != b'.' {
                i += 1;
            }
            let unit = &rest[us..i];
            let unit_ns: u128 = match unit {
                "ns" => 1,
                "us" | "µs" | "μs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                "" => return Err(err("missing unit (expected ms, s, m or h)")),
                _ => {
                    return Err(err(&format!(
                        "unknown unit {unit:?} (expected ms, s, m or h)"
                    )))
                }
            };
            let int_val: u128 = if int_part.is_empty() {
                0
            } else {
                int_part.parse().map_err(|_| err("number too large"))?
            };
            let mut part = int_val
                .checked_mul(unit_ns)
                .ok_or_else(|| err("overflow"))?;
            if !frac_part.is_empty() {
                let digits = frac_part.len().min(30) as u32;
                let frac: u128 = frac_part[..digits as usize]
                    .parse()
                    .map_err(|_| err("bad fraction"))?;
                let scale = 10u128.pow(digits);
                part = part
                    .checked_add(frac.checked_mul(unit_ns).ok_or_else(|| err("overflow"))? / scale)
                    .ok_or_else(|| err("overflow"))?;
            }
            total_ns = total_ns.checked_add(part).ok_or_else(|| err("overflow"))?;
        }
        if total_ns % 1_000_000 != 0 {
            return Err(err("must be a whole number of milliseconds"));
        }
        let ms = total_ns / 1_000_000;
        // Go's Duration is an int64 of nanoseconds: about 292 years.
        if ms > (i64::MAX as u128) / 1_000_000 {
            return Err(err("overflow (more than ~292 years)"));
        }
        Ok(Duration(ms as u64))
    }
}

/// A duration that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(pub String);

/// Go's `Duration.String` for a millisecond duration: `0s`, `500ms`, `1.5s`, `1m30s`, `1h0m0s`.
fn write_go_duration(f: &mut fmt::Formatter<'_>, ms: u64) -> fmt::Result {
    if ms == 0 {
        return f.write_str("0s");
    }
    if ms < 1000 {
        return write!(f, "{ms}ms");
    }
    let h = ms / 3_600_000;
    let m = (ms / 60_000) % 60;
    let s = (ms / 1000) % 60;
    let frac = ms % 1000;
    if h > 0 {
        write!(f, "{h}h{m}m")?;
    } else if m > 0 {
        write!(f, "{m}m")?;
    }
    if frac == 0 {
        write!(f, "{s}s")
    } else {
        let mut digits = format!("{frac:03}");
        while digits.ends_with('0') {
            digits.pop();
        }
        write!(f, "{s}.{digits}s")
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_go_duration(f, self.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_go_duration(f, self.0)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for SimTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<u64, &str>) {
        match (Duration::parse(input), expect) {
            (Ok(d), Ok(ms)) => assert_eq!(d.0, ms, "{input}"),
            (Err(e), Err(part)) => assert!(e.0.contains(part), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parses_go_durations() {
        // Rows follow Go's time.ParseDuration tests (src/time/time_test.go parseDurationTests),
        // restricted to millisecond resolution and non-negative values.
        check("0", Ok(0));
        check("5s", Ok(5000));
        check("30s", Ok(30_000));
        check("1478s", Ok(1_478_000));
        check("+5s", Ok(5000));
        check("5.0s", Ok(5000));
        check("5.6s", Ok(5600));
        check("5.s", Ok(5000));
        check(".5s", Ok(500));
        check("1.0s", Ok(1000));
        check("1.004s", Ok(1004));
        check("100ms", Ok(100));
        check("2000us", Ok(2));
        check("2000000ns", Ok(2));
        check("10m", Ok(600_000));
        check("2h", Ok(7_200_000));
        check("1h30m", Ok(5_400_000));
        check("3h30m", Ok(12_600_000));
        check("10.5s4m", Ok(250_500));
        check("1h2m3s4ms", Ok(3_723_004));
        check("39h9m14.425s", Ok(140_954_425));
        check("", Err("empty"));
        check("3", Err("missing unit"));
        check("-5s", Err("negative"));
        check("s", Err("expected a number"));
        check(".s", Err("expected a number"));
        check("1d", Err("unknown unit"));
        check("1.5us", Err("whole number of milliseconds"));
        check("9999999999999999999h", Err("overflow"));
        check("3000000h", Err("overflow"));
    }

    #[test]
    fn prints_like_go() {
        // Go's Duration.String (src/time/time_test.go durationTests).
        for (ms, s) in [
            (0, "0s"),
            (1, "1ms"),
            (999, "999ms"),
            (1000, "1s"),
            (1500, "1.5s"),
            (1001, "1.001s"),
            (90_000, "1m30s"),
            (3_600_000, "1h0m0s"),
            (4_000_000, "1h6m40s"),
            (5_400_500, "1h30m0.5s"),
        ] {
            assert_eq!(Duration(ms).to_string(), s);
            assert_eq!(Duration::parse(s).unwrap().0, ms, "round trip {s}");
        }
    }
}
