//! [`Decode`]: cellsim's own types read from a [`Node`] through tables instead of serde visitors.
//!
//! Why: serde's data model compiles, for every struct, a visitor, a field-identifier visitor and
//! the deserializer's map and option code instantiated for that visitor; for the ~150 structs
//! of the Kubernetes objects and the scenario format that was about 300 KB of the playground's
//! wasm (docs/benchmarks.md, "Session 11"). Here a struct is a static [`StructTable`] (each
//! field's name, offset and three function pointers, instantiated once per field TYPE), and
//! one non-generic loop ([`decode_struct`]) reads every struct. `Vec`, `Option` and maps go
//! through non-generic drivers too ([`decode_seq`], [`decode_map`]), leaving only the push or
//! insert per element type.
//!
//! The results, the error messages and their marks, and the ignored-field records are exactly
//! those of the serde path ([`super::from_node`] with the same derived types): the table
//! loop mirrors the serde `Deserializer` in `de.rs` step by step (which node's mark an error
//! takes, which path a value is read under), and `compact.rs`'s tests read the same inputs
//! both ways. Scalars and the hand-written serde impls (`Quantity`, `Duration`, ...) are
//! still read by serde, through the same `De`: each is compiled once.
//!
//! `#[derive(CompactDeserialize)]` (crate `cellsim-derive`) writes the tables; the `unsafe`
//! is confined to this file's functions and the derive's table entries, see [`StructTable`].

use std::collections::BTreeMap;

use crate::collections::OrdMap;
use std::mem::MaybeUninit;

use serde::de::{Deserialize, Error as _};

use super::de::{located, mismatch, text_of, Ctx, De, KeyDe, Seg, Text};
use super::error::{DeError, LoadError};
use super::node::{Mark, Node, Value};

/// A type read from a YAML node by cellsim's decoder (see the module docs).
pub(crate) trait Decode: Sized {
    fn decode(de: De<'_, '_>) -> Result<Self, DeError>;

    /// Read into an uninitialised place. Structs, options and vectors read in place (a
    /// struct's fields are written where they stay), so no instantiation moves whole values
    /// around: what each generic instance compiles to stays small.
    ///
    /// # Safety
    /// `p` points to an uninitialised, aligned place of type `Self`; on `Ok` it is initialised,
    /// on `Err` it holds nothing to drop.
    unsafe fn decode_into(p: *mut u8, de: De<'_, '_>) -> Result<(), DeError> {
        let v = Self::decode(de)?;
        // SAFETY: the caller's contract.
        unsafe { p.cast::<Self>().write(v) };
        Ok(())
    }
}

/// `Decode::decode` for a type whose `decode_into` reads in place.
pub(crate) fn decode_via_into<T: Decode>(de: De<'_, '_>) -> Result<T, DeError> {
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY: a fresh place of type T; initialised when `decode_into` returns `Ok`.
    unsafe {
        T::decode_into(out.as_mut_ptr().cast(), de)?;
        Ok(out.assume_init())
    }
}

/// Read `node` as `T`; fields `T` ignores are appended to `ignored`, as [`super::from_node`]
/// does with serde (same results, same errors).
pub(crate) fn decode_node<T: Decode>(
    file: &str,
    node: &Node,
    ignored: &mut Vec<(String, Mark)>,
) -> Result<T, LoadError> {
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY: `T::decode_into` reads a `T` into the fresh place, initialised on `Ok`.
    unsafe {
        decode_node_into(file, node, ignored, T::decode_into, out.as_mut_ptr().cast())?;
        Ok(out.assume_init())
    }
}

