//! Embed the playground's static files (target/wasm-dist/web, made by scripts/build-wasm.sh)
//! into the binary for `cellsim serve`, when they exist. Without them (a clean clone, or CI
//! before the wasm build) the CLI still builds; `serve` then says how to build the playground.
//! `CELLSIM_WEB_DIST` names another directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, base, out);
        } else if let Ok(rel) = p.strip_prefix(base) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((rel, p));
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=CELLSIM_WEB_DIST");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = std::env::var_os("CELLSIM_WEB_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target/wasm-dist/web"));
    // A missing path makes cargo re-run this script on every build, so the files are picked
    // up as soon as they are built; an existing directory is watched for changes.
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut list = Vec::new();
    if dist.join("index.html").is_file() {
        files(&dist, &dist, &mut list);
    }
    let mut code = String::from(
        "/// The playground's files: (path, bytes).\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for (rel, path) in &list {
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("web_assets.rs");
    std::fs::write(out, code).expect("write web_assets.rs");
}
