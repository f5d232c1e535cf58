//! Static pods: the agent runs the pod manifests of a directory (the kubelet's
//! `--pod-manifest-path`, `staticPodPath`). A new or changed file starts a pod, a removed
//! file stops it; a file that does not load is reported and skipped. The pod uid is a hash
//! of the node, the file name and its content (the kubelet hashes the manifest likewise), so
//! an agent restarted on the same directory finds the same uids and re-adopts the pods.

use crate::agent::Agent;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// FNV-1a 64.
fn fnv(data: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in data {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub fn static_uid(node: &str, file: &Path, content: &[u8]) -> String {
    let mut d = node.as_bytes().to_vec();
    d.push(0);
    d.extend_from_slice(file.to_string_lossy().as_bytes());
    d.push(0);
    d.extend_from_slice(content);
    format!("{:016x}{:016x}", fnv(&d, 0), fnv(&d, 0x9e37_79b9))
}

/// Which file runs which pod uid.
#[derive(Default)]
pub struct StaticPods {
    pub running: BTreeMap<PathBuf, String>,
    /// Files that failed to load, with the error (reported once per content).
    pub failed: BTreeMap<PathBuf, String>,
}

impl StaticPods {
    /// Reconcile the agent with the directory; returns new load errors.
    pub fn sync(&mut self, agent: &mut Agent, dir: &Path, node: &str) -> Vec<String> {
        let mut errors = Vec::new();
        let mut want: BTreeMap<PathBuf, String> = BTreeMap::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            })
            .collect();
        files.sort();
        for f in files {
            let Ok(content) = std::fs::read(&f) else {
                continue;
            };
            let uid = static_uid(node, &f, &content);
            if self.running.get(&f) == Some(&uid) {
                want.insert(f, uid);
                continue;
            }
            match crate::manifest::load_pod(&f.to_string_lossy(), node, &uid) {
                Ok((pod, extras)) => {
                    self.failed.remove(&f);
                    if agent.worker(&uid).is_none() {
                        agent.add_pod(pod, extras);
                    }
                    want.insert(f, uid);
                }
                Err(e) => {
                    let msg = e.to_string();
                    if self.failed.get(&f) != Some(&msg) {
                        errors.push(msg.clone());
                        self.failed.insert(f, msg);
                    }
                }
            }
        }
        for (f, uid) in &self.running {
            if want.get(f) != Some(uid) {
                agent.delete_pod(uid);
            }
        }
        // Adopted pods whose manifest is gone (or changed) stop too.
        for uid in agent.uids() {
            if !want.values().any(|u| *u == uid) {
                agent.delete_pod(&uid);
            }
        }
        self.running = want;
        agent.remove_finished();
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_depend_on_node_file_and_content() {
        let a = static_uid("n", Path::new("/m/a.yaml"), b"x");
        assert_eq!(a, static_uid("n", Path::new("/m/a.yaml"), b"x"));
        assert_ne!(a, static_uid("n", Path::new("/m/a.yaml"), b"y"));
        assert_ne!(a, static_uid("m", Path::new("/m/a.yaml"), b"x"));
        assert_eq!(a.len(), 32);
    }
}