/// [`decode_node`]'s body, compiled once: the loaders call it for ~20 types.
///
/// # Safety
/// `read` reads the type `out` points to, an uninitialised place (see [`Read`]).
#[inline(never)]
unsafe fn decode_node_into(
    file: &str,
    node: &Node,
    ignored: &mut Vec<(String, Mark)>,
    read: Read,
    out: *mut u8,
) -> Result<(), LoadError> {
    let ctx = Ctx::default();
    // SAFETY: forwarded.
    let result = unsafe { read(out, De::new(node, &ctx, None)) };
    ignored.extend(ctx.ignored.into_inner());
    result.map_err(|e| LoadError::new(file, e.mark.unwrap_or(node.mark), e.message))
}

/// Reads a value into an uninitialised place of its type.
pub(crate) type Read = for<'a, 'de> unsafe fn(*mut u8, De<'a, 'de>) -> Result<(), DeError>;
/// Writes a value into an uninitialised place of its type.
pub(crate) type Init = unsafe fn(*mut u8);

/// One field of a struct: where it is and how to read, default and drop it (its key is the
/// next of [`StructTable::fields`] when it is read at all).
pub(crate) struct FieldPlace {
    /// `core::mem::offset_of!` of the field.
    pub offset: usize,
    /// `None`: skipped (`#[serde(skip)]`), never read.
    pub read: Option<Read>,
    /// The value of a field absent from the input (`Default`, `default = "path"`, `None` for an
    /// `Option`); `None`: required ("missing field"). For a `#[serde(default)]` container, the
    /// field's own default only (written over the container's default before reading).
    pub default: Option<Init>,
    /// `core::ptr::drop_in_place` of the field's type; `None` when it has no drop glue.
    pub drop: Option<Init>,
}

/// A struct as [`decode_struct`] reads it.
///
/// Safety contract, upheld by the derive: `places` lists every field of the struct exactly once,
/// each `offset` is that field's offset and each function is instantiated for that field's
/// type; `container_default`, when present, writes a whole value of the struct.
pub(crate) struct StructTable {
    /// "struct Name", what serde's derive says it expected.
    pub expecting: &'static str,
    /// The keys of the places that are read, in order (serde's `FIELDS`).
    pub fields: &'static [&'static str],
    pub places: &'static [FieldPlace],
    pub deny_unknown_fields: bool,
    /// `#[serde(default)]` on the container: the struct's `Default`.
    pub container_default: Option<Init>,
}

/// [`Init`] writing `T::default()`.
///
/// # Safety
/// `p` points to an uninitialised, aligned place of type `T`, initialised on return.
pub(crate) unsafe fn default_into<T: Default>(p: *mut u8) {
    // SAFETY: the caller's contract.
    unsafe { p.cast::<T>().write(T::default()) }
}

/// [`Init`] dropping a `T`, or `None` when `T` needs no drop.
pub(crate) const fn drop_of<T>() -> Option<Init> {
    /// # Safety
    /// `p` points to an initialised `T`, which is dropped.
    unsafe fn drop_place<T>(p: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe { std::ptr::drop_in_place(p.cast::<T>()) }
    }
    if std::mem::needs_drop::<T>() {
        Some(drop_place::<T>)
    } else {
        None
    }
}

/// Read a struct described by `table` from `de` into `out`, as serde's `deserialize_struct`
/// with a derived visitor would.
///
/// # Safety
/// `table` describes the type `out` points to (see [`StructTable`]); `out` is uninitialised
/// and on `Ok` holds a valid value (on `Err` nothing is left to drop).
pub(crate) unsafe fn decode_struct(
    de: De<'_, '_>,
    table: &StructTable,
    out: *mut u8,
) -> Result<(), DeError> {
    let mark = de.node.mark;
    let mut fill = Fill { table, out, set: 0 };
    // SAFETY: forwarded contract.
    let r = unsafe { fill.run(de) };
    if r.is_err() {
        // SAFETY: `set` has exactly the places initialised so far.
        unsafe { fill.drop_set() };
    }
    located(r, mark)
}

/// A struct being filled: which places hold a value (`set`, bit per place).
struct Fill<'t> {
    table: &'t StructTable,
    out: *mut u8,
    set: u64,
}

