//! Cron schedules as the CronJob controller reads them, and the civil-date arithmetic they need.
//!
//! Upstream: kube-controller-manager parses `spec.schedule` with robfig/cron v3
//! `cron.ParseStandard` (five fields, names, `*`/`?`, ranges, steps, lists, the `@yearly` ...
//! `@hourly` descriptors and `@every DURATION`) and computes run times with
//! `SpecSchedule.Next` (cron/v3 spec.go). Both are reimplemented here over integer Unix time in
//! UTC (cellsim supports only the UTC time zone), with our own proleptic-Gregorian date math
//! (Howard Hinnant's `days_from_civil` / `civil_from_days`), so results are exact and
//! deterministic on every platform.
//!
//! The simulated clock starts at [`EPOCH_UNIX_MS`] (2026-01-01T00:00:00Z): simulated time `t`
//! is Unix time `EPOCH_UNIX_MS + t`.

/// Unix time (ms) of simulated time 0: 2026-01-01T00:00:00Z, a Thursday.
pub const EPOCH_UNIX_MS: i64 = 1_767_225_600_000;

/// robfig/cron `starBit`: the field was written `*` or `?` (matters for day-of-month /
/// day-of-week matching).
const STAR_BIT: u64 = 1 << 63;

/// A field's bounds and names (cron/v3 parser.go `bounds`).
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// cron/v3 `SpecSchedule` (the seconds field of a standard spec is always 0).
    Spec {
        minute: u64,
        hour: u64,
        dom: u64,
        month: u64,
        dow: u64,
    },
    /// cron/v3 `ConstantDelaySchedule` (`@every 90s`): whole seconds, at least 1.
    Every { secs: i64 },
}

/// Why a schedule does not parse; the text is robfig/cron's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(pub String);

fn err<T>(msg: String) -> Result<T, CronError> {
    Err(CronError(msg))
}

/// `cron.ParseStandard`: five fields (minute, hour, day of month, month, day of week) or a
/// descriptor. A `TZ=`/`CRON_TZ=` prefix is not accepted here: the CronJob validation rejects
/// it (`timeZone` is the field for that).
pub fn parse_standard(spec: &str) -> Result<Schedule, CronError> {
    if spec.is_empty() {
        return err("empty spec string".into());
    }
    if spec.starts_with('@') {
        return parse_descriptor(spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    Ok(Schedule::Spec {
        minute: get_field(fields[0], &MINUTES)?,
        hour: get_field(fields[1], &HOURS)?,
        dom: get_field(fields[2], &DOM)?,
        month: get_field(fields[3], &MONTHS)?,
        dow: get_field(fields[4], &DOW)?,
    })
}

fn all(b: &Bounds) -> u64 {
    bits(b.min, b.max, 1) | STAR_BIT
}

fn parse_descriptor(d: &str) -> Result<Schedule, CronError> {
    let first = |b: &Bounds| 1u64 << b.min;
    let s = |minute, hour, dom, month, dow| {
        Ok(Schedule::Spec {
            minute,
            hour,
            dom,
            month,
            dow,
        })
    };
    match d {
        "@yearly" | "@annually" => s(
            first(&MINUTES),
            first(&HOURS),
            first(&DOM),
            first(&MONTHS),
            all(&DOW),
        ),
        "@monthly" => s(
            first(&MINUTES),
            first(&HOURS),
            first(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        "@weekly" => s(
            first(&MINUTES),
            first(&HOURS),
            all(&DOM),
            all(&MONTHS),
            first(&DOW),
        ),
        "@daily" | "@midnight" => s(
            first(&MINUTES),
            first(&HOURS),
            all(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        "@hourly" => s(
            first(&MINUTES),
            all(&HOURS),
            all(&DOM),
            all(&MONTHS),
            all(&DOW),
        ),
        _ => match d.strip_prefix("@every ") {
            Some(dur) => {
                let ms = crate::time::Duration::parse(dur)
                    .map_err(|e| CronError(format!("failed to parse duration {d}: {e}")))?
                    .as_millis() as i64;
                // cron.Every: at least one second, rounded down to whole seconds.
                Ok(Schedule::Every {
                    secs: (ms / 1000).max(1),
                })
            }
            None => err(format!("unrecognized descriptor: {d}")),
        },
    }
}

/// cron/v3 `getField`: comma-separated ranges, empty pieces skipped (`strings.FieldsFunc`).
fn get_field(field: &str, b: &Bounds) -> Result<u64, CronError> {
    let mut out = 0;
    for expr in field.split(',').filter(|e| !e.is_empty()) {
        out |= get_range(expr, b)?;
    }
    Ok(out)
}

/// cron/v3 `getRange`: `*`, `?`, `N`, `N-M`, each optionally `/step`; `N/step` means
/// `N-max/step`; a step above 1 drops the star bit.
fn get_range(expr: &str, b: &Bounds) -> Result<u64, CronError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        start = b.min;
        end = b.max;
        extra = STAR_BIT;
    } else {
        start = parse_int_or_name(low_and_high[0], b)?;
        end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], b)?,
            _ => return err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(bits(start, end, step) | extra)
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u32, CronError> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    must_parse_int(expr)
}

/// cron/v3 `mustParseInt` over Go's `strconv.Atoi` (an optional sign, decimal digits).
fn must_parse_int(expr: &str) -> Result<u32, CronError> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: invalid syntax"
        ));
    }
    let n: i64 = match expr.parse() {
        Ok(n) => n,
        Err(_) => {
            return err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: value out of range"
        ))
        }
    };
    if n < 0 {
        return err(format!("negative number ({n}) not allowed: {expr}"));
    }
    // Bounds are checked by the caller; anything above u32 is out of every range anyway.
    Ok(n.min(u32::MAX as i64) as u32)
}

