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
//! still read by serde, through the same `De`: each is compiled once; the few types whose serde
//! impls are not field by field are decoded by hand in `hand_decoded.rs`.
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
pub(super) fn key_str<'n>(
    key: &'n Node,
    expecting: &str,
) -> Result<std::borrow::Cow<'n, str>, DeError> {
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
}