impl Fill<'_> {
    /// # Safety
    /// As [`decode_struct`]; on `Err` the places in `self.set` hold values, the others none.
    unsafe fn run(&mut self, de: De<'_, '_>) -> Result<(), DeError> {
        let table = self.table;
        // A struct request: a mapping, or null as an empty one; else the visitor's type error.
        let entries: &[(Node, Node)] = match &de.node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => return Err(mismatch(de.node, &table.expecting)),
        };
        if let Some(init) = table.container_default {
            // SAFETY: writes the whole struct; every place then holds a value.
            unsafe { init(self.out) };
            self.set = u64::MAX
                .checked_shr(64 - table.places.len() as u32)
                .unwrap_or(0);
            for (i, place) in table.places.iter().enumerate() {
                if let Some(default) = place.default {
                    // SAFETY: place `i` holds a value, replaced by its own default.
                    unsafe { self.clear(i) };
                    unsafe { default(self.out.add(place.offset)) };
                    self.set |= 1 << i;
                }
            }
        }
        let ctx = de.ctx;
        for (key, value) in entries {
            let Some((i, read)) = field_index(key, table)? else {
                ctx.enter(Seg::Key(key));
                De::new(value, ctx, Some(key.mark)).ignore();
                ctx.leave();
                continue;
            };
            let place = &table.places[i];
            // SAFETY: place `i` is emptied, then filled by `read` only on success.
            unsafe { self.clear(i) };
            ctx.enter(Seg::Key(key));
            let r = unsafe {
                read(
                    self.out.add(place.offset),
                    De::new(value, ctx, Some(key.mark)),
                )
            };
            ctx.leave();
            located(r, value.mark)?;
            self.set |= 1 << i;
        }
        let mut key = table.fields.iter();
        for (i, place) in table.places.iter().enumerate() {
            let name = place.read.and_then(|_| key.next());
            if self.set & (1 << i) != 0 {
                continue;
            }
            let Some(default) = place.default else {
                return Err(DeError::missing_field(name.copied().unwrap_or_default()));
            };
            // SAFETY: place `i` holds no value.
            unsafe { default(self.out.add(place.offset)) };
            self.set |= 1 << i;
        }
        Ok(())
    }

    /// Drop the value in place `i`, if it holds one.
    ///
    /// # Safety
    /// `self.set` is exact.
    unsafe fn clear(&mut self, i: usize) {
        if self.set & (1 << i) != 0 {
            self.set &= !(1 << i);
            let place = &self.table.places[i];
            if let Some(drop) = place.drop {
                // SAFETY: the place holds a value (bit was set).
                unsafe { drop(self.out.add(place.offset)) };
            }
        }
    }

    /// # Safety
    /// `self.set` is exact.
    unsafe fn drop_set(&mut self) {
        for i in 0..self.table.places.len() {
            // SAFETY: forwarded.
            unsafe { self.clear(i) };
        }
    }
}

/// The readable place a key names; `None` for a key the struct ignores, an error under
/// `deny_unknown_fields` (serde's "unknown field" message) or for a key that is not a scalar.
/// Keys are read as serde's derived field identifiers read them (a null key is "null").
fn field_index(key: &Node, table: &StructTable) -> Result<Option<(usize, Read)>, DeError> {
    let text = key_str(key, "field identifier")?;
    let Some(k) = table.fields.iter().position(|f| *f == text) else {
        return if table.deny_unknown_fields {
            Err(DeError::unknown_field(&text, table.fields).at(key.mark))
        } else {
            Ok(None)
        };
    };
    // The k-th place that is read.
    Ok(table
        .places
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.read.map(|read| (i, read)))
        .nth(k))
}

