//! Arbitrary bytes as a scenario file (a fixed manifest behind `{file: manifests/...}`): loading
//! must never panic, and every error must be located and one line. The body is
//! `cellsim_core::fuzzing::scenario_load`, which `core/tests/corpus_replay.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cellsim_core::fuzzing::scenario_load(data));
