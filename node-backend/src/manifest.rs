//! Pod manifests for the node: one Pod object from a YAML file, decoded and checked by the
//! core's loader (errors carry `file:line:col`), plus the node-side extras the core model
//! does not keep (security contexts).

use crate::container::PodExtras;
use cellsim_core::api::pod::Pod;
use cellsim_core::api::Object;
use cellsim_core::scenario::Sources;
use cellsim_core::yaml::{LoadError, Mark};

struct Fs;

impl Sources for Fs {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::InvalidData => "not valid UTF-8 text".to_string(),
            _ => e.to_string(),
        })
    }
}

/// Load the one Pod of `path`, with API defaulting applied (requests from limits) and the
/// namespace defaulted; `node` becomes its `spec.nodeName` and `uid` its uid.
pub fn load_pod(path: &str, node: &str, uid: &str) -> Result<(Pod, PodExtras), LoadError> {
    let (objects, _ignored) = cellsim_core::scenario::load_manifest(path, &Fs)?;
    let at_start = Mark { line: 1, column: 1 };
    let mut pods: Vec<Pod> = objects
        .into_iter()
        .filter_map(|o| match o {
            Object::Pod(p) => Some(p),
            _ => None,
        })
        .collect();
    if pods.len() != 1 {
        return Err(LoadError::new(
            path,
            at_start,
            format!("expected exactly one Pod (kind: Pod), found {}", pods.len()),
        ));
    }
    let mut pod = pods.remove(0);
    if pod.spec.containers.is_empty() {
        return Err(LoadError::new(
            path,
            at_start,
            "spec.containers: Required value",
        ));
    }
    let text = Fs.read(path).unwrap_or_default();
    let docs = cellsim_core::yaml::parse_documents(path, &text)?;
    let doc = docs
        .iter()
        .map(|d| d.to_json())
        .find(|j| j["kind"] == "Pod")
        .unwrap_or_default();
    cellsim_core::admission::pod_defaults::apply(&mut pod);
    if pod.metadata.namespace.is_empty() {
        pod.metadata.namespace = "default".into();
    }
    pod.metadata.uid = uid.to_string();
    pod.spec.node_name = node.to_string();
    Ok((pod, PodExtras::from_manifest(&doc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> String {
        let p =
            std::env::temp_dir().join(format!("cellsim-manifest-{}-{name}", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }

    #[test]
    fn a_pod_loads_with_defaults_and_extras() {
        let p = write(
            "ok.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  securityContext: {runAsUser: 1000}\n  containers:\n  - name: app\n    image: cellsim/busybox\n    securityContext: {capabilities: {drop: [KILL]}}\n    resources: {limits: {memory: 64Mi}}\n",
        );
        let (pod, extras) = load_pod(&p, "n1", "u1").unwrap();
        assert_eq!(pod.metadata.namespace, "default");
        assert_eq!(pod.metadata.uid, "u1");
        assert_eq!(pod.spec.node_name, "n1");
        assert!(pod.spec.containers[0]
            .resources
            .requests
            .contains_key("memory"));
        let sec = &extras.security["app"];
        assert_eq!(sec.run_as_user, Some(1000));
        assert_eq!(sec.cap_drop, vec!["KILL".to_string()]);
        std::fs::remove_file(p).unwrap();
    }

    #[test]
    fn malformed_manifests_fail_with_a_location() {
        let p = write(
            "bad.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: app\n    image: [oops\n",
        );
        let e = load_pod(&p, "n1", "u1").unwrap_err().to_string();
        assert!(e.starts_with(&format!("{p}:")), "{e}");
        let p2 = write(
            "two.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        );
        let e = load_pod(&p2, "n1", "u1").unwrap_err().to_string();
        assert!(e.contains(":1:1: expected exactly one Pod"), "{e}");
        std::fs::remove_file(p).unwrap();
        std::fs::remove_file(p2).unwrap();
    }
}
