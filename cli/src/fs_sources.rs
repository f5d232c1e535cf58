//! Scenario files from the file system.

use cellsim_core::scenario::Sources;

/// Reads paths as given (relative to the working directory).
pub struct FsSources;

impl Sources for FsSources {
    fn read(&self, path: &str) -> Result<String, String> {
        match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let valid = std::str::from_utf8(valid).unwrap_or_default();
                let line = valid.matches('\n').count() + 1;
                let column = valid.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                format!(
                    "not valid UTF-8 text (first invalid byte at line {line}, column {column}; \
                     is this a binary file?)"
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("no such file".into()),
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err("is a directory".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}
