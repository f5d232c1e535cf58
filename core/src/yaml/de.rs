//! A serde `Deserializer` over [`Node`]s that locates errors and records ignored fields.
//!
//! Every error gets the mark of the innermost node being deserialized when it happened: each
//! `deserialize_*` call, and each element/value handed to a visitor, attaches its node's mark to
//! an error that has none yet. Values that a type skips (serde calls `deserialize_ignored_any`
//! for fields it does not know) are recorded with their dotted path and the mark of their key.
//!
//! Size: each method generic over a `Visitor` is compiled once per deserialized type (about 300
//! in the playground's wasm), so the generic methods only dispatch, and what does not depend on
//! the visitor (classifying a node, path bookkeeping, building errors) is in non-generic
//! functions. A request also reaches only the `visit_*` methods that can accept what it asks
//! for: a struct or map request never calls `visit_seq`, a sequence request never `visit_map`,
//! a scalar request neither; for the visitors used here (serde's and the derived ones) those
//! calls could only return serde's default "invalid type" error, which [`mismatch`] builds
//! without compiling them (docs/benchmarks.md, "Bundle size").

use std::cell::RefCell;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Error as _, Expected, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};

use super::error::{DeError, LoadError};
use super::node::{Mark, Node, Value};
use super::scalar::{self, Number};

/// Deserialize a node into `T` with serde; fields `T` ignores are appended to `ignored` as
/// (`spec.template.spec.foo`, mark of the key) in source order. Sequence elements appear in
/// paths as `containers[0]`.
pub fn from_node<T: DeserializeOwned>(
    file: &str,
    node: &Node,
    ignored: &mut Vec<(String, Mark)>,
) -> Result<T, LoadError> {
    let ctx = Ctx::default();
    let result = T::deserialize(De::new(node, &ctx, None));
    ignored.extend(ctx.ignored.into_inner());
    result.map_err(|e| LoadError::new(file, e.mark.unwrap_or(node.mark), e.message))
}

#[derive(Clone, Copy)]
pub(super) enum Seg<'de> {
    Key(&'de Node),
    Index(usize),
}

#[derive(Default)]
pub(super) struct Ctx<'de> {
    /// Where the deserializer is: keys and sequence indices from the root.
    path: RefCell<Vec<Seg<'de>>>,
    pub(super) ignored: RefCell<Vec<(String, Mark)>>,
}

impl<'de> Ctx<'de> {
    fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in self.path.borrow().iter() {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&k.key_text());
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// Push `seg` onto the path (undone by [`Ctx::leave`]). Not generic, not inlined: it runs
    /// around every element and value, in code compiled once per deserialized type.
    #[inline(never)]
    pub(super) fn enter(&self, seg: Seg<'de>) {
        self.path.borrow_mut().push(seg);
    }

    #[inline(never)]
    pub(super) fn leave(&self) {
        self.path.borrow_mut().pop();
    }
}

/// What a node hands to a visitor under `deserialize_any` (a `Value::Float` text already read
/// as a number).
enum Event<'de> {
    Unit,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(&'de str),
    Seq(&'de [Node]),
    Map(&'de [(Node, Node)]),
}

#[inline(never)]
fn event(node: &Node) -> Event<'_> {
    match &node.value {
        Value::Null => Event::Unit,
        Value::Bool(b) => Event::Bool(*b),
        Value::Int(i) => Event::I64(*i),
        Value::Float(text) => match scalar::number_for_any(text) {
            Number::I64(i) => Event::I64(i),
            Number::U64(u) => Event::U64(u),
            Number::F64(f) => Event::F64(f),
        },
        Value::Str { text, .. } => Event::Str(text),
        Value::Seq(items) => Event::Seq(items),
        Value::Map(entries) => Event::Map(entries),
    }
}

/// A node read as a string (see [`De::string`]).
pub(super) enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
    Collection,
}