/// A mapping key read as a string, as `KeyDe` gives it to a string visitor: its text, "null"
/// for a null key (as sigs.k8s.io/yaml writes it), and for a collection the visitor's type
/// error (`expecting`), at the key.
fn key_str<'n>(key: &'n Node, expecting: &str) -> Result<std::borrow::Cow<'n, str>, DeError> {
    use std::borrow::Cow;
    match (&key.value, text_of(key)) {
        (Value::Null, _) => Ok(Cow::Borrowed("null")),
        (_, Text::Borrowed(t)) => Ok(Cow::Borrowed(t)),
        (_, Text::Owned(t)) => Ok(Cow::Owned(t)),
        (_, Text::Collection) => Err(mismatch(key, &expecting).at(key.mark)),
    }
}

/// A sequence request, as serde's `Vec` visitor through `De`: a sequence, or null as an empty
/// one; `each` reads one element (in order, under the path `[i]`).
pub(crate) fn decode_seq(
    de: De<'_, '_>,
    expecting: &str,
    each: &mut dyn FnMut(De<'_, '_>) -> Result<(), DeError>,
) -> Result<(), DeError> {
    let mark = de.node.mark;
    let items: &[Node] = match &de.node.value {
        Value::Seq(items) => items,
        Value::Null => &[],
        _ => return Err(mismatch(de.node, &expecting).at(mark)),
    };
    let ctx = de.ctx;
    for (i, node) in items.iter().enumerate() {
        ctx.enter(Seg::Index(i));
        let r = each(De::new(node, ctx, None));
        ctx.leave();
        located(r, node.mark).map_err(|e| e.at(mark))?;
    }
    Ok(())
}

/// A map request, as serde's map visitors through `De`: a mapping, or null as an empty one;
/// `each` reads one key (as serde reads map keys: a quoted number fills a numeric key) and its
/// value (under the key's path).
pub(crate) fn decode_map(
    de: De<'_, '_>,
    expecting: &str,
    each: &mut dyn for<'a, 'de> FnMut(KeyDe<'a, 'de>, De<'a, 'de>) -> Result<(), DeError>,
) -> Result<(), DeError> {
    let mark = de.node.mark;
    let entries: &[(Node, Node)] = match &de.node.value {
        Value::Map(entries) => entries,
        Value::Null => &[],
        _ => return Err(mismatch(de.node, &expecting).at(mark)),
    };
    let ctx = de.ctx;
    for (key, value) in entries {
        let r = each(
            KeyDe(De::new(key, ctx, None)),
            De::new(value, ctx, Some(key.mark)),
        );
        r.map_err(|e| e.at(mark))?;
    }
    Ok(())
}

/// Read one map entry's key and value, with the marks and path serde's `MapAccess` gives:
/// a key error at the key, a value error at the value, the value read under the key's path.
pub(crate) fn map_entry<'a, 'de, K: for<'d> Deserialize<'d>, V: Decode>(
    key: KeyDe<'a, 'de>,
    value: De<'a, 'de>,
) -> Result<(K, V), DeError> {
    let key_node = key.0.node;
    let k = K::deserialize(key).map_err(|e| e.at(key_node.mark))?;
    let ctx = value.ctx;
    let value_node = value.node;
    ctx.enter(Seg::Key(key_node));
    let v = V::decode(value);
    ctx.leave();
    Ok((k, located(v, value_node.mark)?))
}

/// `#[decode(with = ...)]` for fields read with `deserialize_with = "null_as_default"`: null is
/// the type's default, anything else is read as `T`.
pub(crate) fn null_as_default<T: Decode + Default>(de: De<'_, '_>) -> Result<T, DeError> {
    Ok(Option::<T>::decode(de)?.unwrap_or_default())
}

