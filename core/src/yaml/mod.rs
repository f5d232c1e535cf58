//! YAML loading with located errors: every scenario file and Kubernetes manifest goes through here.
//!
//! [`parse_documents`] turns text into [`Node`] trees (one per `---`-separated document) and
//! [`from_node`] deserializes a node into any serde type; [`from_str_multi`] does both. Every
//! failure is a [`LoadError`] "FILE:LINE:COL: message" that says what was expected. No input
//! panics.
//!
//! Parsing rules:
//! - Scalars follow the YAML 1.2 core schema (see `scalar.rs`); quoted and block scalars are
//!   always strings. Core tags (`!!str`, `!!int`, ...) are honoured; other tags are ignored.
//! - Documents whose root is null (empty, only comments, `~`) are skipped.
//! - Duplicate mapping keys are an error, as with sigs.k8s.io/yaml (strict); keys are compared by
//!   their text, so `1` and `"1"` collide (they would in JSON).
//! - Anchors and aliases: an alias is a copy of the anchored node; the copy's root takes the
//!   alias's mark, nodes inside keep the marks of the anchored text. Merge keys `<<` take a
//!   mapping or a list of mappings; keys of the mapping itself win, then earlier sources.
//! - At most [`MAX_DEPTH`] levels of nesting, and at most [`ALIAS_BUDGET`] nodes copied by
//!   aliases per call.
//!
//! Deserializing is lenient where Kubernetes (Go's decoders) is: a plain scalar read as a string
//! is its text (`port: 80` into a `String` gives "80"); null read as a string, sequence, map or
//! struct is "" or empty; a quoted string read as a number is an error naming the expected type.

pub(crate) mod compact;
mod de;
pub(crate) mod decode;
mod error;
mod float_text;
mod hand_decoded;
mod node;
mod parse;
mod scalar;

#[cfg(test)]
mod tests;

pub use de::from_node;
pub(crate) use de::De;
pub(crate) use decode::{decode_node, Decode};
pub(crate) use error::DeError;
pub use error::LoadError;
pub use node::{Mark, Node, Value};
pub use parse::{parse_documents, ALIAS_BUDGET, MAX_DEPTH};

/// Parse `text` and deserialize each document into `T`, with the mark of each document's root.
/// Fields that `T` ignores are appended to `ignored` (see [`from_node`]).
pub fn from_str_multi<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    ignored: &mut Vec<(String, Mark)>,
) -> Result<Vec<(Mark, T)>, LoadError> {
    parse_documents(file, text)?
        .iter()
        .map(|doc| Ok((doc.mark, from_node(file, doc, ignored)?)))
        .collect()
}
