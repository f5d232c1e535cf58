//! The embedded (deflated) library holds exactly the YAML files on disk, byte for byte.

use std::path::Path;

fn on_disk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let rel = format!("{rel}/{name}");
        if e.path().is_dir() {
            if !["src", "tests", "target"].contains(&name.as_str()) {
                on_disk(&e.path(), &rel, out);
            }
        } else if name.ends_with(".yaml") {
            out.push((rel, std::fs::read_to_string(e.path()).unwrap()));
        }
    }
}

#[test]
fn every_yaml_file_is_embedded_unchanged_and_in_path_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut disk = Vec::new();
    on_disk(root, "scenarios", &mut disk);
    disk.sort();
    let embedded: Vec<(String, String)> = cellsim_scenarios::files()
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    assert!(disk.len() > 30, "{} files on disk", disk.len());
    let paths: Vec<&String> = embedded.iter().map(|(p, _)| p).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "files() is in path order");
    assert_eq!(embedded, disk);
    // Later calls hand out the same inflated text, not a second copy.
    assert!(std::ptr::eq(
        cellsim_scenarios::files(),
        cellsim_scenarios::files()
    ));
}
