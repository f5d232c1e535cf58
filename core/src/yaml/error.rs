//! [`LoadError`], the located error every loader returns, and the deserializer's internal error.

use std::fmt;

use super::node::Mark;

/// A located error: "FILE:LINE:COL: message" (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct LoadError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl LoadError {
    /// Control characters in `message` (which may quote the input: a key `"a\nb"`) are escaped
    /// (`\n`, `\u{1b}`), so the error is always one line and cannot drive a terminal.
    pub fn new(file: &str, mark: Mark, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.chars().any(char::is_control) {
            message = message
                .chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
        }
        LoadError {
            file: file.to_string(),
            line: mark.line,
            column: mark.column,
            message,
        }
    }

    /// The position this error points at.
    pub fn mark(&self) -> Mark {
        Mark::new(self.line, self.column)
    }
}

/// The serde error of the node deserializer: a message and, once known, the mark of the innermost
/// node that was being deserialized when it happened.
#[derive(Debug)]
pub(crate) struct DeError {
    pub(crate) mark: Option<Mark>,
    pub(crate) message: String,
}

impl DeError {
    /// Attach `mark` unless an inner node already did.
    pub(crate) fn at(mut self, mark: Mark) -> Self {
        self.locate(mark);
        self
    }

    /// [`DeError::at`] in place.
    pub(crate) fn locate(&mut self, mark: Mark) {
        if self.mark.is_none() {
            self.mark = Some(mark);
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl serde::de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            mark: None,
            message: msg.to_string(),
        }
    }
}
