//! The parsed tree: [`Node`], [`Value`] and source positions ([`Mark`]).

use std::borrow::Cow;
use std::fmt;

use super::scalar;

/// A position in a source file (1-based line and column; columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Mark {
    pub line: u32,
    pub column: u32,
}

impl Mark {
    pub fn new(line: u32, column: u32) -> Self {
        Mark { line, column }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parsed YAML node with its span start; mappings keep insertion order and their key marks.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub mark: Mark,
    pub value: Value,
}

/// The typed content of a [`Node`] (YAML 1.2 core schema).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// An integer that fits `i64` (decimal, `0x` hex or `0o` octal in the source).
    Int(i64),
    /// A number kept as its source text: a float (`1.5`, `1e3`, `.inf`, `-.Inf`, `.nan`), or an
    /// integer too large for `i64` (the deserializer still reads it into `u64`/`i128`/`u128`).
    Float(String),
    /// A string. `plain` is true for an unquoted (plain style) scalar that did not resolve to
    /// another type; quoted and block (`|`, `>`) scalars have `plain == false`.
    Str {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Entries in source order (merge keys `<<` already applied); keys are unique.
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn new(mark: Mark, value: Value) -> Self {
        Node { mark, value }
    }

    /// The value of the first entry whose key's text (see [`Node::scalar_text`]) is `key`; `None`
    /// when this is not a mapping or there is no such key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.scalar_text().is_some_and(|t| t == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string scalar (quoted or plain); `None` for any other kind of node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The text of any scalar as a string: strings as they are, `Float` as its source text,
    /// `Int` in decimal, `Bool` as `true`/`false`, `Null` as `null`. `None` for collections.
    pub fn scalar_text(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            Value::Str { text, .. } => Some(Cow::Borrowed(text)),
            Value::Float(text) => Some(Cow::Borrowed(text)),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Null => Some(Cow::Borrowed("null")),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The text that identifies this node as a mapping key (for duplicate detection and JSON
    /// object keys): [`Node::scalar_text`] for scalars, compact JSON-like text for a collection
    /// (`["a",1]`, `{"k":"v"}`; keys inside it are written as structure, not re-quoted, so the
    /// text stays linear in the size of the key).
    pub fn key_text(&self) -> String {
        match self.scalar_text() {
            Some(t) => t.into_owned(),
            None => {
                let mut out = String::new();
                self.write_flow(&mut out);
                out
            }
        }
    }

    fn write_flow(&self, out: &mut String) {
        match &self.value {
            Value::Str { text, .. } => {
                // A JSON string literal (the escapes serde_json writes everywhere else).
                out.push_str(&serde_json::to_string(text.as_str()).unwrap_or_default())
            }
            Value::Seq(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_flow(out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    k.write_flow(out);
                    out.push(':');
                    v.write_flow(out);
                }
                out.push('}');
            }
            _ => out.push_str(&self.scalar_text().unwrap_or_default()),
        }
    }

    /// A short description of the node's kind for messages ("a mapping", "a string", ...).
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str { .. } => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// The node as JSON (for storing raw objects). Mapping keys become strings
    /// ([`Node::key_text`]); integers too large for `i64`/`u64` become floats; `.inf`/`.nan`
    /// (not representable in JSON) become their source text as a string.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(text) => match scalar::number_for_any(text) {
                scalar::Number::U64(u) => J::from(u),
                scalar::Number::I64(i) => J::from(i),
                scalar::Number::F64(f) => serde_json::Number::from_f64(f)
                    .map(J::Number)
                    .unwrap_or_else(|| J::String(text.clone())),
            },
            Value::Str { text, .. } => J::String(text.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A node from JSON (the inverse of [`Node::to_json`] for what JSON can hold), for tests
    /// that write their YAML input as `json!`: strings become quoted strings, numbers their
    /// integer or float form, every mark line 0 column 0.
    #[cfg(test)]
    pub fn from_json(v: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.to_string()),
            },
            J::String(text) => Value::Str {
                text: text.clone(),
                plain: false,
            },
            J::Array(items) => Value::Seq(items.iter().map(Node::from_json).collect()),
            J::Object(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (Node::from_json(&J::String(k.clone())), Node::from_json(v)))
                    .collect(),
            ),
        };
        Node::new(Mark::default(), value)
    }
}
