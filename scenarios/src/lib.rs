//! The scenario library: every `scenarios/**/*.yaml`, embedded at build time, and the sources
//! adapter that lets core load them without a file system (the browser does exactly this).

use std::sync::OnceLock;

use cellsim_core::scenario::Sources;

pub mod inflate;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Every embedded file: (path relative to the repository root, contents), in path order.
///
/// The library is stored deflated (see `build.rs`); the first call inflates it once for the
/// life of the process (about 143 KB) and every later call returns the same slices.
pub fn files() -> &'static [(&'static str, &'static str)] {
    static FILES: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let text = inflate_library(embedded::DEFLATED, embedded::LEN);
        let text: &'static str = Box::leak(text.into_boxed_str());
        embedded::INDEX
            .iter()
            .map(|&(path, start, end)| (path, &text[start..end]))
            .collect()
    })
}

/// The library's text from its deflated bytes. Both come from this crate's build script, so a
/// failure here is a build defect, not bad input: it panics with what went wrong.
fn inflate_library(deflated: &[u8], len: usize) -> String {
    let bytes = inflate::inflate(deflated, len)
        .unwrap_or_else(|e| panic!("the embedded scenario library does not inflate: {e}"));
    assert_eq!(
        bytes.len(),
        len,
        "the embedded scenario library inflated to the wrong length"
    );
    String::from_utf8(bytes).expect("the embedded scenario library is UTF-8")
}

/// Paths of the scenarios (top-level `scenarios/*.yaml` files of kind Scenario).
pub fn scenario_paths() -> Vec<&'static str> {
    files()
        .iter()
        .filter(|(p, text)| p.matches('/').count() == 1 && text.contains("kind: Scenario"))
        .map(|(p, _)| *p)
        .collect()
}

/// Find a built-in scenario by `metadata.name` (or by path).
pub fn find(name: &str) -> Option<&'static str> {
    scenario_paths().into_iter().find(|p| {
        *p == name
            || p.trim_start_matches("scenarios/").trim_end_matches(".yaml") == name
            || files()
                .iter()
                .any(|(q, t)| q == p && t.contains(&format!("name: {name}\n")))
    })
}

/// Core's `Sources` over the embedded files.
pub struct Embedded;

impl Sources for Embedded {
    fn read(&self, path: &str) -> Result<String, String> {
        files()
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| t.to_string())
            .ok_or_else(|| "not among the embedded scenario files".to_string())
    }
}

/// Run a built-in scenario to the end and return its report as JSON (what the playground and
/// the wasm determinism test call).
pub fn run_builtin_json(name: &str, seed: Option<u64>) -> Result<String, String> {
    let path = find(name).ok_or_else(|| format!("no built-in scenario {name:?}"))?;
    let opts = cellsim_core::sim::RunOptions {
        seed,
        ..Default::default()
    };
    let sim = cellsim_core::run_scenario(path, &Embedded, &opts).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&sim.report()).map_err(|e| e.to_string())
}
