//! cellsim-web: the playground. The cellsim core compiled to WebAssembly and driven from a Yew
//! app in the page, plus the plain entry points the Node.js determinism check uses.
//!
//! `scripts/build-web.sh` builds the app for the browser (`target/wasm-dist/web/`, the static
//! files `cellsim serve` embeds and any web server can serve); `scripts/build-wasm.sh` builds
//! the same crate bound for Node.js (`target/wasm-dist/node/`), where
//! `scripts/wasm-determinism.mjs` checks that every built-in scenario gives the same
//! `traceHash` as `cellsim run --json` natively.
//!
//! The modules below `app` are plain Rust over `cellsim-core` and are tested natively:
//! `session` (stepping a run, samples, the trace, what-if replay), `timeline_edit` (what-if
//! actions as timeline entries in the scenario text), `share` (links; `deflate` and
//! `base64url` encode them), `planner` (`plan`, `compact` and `compare` one simulation per
//! step).

// The panels' render functions are compiled for size in the wasm build (`optimize(size)`, a
// nightly attribute the wasm toolchain enables), except the cluster view's and the line
// charts', which draw 1,000 nodes and thousands of samples in a frame; the model's update
// (the frame loop) stays at the crate's `s` (docs/benchmarks.md, "Session 10"). So are the
// share link's encoders (`deflate`, `base64url`), which run once per click.
#![cfg_attr(target_arch = "wasm32", feature(optimize_attribute))]

pub mod app;
pub mod base64url;
pub mod deflate;
pub mod planner;
pub mod session;
pub mod share;
pub mod timeline_edit;
pub mod trace_line;

use wasm_bindgen::prelude::*;

/// The version of the cellsim crates this module was built from.
#[wasm_bindgen]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// `metadata.name`-style names of the built-in scenarios (their file stems).
#[wasm_bindgen]
pub fn scenario_names() -> Vec<String> {
    cellsim_scenarios::scenario_paths()
        .into_iter()
        .map(|p| {
            p.trim_start_matches("scenarios/")
                .trim_end_matches(".yaml")
                .to_string()
        })
        .collect()
}

/// Run a built-in scenario to the end; returns the JSON report (the `cellsim run --json`
/// contract). `seed` overrides the scenario's own seed.
#[wasm_bindgen]
pub fn run_builtin(name: &str, seed: Option<u64>) -> Result<String, JsError> {
    cellsim_scenarios::run_builtin_json(name, seed).map_err(|e| JsError::new(&e))
}

/// Run a scenario given as YAML text (the file `name`) to the end; returns the JSON report, as
/// `run_builtin` does. For timing and profiling the core in wasm outside the page
/// (`scripts/wasm-run.mjs`); only `name` can be read, so it must not `include:` other files.
#[wasm_bindgen]
pub fn run_yaml(name: &str, text: &str, seed: Option<u64>) -> Result<String, JsError> {
    let source = OneFile { name, text };
    let opts = cellsim_core::sim::RunOptions {
        seed,
        ..Default::default()
    };
    let sim = cellsim_core::run_scenario(name, &source, &opts)
        .map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string_pretty(&sim.report()).map_err(|e| JsError::new(&e.to_string()))
}

/// Core's `Sources` over one file's text.
struct OneFile<'a> {
    name: &'a str,
    text: &'a str,
}

impl cellsim_core::scenario::load::Sources for OneFile<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        if path == self.name {
            Ok(self.text.to_string())
        } else {
            Err(format!("only {} is available here", self.name))
        }
    }
}

/// Mount the playground on the page's `<body>` (called by `index.html` after the module
/// loaded; not on load, so the Node.js bindings never touch a DOM).
#[wasm_bindgen]
pub fn start_playground() {
    app::mount();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_runs_natively_through_the_web_entry_point() {
        let names = scenario_names();
        assert!(names.contains(&"quickstart".to_string()), "{names:?}");
        for n in names {
            let json = cellsim_scenarios::run_builtin_json(&n, None)
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(json.contains("\"traceHash\""), "{n}");
        }
    }

    #[test]
    fn core_version_is_the_workspace_version() {
        assert_eq!(core_version(), env!("CARGO_PKG_VERSION"));
    }
}
