//! cellsim-web: the cellsim core compiled to WebAssembly and exposed to JavaScript.
//!
//! `scripts/build-wasm.sh` builds this crate for `wasm32-unknown-unknown` and binds it with
//! wasm-bindgen for the browser (`target/wasm-dist/web/`) and for Node.js
//! (`target/wasm-dist/node/`). Every export is a plain function of its arguments, so the same
//! input gives the same output natively and in wasm; `scripts/wasm-determinism.mjs` checks that.

use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

/// The version of the cellsim crates this module was built from.
#[wasm_bindgen]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Lower-case hex sha256 of the UTF-8 bytes of `data`, as `sha256sum` prints it.
#[wasm_bindgen]
pub fn sha256_hex(data: &str) -> String {
    let digest = Sha256::digest(data.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input_matches_sha256sum() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn sha256_matches_the_fips_180_2_abc_vector() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn core_version_is_the_workspace_version() {
        assert_eq!(core_version(), env!("CARGO_PKG_VERSION"));
    }
}