impl<T: Decode> Decode for Option<T> {
    fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
        decode_via_into(de)
    }

    /// As serde's `Option` through `De::deserialize_option`: null is `None`.
    unsafe fn decode_into(p: *mut u8, de: De<'_, '_>) -> Result<(), DeError> {
        let p = p.cast::<Option<T>>();
        if matches!(de.node.value, Value::Null) {
            // SAFETY: the caller's contract.
            unsafe { p.write(None) };
            return Ok(());
        }
        let mark = de.node.mark;
        let mut v = MaybeUninit::<T>::uninit();
        // SAFETY: a fresh place of type T, initialised on `Ok`; then the caller's contract.
        unsafe {
            located(T::decode_into(v.as_mut_ptr().cast(), de), mark)?;
            p.write(Some(v.assume_init()));
        }
        Ok(())
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
        T::decode(de).map(Box::new)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
        let mut out: Vec<T> = Vec::new();
        decode_seq(de, "a sequence", &mut |de| {
            out.reserve(1);
            let len = out.len();
            // SAFETY: `reserve` made room for one more element at `len`, which is initialised
            // before the length includes it.
            unsafe {
                T::decode_into(out.as_mut_ptr().add(len).cast(), de)?;
                out.set_len(len + 1);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

/// Maps, std's and ours: filled by `insert` in input order (a later duplicate replaces an
/// earlier one, as serde's impls do).
macro_rules! decode_maps {
    ($($map:ident),*) => {
        $(
            impl<K: for<'d> Deserialize<'d> + Ord, V: Decode> Decode for $map<K, V> {
                fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
                    let mut out = $map::new();
                    decode_map(de, "a map", &mut |k, v| {
                        let (k, v) = map_entry::<K, V>(k, v)?;
                        out.insert(k, v);
                        Ok(())
                    })?;
                    Ok(out)
                }
            }
        )*
    };
}

decode_maps!(BTreeMap, OrdMap);

/// `Decode` through the type's serde `Deserialize` with `De`: scalars and the hand-written
/// impls, each compiled once.
macro_rules! decode_via_serde {
    ($($t:ty),* $(,)?) => {
        $(
            impl Decode for $t {
                fn decode(de: De<'_, '_>) -> Result<Self, DeError> {
                    <$t as Deserialize>::deserialize(de)
                }
            }
        )*
    };
}

decode_via_serde!(String, bool, u8, u16, u32, u64, usize, i8, i16, i32, i64, f32, f64);
decode_via_serde!(
    serde::de::IgnoredAny,
    crate::api::quantity::Quantity,
    crate::scenario::spec::RealImageName,
    crate::scenario::spec::RealCommand,
    crate::time::Duration,
);

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
            Err(DeError::invalid_type(super::de::unexpected(v), &"unit variant").at(v.mark))
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

/// Test helper: each `v: ...` text's `v` decodes to what serde's impl reads through `De`
/// (value or located error, and the same ignored fields).
#[cfg(test)]
pub(crate) fn assert_decodes_as_serde<T>(texts: &[&str])
where
    T: Decode + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    use super::{from_node, parse_documents};
    for text in texts {
        let doc = &parse_documents("t.yaml", text).expect("parses")[0];
        let node = doc.get("v").expect("v");
        let (mut by_serde, mut by_decode) = (vec![], vec![]);
        let serde = from_node::<T>("t.yaml", node, &mut by_serde);
        let decoded = decode_node::<T>("t.yaml", node, &mut by_decode);
        assert_eq!(decoded, serde, "{text}");
        assert_eq!(by_decode, by_serde, "ignored fields: {text}");
    }
}

#[cfg(test)]
mod tests {
    use super::assert_decodes_as_serde;

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
    fn ordered_maps_decode_as_serde_reads_them() {
        use crate::collections::OrdMap;
        let texts = [
            "v: {b: two, a: one, 'c': \"3\"}",
            "v: {}",
            "v: ~",
            "v: [a]",
            "v: x",
            "v: {a: b, c: [d]}",
            "v: {a: b, ? [c] : d}",
            "v: {~: 1, 2: x, true: y}",
            "v: {a: {b: 1}}",
        ];
        assert_decodes_as_serde::<OrdMap<String, String>>(&texts);
        assert_decodes_as_serde::<OrdMap<u16, String>>(&[
            "v: {80: http, '443': https}",
            "v: {x: y}",
        ]);
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