#[inline(never)]
pub(super) fn text_of(node: &Node) -> Text<'_> {
    match &node.value {
        Value::Str { text, .. } | Value::Float(text) => Text::Borrowed(text),
        Value::Int(i) => Text::Owned(i.to_string()),
        Value::Bool(b) => Text::Borrowed(if *b { "true" } else { "false" }),
        Value::Null => Text::Borrowed(""),
        Value::Seq(_) | Value::Map(_) => Text::Collection,
    }
}

/// The error a visitor that does not accept `node` gives under `deserialize_any`: what serde's
/// default `visit_*` methods return ("invalid type: sequence, expected a string").
#[inline(never)]
pub(super) fn mismatch(node: &Node, expected: &dyn Expected) -> DeError {
    let unexpected = match event(node) {
        Event::Unit => Unexpected::Unit,
        Event::Bool(b) => Unexpected::Bool(b),
        Event::I64(i) => Unexpected::Signed(i),
        Event::U64(u) => Unexpected::Unsigned(u),
        Event::F64(f) => Unexpected::Float(f),
        Event::Str(s) => Unexpected::Str(s),
        Event::Seq(_) => Unexpected::Seq,
        Event::Map(_) => Unexpected::Map,
    };
    DeError::invalid_type(unexpected, expected)
}

/// The check after a visitor returned from a sequence: it must have taken every element.
#[inline(never)]
fn seq_rest(len: usize, rest: usize) -> Result<(), DeError> {
    if rest > 0 {
        return Err(DeError::invalid_length(
            len,
            &format!("{} elements in sequence", len - rest).as_str(),
        ));
    }
    Ok(())
}

/// The check after a visitor returned from a mapping: it must have taken every entry.
#[inline(never)]
fn map_rest(rest: &mut std::slice::Iter<'_, (Node, Node)>) -> Result<(), DeError> {
    match rest.next() {
        Some((k, _)) => {
            Err(DeError::custom(format!("unexpected key `{}`", k.key_text())).at(k.mark))
        }
        None => Ok(()),
    }
}

/// The deserializer for one node.
pub(crate) struct De<'a, 'de> {
    pub(super) node: &'de Node,
    pub(super) ctx: &'a Ctx<'de>,
    /// The mark of the key this node is the value of (reported for ignored fields).
    key_mark: Option<Mark>,
}

impl<'a, 'de> De<'a, 'de> {
    pub(super) fn new(node: &'de Node, ctx: &'a Ctx<'de>, key_mark: Option<Mark>) -> Self {
        De {
            node,
            ctx,
            key_mark,
        }
    }

