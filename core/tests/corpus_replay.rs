//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) and the crash reproducers
//! (`fuzz/regressions/<target>/`) through the fuzz targets' own code
//! (`cellsim_core::fuzzing`), so every input the fuzzer kept is checked by `cargo test` without
//! a nightly toolchain. See `fuzz/README.md`.

use std::path::Path;

/// Run `target` on every file under `fuzz/<dir>/<name>/`; returns how many there were.
fn replay(dir: &str, name: &str, target: fn(&[u8])) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join(name);
    let Ok(entries) = std::fs::read_dir(&path) else {
        return 0;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        // A panic names the input that caused it.
        let result = std::panic::catch_unwind(|| target(&data));
        assert!(
            result.is_ok(),
            "fuzz target {name} failed on {}",
            f.display()
        );
    }
    files.len()
}

#[test]
fn scenario_load_corpus() {
    let n = replay(
        "corpus",
        "scenario_load",
        cellsim_core::fuzzing::scenario_load,
    );
    assert!(n >= 50, "fuzz/corpus/scenario_load has only {n} inputs");
    replay(
        "regressions",
        "scenario_load",
        cellsim_core::fuzzing::scenario_load,
    );
}

#[test]
fn quantity_parse_corpus() {
    let n = replay(
        "corpus",
        "quantity_parse",
        cellsim_core::fuzzing::quantity_parse,
    );
    assert!(n >= 20, "fuzz/corpus/quantity_parse has only {n} inputs");
    replay(
        "regressions",
        "quantity_parse",
        cellsim_core::fuzzing::quantity_parse,
    );
}

/// The reproducers of bugs the fuzzer found stay fixed.
#[test]
fn regressions_are_present() {
    let n = replay(
        "regressions",
        "quantity_parse",
        cellsim_core::fuzzing::quantity_parse,
    );
    assert!(n >= 1, "fuzz/regressions/quantity_parse is empty");
}
