//! The [`Decode`] impls written by hand: types whose serde impls are not derived field by
//! field (an untagged enum, unit enums, `serde_json::Value`), read with exactly serde's results
//! and errors through `De` but without serde's generic visitor code (docs/benchmarks.md,
//! "Session 11"). Each is compared with its serde impl in the tests below.

use serde::de::Error as _;

use super::de::{located, mismatch, text_of, unexpected, De, Seg, Text};
use super::decode::{decode_map, decode_seq, key_str, Decode};
use super::error::DeError;
use super::node::Value;

impl Decode for crate::api::meta::IntOrString {
    /// What serde's `#[serde(untagged)]` derive reads through `De` (it buffers the node and
    /// tries `Int(i64)`, then `Str(String)`), without serde's buffering code: an integer that
    /// fits `i64`, or a string (quoted or plain); anything else is its "did not match" error.
    fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
        use super::scalar::{number_for_any, Number};
        use crate::api::meta::IntOrString;
        let node = de.node;
        match &node.value {
            Value::Int(i) => return Ok(IntOrString::Int(*i)),
            Value::Float(text) => {
                if let Number::I64(i) = number_for_any(text) {
                    return Ok(IntOrString::Int(i));
                }
            }
            Value::Str { text, .. } => return Ok(IntOrString::Str(text.clone())),
            _ => {}
        }
        Err(
            DeError::custom("data did not match any variant of untagged enum IntOrString")
                .at(node.mark),
        )
    }
}

/// The variant index of a unit-only enum `name` (variants in declaration order, as serde
/// names them), read as serde's derive reads it through `De::deserialize_enum`: a scalar names
/// the variant; a single-key mapping names it by its key, and the value must be null. Errors
/// and marks are serde's.
pub(crate) fn decode_unit_enum(
    de: De<'_, '_>,
    name: &'static str,
    variants: &'static [&'static str],
) -> Result<usize, DeError> {
    let node = de.node;
    let expecting = format!("enum {name}");
    let (variant, value) = match &node.value {
        Value::Seq(_) => {
            return Err(
                DeError::invalid_type(serde::de::Unexpected::Seq, &expecting.as_str())
                    .at(node.mark),
            )
        }
        Value::Map(entries) if entries.len() == 1 => (&entries[0].0, Some(&entries[0].1)),
        Value::Map(entries) => {
            return Err(DeError::custom(format!(
                "invalid type: mapping with {} keys, expected enum {name} as a string or a \
                 mapping with a single key",
                entries.len()
            ))
            .at(node.mark))
        }
        _ => (node, None),
    };
    let text = match text_of(variant) {
        Text::Borrowed(t) => std::borrow::Cow::Borrowed(t),
        Text::Owned(t) => std::borrow::Cow::Owned(t),
        Text::Collection => {
            return Err(mismatch(variant, &"variant identifier").at(variant.mark));
        }
    };
    let Some(index) = variants.iter().position(|v| *v == text) else {
        return Err(DeError::unknown_variant(&text, variants)
            .at(variant.mark)
            .at(node.mark));
    };
    match value {
        Some(v) if !matches!(v.value, Value::Null) => {
            Err(DeError::invalid_type(unexpected(v), &"unit variant").at(v.mark))
        }
        _ => Ok(index),
    }
}

impl Decode for crate::api::pod::PodPhase {
    fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
        use crate::api::pod::PodPhase as P;
        const VARIANTS: &[&str] = &["Pending", "Running", "Succeeded", "Failed", "Unknown"];
        const PHASES: [P; 5] = [P::Pending, P::Running, P::Succeeded, P::Failed, P::Unknown];
        Ok(PHASES[decode_unit_enum(de, "PodPhase", VARIANTS)?])
    }
}

impl Decode for crate::autoscaler::spec::Expander {
    fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
        use crate::autoscaler::spec::Expander as E;
        const VARIANTS: &[&str] = &["random", "least-waste", "priority"];
        const EXPANDERS: [E; 3] = [E::Random, E::LeastWaste, E::Priority];
        Ok(EXPANDERS[decode_unit_enum(de, "Expander", VARIANTS)?])
    }
}

impl Decode for serde_json::Value {
    /// What serde_json's `Value` visitor reads through `De`'s `deserialize_any`, without that
    /// visitor's code: a number as `i64`, `u64` or a finite `f64` (non-finite: null), mapping
    /// keys as strings (a collection key is serde_json's "expected a string key" error).
    fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
        use super::scalar::{number_for_any, Number};
        use serde_json::Value as J;
        let node = de.node;
        Ok(match &node.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(text) => match number_for_any(text) {
                Number::I64(i) => J::from(i),
                Number::U64(u) => J::from(u),
                Number::F64(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            },
            Value::Str { text, .. } => J::String(text.clone()),
            Value::Seq(_) => {
                let mut items = Vec::new();
                decode_seq(de, "any valid JSON value", &mut |de| {
                    items.push(J::decode(de)?);
                    Ok(())
                })?;
                J::Array(items)
            }
            Value::Map(_) => {
                let mut map = serde_json::Map::new();
                decode_map(de, "any valid JSON value", &mut |k, v| {
                    let key = key_str(k.0.node, "a string key")?.into_owned();
                    let ctx = v.ctx;
                    let (key_node, value_node) = (k.0.node, v.node);
                    ctx.enter(Seg::Key(key_node));
                    let value = J::decode(v);
                    ctx.leave();
                    map.insert(key, located(value, value_node.mark)?);
                    Ok(())
                })?;
                J::Object(map)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::assert_decodes_as_serde;

    #[test]
    fn unit_enums_decode_as_serde_reads_them() {
        let texts = [
            "v: Running",
            "v: Unknown",
            "v: running",
            "v: 1",
            "v: ~",
            "v: [Running]",
            "v: {Failed: ~}",
            "v: {Failed: 1}",
            "v: {Nope: ~}",
            "v: {a: 1, b: 2}",
            "v: {}",
            "v: {? [x] : ~}",
            "v: least-waste",
            "v: priority",
            "v: random",
            "v: LeastWaste",
            "v: true",
        ];
        assert_decodes_as_serde::<crate::api::pod::PodPhase>(&texts);
        assert_decodes_as_serde::<crate::autoscaler::spec::Expander>(&texts);
    }

    #[test]
    fn json_values_decode_as_serde_json_reads_them() {
        assert_decodes_as_serde::<serde_json::Value>(&[
            "v: 1",
            "v: -1.5",
            "v: 18446744073709551615",
            "v: 1e400",
            "v: .nan",
            "v: ~",
            "v: true",
            "v: 'x'",
            "v: [1, [a, {b: c}], ~]",
            "v: {a: 1, 2: b, ~: c, true: d}",
            "v: {a: {b: [1, 2]}}",
            "v: {? [k] : 1}",
            "v: {a: {? {k: 1} : 1}}",
        ]);
    }
}