    /// Record this node as a value the type being read has no field for (its dotted path and
    /// the mark of its key).
    #[inline(never)]
    pub(super) fn ignore(&self) {
        let path = self.ctx.path_string();
        if !path.is_empty() {
            let mark = self.key_mark.unwrap_or(self.node.mark);
            self.ctx.ignored.borrow_mut().push((path, mark));
        }
    }

    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match event(self.node) {
            Event::Seq(items) => self.seq(items, visitor),
            Event::Map(entries) => self.map(entries, visitor),
            _ => self.scalar(visitor),
        }
    }

    /// As [`De::any`] for a scalar; a collection is a [`mismatch`] (for requests whose visitors
    /// take no collection).
    fn scalar<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match event(self.node) {
            Event::Unit => visitor.visit_unit(),
            Event::Bool(b) => visitor.visit_bool(b),
            Event::I64(i) => visitor.visit_i64(i),
            Event::U64(u) => visitor.visit_u64(u),
            Event::F64(f) => visitor.visit_f64(f),
            Event::Str(s) => visitor.visit_borrowed_str(s),
            Event::Seq(_) | Event::Map(_) => Err(mismatch(self.node, &visitor)),
        }
    }

    /// A struct or map request: a mapping, or null as an empty one (as Go decodes null into a
    /// map or struct); anything else is a [`mismatch`].
    #[inline(always)]
    fn mapping<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let entries: &'de [(Node, Node)] = match &self.node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => return Err(mismatch(self.node, &visitor)),
        };
        self.map(entries, visitor)
    }

    /// A sequence request: a sequence, or null as an empty one (as Go decodes null into a
    /// slice); anything else is a [`mismatch`].
    #[inline(always)]
    fn sequence<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let items: &'de [Node] = match &self.node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => return Err(mismatch(self.node, &visitor)),
        };
        self.seq(items, visitor)
    }

    /// The visitor's result is returned where it was written and errors are changed in place
    /// ([`located`]): a struct's value is not moved again at each level, code that is compiled
    /// once per deserialized type.
    fn seq<V: Visitor<'de>>(self, items: &'de [Node], visitor: V) -> Result<V::Value, DeError> {
        let mut access = Seq {
            iter: items.iter().enumerate(),
            ctx: self.ctx,
        };
        let mut r = visitor.visit_seq(&mut access);
        if r.is_ok() {
            if let Err(e) = seq_rest(items.len(), access.iter.len()) {
                r = Err(e);
            }
        }
        r
    }

    /// As [`De::seq`].
    fn map<V: Visitor<'de>>(
        self,
        entries: &'de [(Node, Node)],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mut access = Map {
            iter: entries.iter(),
            pending: None,
            ctx: self.ctx,
        };
        let mut r = visitor.visit_map(&mut access);
        if r.is_ok() {
            if let Err(e) = map_rest(&mut access.iter) {
                r = Err(e);
            }
        }
        r
    }

    /// A scalar read as a string: plain scalars give their source text (`80`, `true`, `1.10`);
    /// null gives "" (as Go decodes null into a string field).
    fn string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match text_of(self.node) {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Owned(text) => visitor.visit_string(text),
            Text::Collection => Err(mismatch(self.node, &visitor)),
        }
    }

    /// An integer request: `Int` as `i64`, numbers too large for `i64` as `u64`/`i128`, and an
    /// out-of-range error naming the expected type beyond that.
    fn integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer_of(false, visitor)
    }

    /// [`De::integer`] for `i128`/`u128` requests.
    fn wide_integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer_of(true, visitor)
    }

    fn integer_of<V: Visitor<'de>>(self, wide: bool, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(text) if scalar::is_int_shaped(text) => {
                visit_int_text(text, wide, visitor)
            }
            _ => self.scalar(visitor),
        }
    }

    fn float<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Float(text) => match scalar::float_value(text) {
                Some(f) => visitor.visit_f64(f),
                None => self.scalar(visitor),
            },
            _ => self.scalar(visitor),
        }
    }
}

/// Attach `mark` to the error in `r` unless an inner node already did, in place (see
/// [`De::seq`]).
#[inline(always)]
pub(super) fn located<T>(mut r: Result<T, DeError>, mark: Mark) -> Result<T, DeError> {
    if let Err(e) = &mut r {
        e.locate(mark);
    }
    r
}

macro_rules! located {
    ($($method:ident => $imp:ident,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                let mark = self.node.mark;
                located(self.$imp(visitor), mark)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for De<'_, 'de> {
    type Error = DeError;

    located! {
        deserialize_any => any,
        deserialize_i8 => integer,
        deserialize_i16 => integer,
        deserialize_i32 => integer,
        deserialize_i64 => integer,
        deserialize_i128 => wide_integer,
        deserialize_u8 => integer,
        deserialize_u16 => integer,
        deserialize_u32 => integer,
        deserialize_u64 => integer,
        deserialize_u128 => wide_integer,
        deserialize_f32 => float,
        deserialize_f64 => float,
        deserialize_str => string,
        deserialize_string => string,
        deserialize_char => string,
        deserialize_identifier => string,
        deserialize_bool => scalar,
        deserialize_bytes => any,
        deserialize_byte_buf => any,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let mark = self.node.mark;
        located(
            match self.node.value {
                Value::Null => visitor.visit_none(),
                _ => visitor.visit_some(self),
            },
            mark,
        )
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mark = self.node.mark;
        located(visitor.visit_newtype_struct(self), mark)
    }

    /// Null reads as an empty sequence (as Go decodes null into a slice).
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let mark = self.node.mark;
        located(self.sequence(visitor), mark)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    /// Null reads as an empty mapping (as Go decodes null into a map or struct).
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let mark = self.node.mark;
        located(self.mapping(visitor), mark)
    }

    /// As a mapping; a sequence is a type error (serde would otherwise read it by position).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    /// Externally tagged: a scalar names a unit variant; a single-key mapping names the variant
    /// and holds its content.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mark = self.node.mark;
        let ctx = self.ctx;
        match &self.node.value {
            Value::Seq(_) => Err(DeError::invalid_type(Unexpected::Seq, &visitor)),
            Value::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                visitor.visit_enum(Enum {
                    variant: key,
                    value: Some(value),
                    ctx,
                })
            }
            Value::Map(entries) => Err(DeError::custom(format!(
                "invalid type: mapping with {} keys, expected enum {name} as a string or a \
                 mapping with a single key",
                entries.len()
            ))),
            _ => visitor.visit_enum(Enum {
                variant: self.node,
                value: None,
                ctx,
            }),
        }
        .map_err(|e| e.at(mark))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.ignore();
        visitor.visit_unit()
    }
}