/// cron/v3 `getBits`: bits `min..=max` every `step`.
fn bits(min: u32, max: u32, step: u32) -> u64 {
    let mut out = 0u64;
    let mut i = min;
    while i <= max && i < 64 {
        out |= 1 << i;
        i += step;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Civil dates (UTC, proleptic Gregorian), in integer seconds since the Unix epoch.
// ---------------------------------------------------------------------------------------------

/// A broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday
    pub weekday: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
    }
}

/// Go's `time.Date(y, m, d, h, mi, s, 0, time.UTC)`: out-of-range values normalize (month 13
/// is January of the next year, day 0 the last day of the previous month).
pub fn date(y: i64, m: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
    let m0 = m - 1;
    let y = y + m0.div_euclid(12);
    let m = m0.rem_euclid(12) as u32 + 1;
    (days_from_civil(y, m, 1) + d - 1) * 86_400 + h * 3600 + mi * 60 + s
}

/// RFC 3339 in UTC (`2026-01-01T00:05:00Z`), as Go's `time.RFC3339` prints a UTC time.
pub fn rfc3339(secs: i64) -> String {
    let c = civil(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

impl Schedule {
    /// The first activation strictly after `t_ms` (Unix milliseconds), in Unix milliseconds;
    /// `None` where robfig/cron returns the zero time (nothing within five years).
    pub fn next(&self, t_ms: i64) -> Option<i64> {
        match *self {
            // ConstantDelaySchedule.Next: t + delay - t.Nanosecond().
            Schedule::Every { secs } => Some((t_ms.div_euclid(1000) + secs) * 1000),
            Schedule::Spec {
                minute,
                hour,
                dom,
                month,
                dow,
            } => next_spec(minute, hour, dom, month, dow, t_ms).map(|s| s * 1000),
        }
    }
}

/// cron/v3 `SpecSchedule.Next` in UTC, transcribed loop for loop (the `goto WRAP` is the
/// labelled `continue`); the seconds field of a standard schedule is `{0}`.
fn next_spec(minute: u64, hour: u64, dom: u64, month: u64, dow: u64, t_ms: i64) -> Option<i64> {
    const SECOND: u64 = 1;
    // Start at the earliest possible time (the upcoming second).
    let mut t = t_ms.div_euclid(1000) + 1;
    let mut added = false;
    let year_limit = civil(t).year + 5;
    let day_matches = |c: &Civil| {
        let dom_match = (1u64 << c.day) & dom > 0;
        let dow_match = (1u64 << c.weekday) & dow > 0;
        if dom & STAR_BIT > 0 || dow & STAR_BIT > 0 {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
    };
    'wrap: loop {
        let mut c = civil(t);
        if c.year > year_limit {
            return None;
        }
        while (1u64 << c.month) & month == 0 {
            if !added {
                added = true;
                t = date(c.year, c.month as i64, 1, 0, 0, 0);
            }
            let cc = civil(t);
            // t.AddDate(0, 1, 0)
            t = date(
                cc.year,
                cc.month as i64 + 1,
                cc.day as i64,
                cc.hour as i64,
                cc.minute as i64,
                cc.second as i64,
            );
            c = civil(t);
            if c.month == 1 {
                continue 'wrap;
            }
        }
        while !day_matches(&c) {
            if !added {
                added = true;
                t = date(c.year, c.month as i64, c.day as i64, 0, 0, 0);
            }
            let cc = civil(t);
            // t.AddDate(0, 0, 1)
            t = date(
                cc.year,
                cc.month as i64,
                cc.day as i64 + 1,
                cc.hour as i64,
                cc.minute as i64,
                cc.second as i64,
            );
            c = civil(t);
            if c.day == 1 {
                continue 'wrap;
            }
        }
        while (1u64 << c.hour) & hour == 0 {
            if !added {
                added = true;
                t = date(c.year, c.month as i64, c.day as i64, c.hour as i64, 0, 0);
            }
            t += 3600;
            c = civil(t);
            if c.hour == 0 {
                continue 'wrap;
            }
        }
        while (1u64 << c.minute) & minute == 0 {
            if !added {
                added = true;
                t -= t.rem_euclid(60);
            }
            t += 60;
            c = civil(t);
            if c.minute == 0 {
                continue 'wrap;
            }
        }
        while (1u64 << c.second) & SECOND == 0 {
            if !added {
                added = true;
            }
            t += 1;
            c = civil(t);
            if c.second == 0 {
                continue 'wrap;
            }
        }
        return Some(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Jul 9 15:00 2012" style (Go's test layout, without the weekday), UTC, in seconds.
    fn at(s: &str) -> i64 {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let month = MONTHS
            .names
            .iter()
            .find(|(n, _)| *n == parts[0].to_ascii_lowercase())
            .unwrap()
            .1;
        let day: i64 = parts[1].parse().unwrap();
        let hms: Vec<i64> = parts[2].split(':').map(|p| p.parse().unwrap()).collect();
        let year: i64 = parts[3].parse().unwrap();
        date(
            year,
            month as i64,
            day,
            hms[0],
            hms[1],
            *hms.get(2).unwrap_or(&0),
        )
    }

    #[test]
    fn civil_math() {
        assert_eq!(date(2026, 1, 1, 0, 0, 0) * 1000, EPOCH_UNIX_MS);
        assert_eq!(
            civil(EPOCH_UNIX_MS / 1000).weekday,
            4,
            "2026-01-01 is a Thursday"
        );
        assert_eq!(civil(0).weekday, 4, "1970-01-01 was a Thursday");
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        // Normalization like Go's time.Date.
        assert_eq!(date(2012, 13, 1, 0, 0, 0), date(2013, 1, 1, 0, 0, 0));
        assert_eq!(date(2013, 1, 31 + 29, 0, 0, 0), date(2013, 3, 1, 0, 0, 0));
        assert_eq!(rfc3339(EPOCH_UNIX_MS / 1000 + 300), "2026-01-01T00:05:00Z");
        for d in -800_000..800_000i64 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    /// robfig/cron v3 spec_test.go TestActivation (the rows without a seconds field): the
    /// schedule activates at `time` exactly when `Next(time - 1s) == time`.
    #[test]
    fn upstream_activation() {
        let rows = [
            ("Jul 9 14:45 2012", "0,15,30,45 * * * *", true),
            ("Jul 9 14:49 2012", "0,15,30,45 * * * *", false),
            ("Jul 9 14:59 2012", "* * * * *", true),
            ("Jul 9 15:00 2012", "* * * * *", true),
            ("Jul 9 15:00 2012", "0/15 * * * *", true),
            ("Jul 9 15:45 2012", "0/15 * * * *", true),
            ("Jul 9 15:40 2012", "0/15 * * * *", false),
            ("Jul 9 15:05 2012", "5/15 * * * *", true),
            ("Jul 9 15:20 2012", "5/15 * * * *", true),
            ("Jul 9 15:50 2012", "5/15 * * * *", true),
            ("Jul 15 15:00 2012", "0/15 * * Jul *", true),
            ("Jul 15 15:00 2012", "0/15 * * Jun *", false),
            ("Jul 15 08:30 2012", "30 08 ? Jul Sun", true),
            ("Jul 15 08:30 2012", "30 08 15 Jul ?", true),
            ("Jul 16 08:30 2012", "30 08 ? Jul Sun", false),
            ("Jul 16 08:30 2012", "30 08 15 Jul ?", false),
            ("Jul 9 15:00 2012", "@hourly", true),
            ("Jul 9 15:04 2012", "@hourly", false),
            ("Jul 9 15:00 2012", "@daily", false),
            ("Jul 9 00:00 2012", "@daily", true),
            ("Jul 9 00:00 2012", "@weekly", false),
            ("Jul 8 00:00 2012", "@weekly", true),
            ("Jul 8 01:00 2012", "@weekly", false),
            ("Jul 8 00:00 2012", "@monthly", false),
            ("Jul 1 00:00 2012", "@monthly", true),
            ("Jul 15 00:00 2012", "* * 1,15 * Sun", true),
            ("Jun 15 00:00 2012", "* * 1,15 * Sun", true),
            ("Aug 1 00:00 2012", "* * 1,15 * Sun", true),
            ("Jul 15 00:00 2012", "* * */10 * Sun", true),
            ("Jul 15 00:00 2012", "* * * * Mon", false),
            ("Jul 9 00:00 2012", "* * 1,15 * *", false),
            ("Jul 15 00:00 2012", "* * 1,15 * *", true),
            ("Jul 15 00:00 2012", "* * */2 * Sun", true),
        ];
        for (time, spec, want) in rows {
            let s = parse_standard(spec).unwrap();
            let t = at(time) * 1000;
            assert_eq!(s.next(t - 1000) == Some(t), want, "{time} {spec}");
        }
    }

    /// robfig/cron v3 spec_test.go TestNext, the rows whose seconds field is 0 (written here
    /// as standard five-field specs).
    #[test]
    fn upstream_next() {
        let rows = [
            ("Jul 9 14:45 2012", "0/15 * * * *", Some("Jul 9 15:00 2012")),
            ("Jul 9 14:59 2012", "0/15 * * * *", Some("Jul 9 15:00 2012")),
            (
                "Jul 9 14:59:59 2012",
                "0/15 * * * *",
                Some("Jul 9 15:00 2012"),
            ),
            (
                "Jul 9 15:45 2012",
                "20-35/15 * * * *",
                Some("Jul 9 16:20 2012"),
            ),
            (
                "Jul 9 23:46 2012",
                "*/15 * * * *",
                Some("Jul 10 00:00 2012"),
            ),
            (
                "Jul 9 23:45 2012",
                "20-35/15 * * * *",
                Some("Jul 10 00:20 2012"),
            ),
            (
                "Jul 9 23:35 2012",
                "0 0 9 Apr-Oct ?",
                Some("Aug 9 00:00 2012"),
            ),
            (
                "Jul 9 23:35 2012",
                "0 0 */5 Apr,Aug,Oct Mon",
                Some("Aug 1 00:00 2012"),
            ),
            (
                "Jul 9 23:35 2012",
                "0 0 */5 Oct Mon",
                Some("Oct 1 00:00 2012"),
            ),
            (
                "Jul 9 23:35 2012",
                "0 0 * Feb Mon",
                Some("Feb 4 00:00 2013"),
            ),
            (
                "Jul 9 23:35 2012",
                "0 0 * Feb Mon/2",
                Some("Feb 1 00:00 2013"),
            ),
            (
                "Dec 31 23:59:45 2012",
                "* * * * *",
                Some("Jan 1 00:00:00 2013"),
            ),
            (
                "Jul 9 23:35 2012",
                "0 0 29 Feb ?",
                Some("Feb 29 00:00 2016"),
            ),
            ("Jul 9 23:35 2012", "0 0 30 Feb ?", None),
            ("Jul 9 23:35 2012", "0 0 31 Apr ?", None),
        ];
        for (time, spec, want) in rows {
            let s = parse_standard(spec).unwrap();
            assert_eq!(
                s.next(at(time) * 1000),
                want.map(|w| at(w) * 1000),
                "{time} {spec}"
            );
        }
    }

    /// robfig/cron v3 parser_test.go TestParseScheduleErrors / TestRange error rows, and
    /// Kubernetes' own CronJob validation examples.
    #[test]
    fn parse_errors_like_upstream() {
        let rows = [
            ("", "empty spec string"),
            ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
            (
                "* * * * * *",
                "expected exactly 5 fields, found 6: [* * * * * *]",
            ),
            ("60 * * * *", "end of range (60) above maximum (59): 60"),
            ("* 24 * * *", "end of range (24) above maximum (23): 24"),
            ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
            ("* * * 13 *", "end of range (13) above maximum (12): 13"),
            ("* * * * 7", "end of range (7) above maximum (6): 7"),
            (
                "5-3 * * * *",
                "beginning of range (5) beyond end of range (3): 5-3",
            ),
            ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
            ("*/2/3 * * * *", "too many slashes: */2/3"),
            (
                "*/0 * * * *",
                "step of range should be a positive number: */0",
            ),
            (
                "x * * * *",
                "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax",
            ),
            ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ];
        for (spec, want) in rows {
            assert_eq!(
                parse_standard(spec),
                Err(CronError(want.into())),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn fields_names_and_descriptors() {
        // robfig/cron v3 parser_test.go TestRange rows.
        let b = |s: &str, bd: &Bounds| get_range(s, bd).unwrap();
        let r = Bounds {
            min: 0,
            max: 7,
            names: &[],
        };
        assert_eq!(b("5", &r), 1 << 5);
        assert_eq!(b("0", &r), 1);
        assert_eq!(b("7", &r), 1 << 7);
        assert_eq!(b("5-5", &r), 1 << 5);
        assert_eq!(b("5-6", &r), 1 << 5 | 1 << 6);
        assert_eq!(b("5-7", &r), 1 << 5 | 1 << 6 | 1 << 7);
        assert_eq!(b("5-6/2", &r), 1 << 5);
        assert_eq!(b("5-7/2", &r), 1 << 5 | 1 << 7);
        assert_eq!(b("5-7/1", &r), 1 << 5 | 1 << 6 | 1 << 7);
        assert_eq!(b("*", &r), bits(0, 7, 1) | STAR_BIT);
        assert_eq!(b("*/2", &r), 1 | 1 << 2 | 1 << 4 | 1 << 6);
        assert_eq!(b("JAN-mar", &MONTHS), 1 << 1 | 1 << 2 | 1 << 3);
        assert_eq!(
            parse_standard("@daily"),
            parse_standard("0 0 * * *"),
            "@daily is midnight every day"
        );
        assert_eq!(parse_standard("@hourly"), parse_standard("0 * * * *"));
        assert_eq!(
            parse_standard("@every 90s"),
            Ok(Schedule::Every { secs: 90 })
        );
        assert_eq!(
            parse_standard("@every 10ms"),
            Ok(Schedule::Every { secs: 1 })
        );
        // Every: from the whole second of t.
        assert_eq!(Schedule::Every { secs: 90 }.next(1_500), Some(91_000));
    }
}
