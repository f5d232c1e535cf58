//! The pod sandbox, runtime side: the pod's files (the init layer: /etc/hosts, /etc/hostname,
//! /etc/resolv.conf) and starting the pause process through the helper.

use crate::error::{io, Error, Result};
use crate::spec::SandboxSpec;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// kubelet pkg/kubelet/kubelet_pods.go `managedHostsHeader` and its default entries.
pub fn hosts_file(hostname: &str, ip: &str) -> String {
    format!(
        "# Kubernetes-managed hosts file.\n\
         127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         fe00::0\tip6-mcastprefix\n\
         fe00::1\tip6-allnodes\n\
         fe00::2\tip6-allrouters\n\
         {ip}\t{hostname}\n"
    )
}

/// Write the pod's etc files into `dir` (bind-mounted read-only into every container).
pub fn write_etc(dir: &Path, hostname: &str, ip: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io("mkdir", dir))?;
    std::fs::write(dir.join("hosts"), hosts_file(hostname, ip)).map_err(io("write", dir))?;
    std::fs::write(dir.join("hostname"), format!("{hostname}\n")).map_err(io("write", dir))?;
    // dnsPolicy Default: the node's resolver configuration (there is no cluster DNS).
    let resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    std::fs::write(dir.join("resolv.conf"), resolv).map_err(io("write", dir))?;
    Ok(())
}

/// Run the helper and read its one-line answer: `ok <pid>` or `error <why>`.
pub fn run_helper(
    init: &[String],
    mode: &str,
    spec_path: &Path,
) -> Result<(std::process::Child, i32)> {
    let mut cmd = Command::new(&init[0]);
    cmd.args(&init[1..])
        .arg(mode)
        .arg(spec_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .map_err(io("start helper", PathBuf::from(&init[0])))?;
    let out = child.stdout.take().expect("piped");
    let mut line = String::new();
    let _ = std::io::BufReader::new(out).read_line(&mut line);
    let line = line.trim();
    if let Some(pid) = line.strip_prefix("ok ") {
        let pid: i32 = pid
            .parse()
            .map_err(|_| Error::Setup(format!("helper said {line:?}")))?;
        return Ok((child, pid));
    }
    let _ = child.wait();
    Err(Error::Setup(
        line.strip_prefix("error ")
            .unwrap_or(if line.is_empty() {
                "the helper exited without an answer"
            } else {
                line
            })
            .to_string(),
    ))
}

/// Start the pause process; returns its pid (the launcher has exited; the pause process is
/// re-parented to us when we are a subreaper).
pub fn start(init: &[String], dir: &Path, spec: &SandboxSpec) -> Result<i32> {
    let p = dir.join("sandbox-spec.json");
    let text = serde_json::to_vec(spec).map_err(crate::error::json("sandbox spec"))?;
    std::fs::write(&p, text).map_err(io("write", &p))?;
    let (mut child, pid) = run_helper(init, "sandbox", &p)?;
    let _ = child.wait();
    Ok(pid)
}
