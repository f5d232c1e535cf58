//! Embeds every `*.yaml` under this directory (scenarios and the manifests they load) so the
//! browser playground and the tests read the same bytes as the CLI.
//!
//! The files go in as one raw-deflate stream (`library.deflate`) plus a table of their paths
//! and byte ranges in the inflated text: 143 KB of YAML were a tenth of the playground's wasm
//! module as plain strings, about 20 KB deflated (docs/benchmarks.md, "Session 10").

use std::fmt::Write;
use std::path::Path;

fn collect(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read scenarios dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        let rel_path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            if name != "src" && name != "tests" && name != "target" {
                collect(&path, &rel_path, out);
            }
        } else if name.ends_with(".yaml") {
            out.push((rel_path, path.display().to_string()));
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(root, "", &mut files);
    let mut text = String::new();
    let mut code = String::from(
        "/// (path relative to the repository root, start, end): each file's bytes in the inflated\n\
         /// library text.\npub static INDEX: &[(&str, usize, usize)] = &[\n",
    );
    for (rel, abs) in &files {
        let contents = std::fs::read_to_string(abs).expect("read an embedded scenario file");
        let start = text.len();
        text.push_str(&contents);
        writeln!(code, "    (\"scenarios/{rel}\", {start}, {}),", text.len()).unwrap();
    }
    code.push_str("];\n");
    writeln!(
        code,
        "/// The inflated library's length, to check the inflated text against."
    )
    .unwrap();
    writeln!(code, "pub const LEN: usize = {};", text.len()).unwrap();
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // Level 10: miniz's best; the stream is inflated once per process.
    let z = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 10);
    std::fs::write(out_dir.join("library.deflate"), z).unwrap();
    code.push_str("/// Every file's text, concatenated, as one raw-deflate stream.\n");
    code.push_str("pub static DEFLATED: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/library.deflate\"));\n");
    std::fs::write(out_dir.join("embedded.rs"), code).unwrap();
    println!("cargo:rerun-if-changed={}", root.display());
    for (_, abs) in &files {
        println!("cargo:rerun-if-changed={abs}");
    }
}
