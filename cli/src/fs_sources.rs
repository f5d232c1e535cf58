//! Scenario files from the file system.

use cellsim_core::scenario::Sources;

/// Reads paths as given (relative to the working directory).
pub struct FsSources;

impl Sources for FsSources {
    fn read(&self, path: &str) -> Result<String, String> {
        match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| "not valid UTF-8 text".to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("no such file".into()),
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err("is a directory".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}