struct Seq<'a, 'de> {
    iter: std::iter::Enumerate<std::slice::Iter<'de, Node>>,
    ctx: &'a Ctx<'de>,
}

impl<'de> SeqAccess<'de> for Seq<'_, 'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.iter.next() else {
            return Ok(None);
        };
        let ctx = self.ctx;
        ctx.enter(Seg::Index(i));
        let r = seed.deserialize(De::new(node, ctx, None));
        ctx.leave();
        r.map(Some).map_err(|e| e.at(node.mark))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct Map<'a, 'de> {
    iter: std::slice::Iter<'de, (Node, Node)>,
    pending: Option<&'de (Node, Node)>,
    ctx: &'a Ctx<'de>,
}

impl<'de> MapAccess<'de> for Map<'_, 'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.iter.next() else {
            return Ok(None);
        };
        self.pending = Some(entry);
        let key = &entry.0;
        seed.deserialize(KeyDe(De::new(key, self.ctx, None)))
            .map(Some)
            .map_err(|e| e.at(key.mark))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(DeError::custom("map value requested before its key"));
        };
        let ctx = self.ctx;
        ctx.enter(Seg::Key(key));
        let r = seed.deserialize(De::new(value, ctx, Some(key.mark)));
        ctx.leave();
        located(r, value.mark)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The deserializer for a mapping key: like a value, but a quoted key also reads as a number
/// (JSON object keys are strings, so `"80": x` must fill a `BTreeMap<u16, _>`).
pub(crate) struct KeyDe<'a, 'de>(pub(super) De<'a, 'de>);

macro_rules! key_numeric {
    ($($method:ident: $wide:expr,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                let de = self.0;
                match &de.node.value {
                    Value::Str { text, .. } if scalar::is_int_shaped(text) => {
                        let mark = de.node.mark;
                        visit_int_text(text, $wide, visitor).map_err(|e| e.at(mark))
                    }
                    _ => de.$method(visitor),
                }
            }
        )*
    };
}

