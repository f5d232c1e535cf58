//! Embeds every `*.yaml` under this directory (scenarios and the manifests they load) so the
//! browser playground and the tests read the same bytes as the CLI.

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
    let mut code = String::from("/// (path relative to the repository root, contents)\npub static FILES: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        writeln!(code, "    (\"scenarios/{rel}\", include_str!({abs:?})),").unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(out, code).unwrap();
    println!("cargo:rerun-if-changed={}", root.display());
    for (_, abs) in &files {
        println!("cargo:rerun-if-changed={abs}");
    }
}
