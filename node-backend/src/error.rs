//! The library's error type.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("image {0:?} is not in the local image store (add it with `cellsim image import NAME:TAG DIR|TAR`; `cellsim image ls` lists the store)")]
    ImageNotFound(String),
    #[error("invalid image reference {0:?}: expected NAME:TAG")]
    BadImageRef(String),
    #[error("{0}")]
    Invalid(String),
    #[error("container setup failed: {0}")]
    Setup(String),
    #[error("network: {0}")]
    Net(String),
    #[error("this needs root (effective uid 0): {0}")]
    NotRoot(String),
    #[error("json {what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// Wrap an io::Error with what was being done (`io("open", path)`).
pub fn io(verb: &str, path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> Error {
    let what = format!("{verb} {}", path.as_ref().display());
    move |source| Error::Io { what, source }
}

pub fn json(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> Error {
    let what = what.into();
    move |source| Error::Json { what, source }
}
