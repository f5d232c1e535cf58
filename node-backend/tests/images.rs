//! Images: import of a multi-layer image with OCI whiteouts (a file deleted, an opaque
//! directory), its config (entrypoint, cmd, env, workdir), and a container that sees the
//! layers stacked.

mod common;
use common::Harness;
use std::time::Duration;

fn tar_layer(path: &std::path::Path, files: &[(&str, &str)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut b = tar::Builder::new(f);
    for (name, body) in files {
        let mut hdr = tar::Header::new_gnu();
        hdr.set_size(body.len() as u64);
        hdr.set_mode(0o644);
        hdr.set_uid(0);
        hdr.set_gid(0);
        hdr.set_mtime(0);
        hdr.set_cksum();
        b.append_data(&mut hdr, name, body.as_bytes()).unwrap();
    }
    b.finish().unwrap();
}

#[test]
fn whiteouts_hide_lower_layers() {
    let mut h = Harness::new("whiteout");
    let src = h.state.join("image-src");
    std::fs::create_dir_all(src.join("mid/a")).unwrap();
    std::fs::create_dir_all(src.join("mid/b")).unwrap();
    // The base: busybox's own layer (so the container has a shell).
    let store = h.agent().rt.images();
    let bb = store.get(cellsim_node::images::BUSYBOX).unwrap();
    let base = store.layer_dir(&bb.layers[0]);
    std::fs::write(src.join("mid/a/keep"), "keep").unwrap();
    std::fs::write(src.join("mid/a/gone"), "gone").unwrap();
    std::fs::write(src.join("mid/b/old1"), "old").unwrap();
    std::fs::write(src.join("mid/b/old2"), "old").unwrap();
    tar_layer(
        &src.join("top.tar"),
        &[
            ("a/.wh.gone", ""),
            ("b/.wh..wh..opq", ""),
            ("b/new", "new"),
            ("app/msg", "hi"),
        ],
    );
    std::fs::write(
        src.join("cellsim-image.json"),
        format!(
            r#"{{"layers": ["{}", "mid", "top.tar"],
               "config": {{"Entrypoint": ["sh", "-c"], "Cmd": ["echo $GREETING; ls /a /b; cat msg"],
                          "Env": ["PATH=/bin", "GREETING=hello"], "WorkingDir": "/app"}}}}"#,
            base.display()
        ),
    )
    .unwrap();
    let rec = h
        .agent()
        .rt
        .images()
        .import("test/layers:v1", &src)
        .unwrap();
    assert_eq!(rec.layers.len(), 3);
    let uid = h.run(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: layered}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: app, image: 'test/layers:v1'}\n",
    );
    let (code, _) = h.wait_exit(&uid, "app", Duration::from_secs(20));
    let t = h.target(&uid, "app").unwrap();
    let logs = h.logs(&t);
    assert_eq!(code, 0, "{logs:?}");
    assert_eq!(
        logs,
        vec!["hello", "/a:", "keep", "", "/b:", "new", "hi"],
        "whiteouts applied (a/gone deleted, b opaque), config used"
    );
    let listed: Vec<String> = h
        .agent()
        .rt
        .images()
        .list()
        .unwrap()
        .iter()
        .map(|r| r.reference())
        .collect();
    assert!(listed.contains(&"test/layers:v1".to_string()));
    h.agent().rt.images().remove("test/layers:v1").unwrap();
    h.finish();
}

#[test]
fn a_missing_image_is_a_start_error_with_exit_128() {
    let mut h = Harness::new("noimage");
    let uid = h.run(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: app, image: 'nope/missing:v9'}\n",
    );
    let (code, _) = h.wait_exit(&uid, "app", Duration::from_secs(20));
    assert_eq!(code, 128);
    assert!(h
        .agent()
        .events
        .iter()
        .any(|e| e.reason == "RuntimeError" && e.message.contains("nope/missing:v9")));
    h.finish();
}
