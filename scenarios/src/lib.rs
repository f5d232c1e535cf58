//! The scenario library: every `scenarios/**/*.yaml`, embedded at build time, and the sources
//! adapter that lets core load them without a file system (the browser does exactly this).

use cellsim_core::scenario::Sources;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Every embedded file: (path relative to the repository root, contents).
pub fn files() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
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
    serde_json::to_string(&sim.report()).map_err(|e| e.to_string())
}
