//! Scalar typing: the YAML 1.2 core schema (as go-yaml v3 / sigs.k8s.io/yaml read it).
//!
//! Plain `null`/`Null`/`NULL`/`~`/empty is null; `true`/`True`/`TRUE`/`false`/... is a boolean;
//! `[-+]?[0-9]+`, `0x[0-9a-fA-F]+` and `0o[0-7]+` are integers; `[-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)
//! ([eE][-+]?[0-9]+)?`, `[-+]?.inf` and `.nan` (in the three spellings) are floats; anything
//! else is a string. YAML 1.1 forms (`yes`, `on`, `0777`-as-octal, `1_000`) are strings or
//! decimal integers, as in YAML 1.2.

use super::node::Value;

/// The type of a plain (unquoted, untagged) scalar.
pub(crate) fn resolve_plain(text: &str) -> Value {
    if is_null(text) {
        return Value::Null;
    }
    if let Some(b) = parse_bool(text) {
        return Value::Bool(b);
    }
    if is_int_shaped(text) {
        return match int_value(text).and_then(|v| i64::try_from(v).ok()) {
            Some(i) => Value::Int(i),
            None => Value::Float(text.to_string()),
        };
    }
    if is_float_shaped(text) {
        return Value::Float(text.to_string());
    }
    Value::Str {
        text: text.to_string(),
        plain: true,
    }
}

/// The value of a scalar with an explicit core-schema tag (`!!str`, `!!int`, ...); `Err` names
/// what the tag expected. Unknown suffixes (`!!timestamp`, `!!binary`) keep the text as a string.
pub(crate) fn resolve_tagged(text: &str, suffix: &str) -> Result<Value, String> {
    let bad = |what: &str| {
        Err(format!(
            "invalid !!{suffix} value `{text}`, expected {what}"
        ))
    };
    match suffix {
        "null" if is_null(text) => Ok(Value::Null),
        "null" => bad("`null`, `~` or nothing"),
        "bool" => match parse_bool(text) {
            Some(b) => Ok(Value::Bool(b)),
            None => bad("`true` or `false`"),
        },
        "int" if is_int_shaped(text) => Ok(resolve_plain(text)),
        "int" => bad("an integer"),
        "float" if is_int_shaped(text) || is_float_shaped(text) => {
            Ok(Value::Float(text.to_string()))
        }
        "float" => bad("a number"),
        _ => Ok(Value::Str {
            text: text.to_string(),
            plain: false,
        }),
    }
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn all_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

/// `[-+]?[0-9]+`, `0x[0-9a-fA-F]+` or `0o[0-7]+`.
pub(crate) fn is_int_shaped(text: &str) -> bool {
    if let Some(hex) = text.strip_prefix("0x") {
        return all_digits(hex, 16);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return all_digits(oct, 8);
    }
    all_digits(text.strip_prefix(['-', '+']).unwrap_or(text), 10)
}

/// The value of an integer-shaped text; `None` when not integer-shaped or beyond `i128`.
pub(crate) fn int_value(text: &str) -> Option<i128> {
    if !is_int_shaped(text) {
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i128::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i128::from_str_radix(oct, 8).ok();
    }
    text.parse::<i128>().ok()
}

fn is_float_shaped(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(s, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match frac_part {
        // `1.`, `.5`, `1.5`; not `.`
        Some(frac) => digits(int_part) && digits(frac) && !(int_part.is_empty() && frac.is_empty()),
        None => all_digits(int_part, 10),
    };
    let exponent_ok = match exponent {
        Some(e) => all_digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10),
        None => true,
    };
    // A float needs a `.` or an exponent; bare digits are integers.
    mantissa_ok && exponent_ok && (frac_part.is_some() || exponent.is_some())
}

/// The `f64` value of a number text (float- or integer-shaped); `None` for other text.
pub(crate) fn float_value(text: &str) -> Option<f64> {
    match text.strip_prefix(['-', '+']).unwrap_or(text) {
        ".inf" | ".Inf" | ".INF" => {
            return Some(if text.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(digits) = text.strip_prefix(prefix) {
            if !all_digits(digits, radix) {
                return None;
            }
            let mut acc = 0.0f64;
            for c in digits.chars() {
                acc = acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0));
            }
            return Some(acc);
        }
    }
    if is_int_shaped(text) || is_float_shaped(text) {
        super::float_text::parse_f64(text)
    } else {
        None
    }
}

/// A number as `deserialize_any` hands it to a visitor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    I64(i64),
    U64(u64),
    F64(f64),
}

/// How a `Value::Float` text reads as an untyped number: integers in `i64`, then `u64`; any other
/// number as `f64`.
pub(crate) fn number_for_any(text: &str) -> Number {
    if let Some(v) = int_value(text) {
        if let Ok(i) = i64::try_from(v) {
            return Number::I64(i);
        }
        if let Ok(u) = u64::try_from(v) {
            return Number::U64(u);
        }
    }
    Number::F64(float_value(text).unwrap_or(f64::NAN))
}