macro_rules! key_forward {
    ($($method:ident,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.0.$method(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for KeyDe<'_, 'de> {
    type Error = DeError;

    key_numeric! {
        deserialize_i8: false, deserialize_i16: false, deserialize_i32: false,
        deserialize_i64: false, deserialize_i128: true, deserialize_u8: false,
        deserialize_u16: false, deserialize_u32: false, deserialize_u64: false,
        deserialize_u128: true,
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    /// A null key reads as "null" (as sigs.k8s.io/yaml turns it into a JSON key), not "".
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.node.value {
            Value::Null => visitor.visit_borrowed_str("null"),
            _ => self.0.deserialize_string(visitor),
        }
    }

    key_forward! {
        deserialize_any, deserialize_f32, deserialize_f64,
        deserialize_char, deserialize_bool, deserialize_bytes,
        deserialize_byte_buf, deserialize_option, deserialize_unit, deserialize_seq,
        deserialize_map, deserialize_ignored_any,
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mark = self.0.node.mark;
        visitor.visit_newtype_struct(self).map_err(|e| e.at(mark))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.0.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.0.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.0.deserialize_enum(name, variants, visitor)
    }
}

/// Access to an externally tagged enum: `variant` names it, `value` is its content (`None` for a
/// bare scalar, which can only be a unit variant).
struct Enum<'a, 'de> {
    variant: &'de Node,
    value: Option<&'de Node>,
    ctx: &'a Ctx<'de>,
}

impl<'a, 'de> EnumAccess<'de> for Enum<'a, 'de> {
    type Error = DeError;
    type Variant = Variant<'a, 'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), DeError> {
        let mark = self.variant.mark;
        let tag = seed
            .deserialize(De::new(self.variant, self.ctx, None))
            .map_err(|e| e.at(mark))?;
        Ok((
            tag,
            Variant {
                variant: self.variant,
                value: self.value,
                ctx: self.ctx,
            },
        ))
    }
}

struct Variant<'a, 'de> {
    variant: &'de Node,
    value: Option<&'de Node>,
    ctx: &'a Ctx<'de>,
}

impl<'de> Variant<'_, 'de> {
    fn content<R>(
        self,
        expected: &str,
        f: impl FnOnce(De<'_, 'de>) -> Result<R, DeError>,
    ) -> Result<R, DeError> {
        let Some(value) = self.value else {
            return Err(
                DeError::invalid_type(Unexpected::UnitVariant, &expected).at(self.variant.mark)
            );
        };
        let ctx = self.ctx;
        ctx.enter(Seg::Key(self.variant));
        let r = f(De::new(value, ctx, Some(self.variant.mark)));
        ctx.leave();
        r.map_err(|e| e.at(value.mark))
    }
}

impl<'de> VariantAccess<'de> for Variant<'_, 'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            None => Ok(()),
            Some(v) if v.value == Value::Null => Ok(()),
            Some(v) => Err(DeError::invalid_type(unexpected(v), &"unit variant").at(v.mark)),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        self.content("newtype variant", |de| seed.deserialize(de))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.content("tuple variant", |de| {
            de::Deserializer::deserialize_tuple(de, len, visitor)
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.content("struct variant", |de| {
            de::Deserializer::deserialize_struct(de, "", fields, visitor)
        })
    }
}

/// Visit an integer-shaped text as `i64` or `u64` (and, when `wide`, `i128`/`u128`); beyond
/// that, an out-of-range error naming the expected type.
fn visit_int_text<'de, V: Visitor<'de>>(
    text: &str,
    wide: bool,
    visitor: V,
) -> Result<V::Value, DeError> {
    match int_of_text(text, wide) {
        Some(Int::I64(i)) => visitor.visit_i64(i),
        Some(Int::U64(u)) => visitor.visit_u64(u),
        Some(Int::U128(u)) => visitor.visit_u128(u),
        Some(Int::I128(i)) => visitor.visit_i128(i),
        None => Err(out_of_range(text, &visitor)),
    }
}

enum Int {
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
}

/// The integer [`visit_int_text`] hands over; `None` when out of range.
#[inline(never)]
fn int_of_text(text: &str, wide: bool) -> Option<Int> {
    let v = scalar::int_value(text)?;
    if let Ok(i) = i64::try_from(v) {
        return Some(Int::I64(i));
    }
    if let Ok(u) = u64::try_from(v) {
        return Some(Int::U64(u));
    }
    if !wide {
        return None;
    }
    Some(match u128::try_from(v) {
        Ok(u) => Int::U128(u),
        Err(_) => Int::I128(v),
    })
}

#[inline(never)]
fn out_of_range(text: &str, expected: &dyn Expected) -> DeError {
    DeError::invalid_value(
        Unexpected::Other(&format!("integer `{text}` (out of range)")),
        expected,
    )
}

/// How serde names a node's kind in "invalid type" messages.
pub(super) fn unexpected(node: &Node) -> Unexpected<'_> {
    match &node.value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Int(i) => Unexpected::Signed(*i),
        Value::Float(text) => Unexpected::Other(text),
        Value::Str { text, .. } => Unexpected::Str(text),
        Value::Seq(_) => Unexpected::Seq,
        Value::Map(_) => Unexpected::Map,
    }
}
