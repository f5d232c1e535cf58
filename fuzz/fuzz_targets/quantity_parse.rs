//! Arbitrary bytes as a Kubernetes quantity: parsing never panics, and a parsed quantity prints as
//! text that parses back to the same value. The body is `cellsim_core::fuzzing::quantity_parse`,
//! which `core/tests/corpus_replay.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cellsim_core::fuzzing::quantity_parse(data));
