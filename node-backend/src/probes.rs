//! Probes and hook handlers as the kubelet's prober runs them (pkg/probe/{exec,http,tcp}):
//! `exec` inside the container (the helper enters its namespaces and cgroup), `tcpSocket`
//! and `httpGet` from inside the pod's network namespace (a thread that `setns`es into it;
//! the pod network has only loopback, so nothing leaves the machine).

use crate::spec::{ExecSpec, ProcessSpec};
use cellsim_core::api::meta::IntOrString;
use cellsim_core::api::pod::Container;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

/// What a probe needs about its container.
pub struct Target {
    pub sandbox_pid: i32,
    pub container_pid: i32,
    pub container: Container,
    pub process: ProcessSpec,
    pub cgroup_procs: Vec<std::path::PathBuf>,
    pub pod_ip: String,
}

/// Run a probe or hook handler (v1 Probe / LifecycleHandler JSON): (success, output).
pub fn run(
    init: &[String],
    work_dir: &Path,
    handler: &serde_json::Value,
    t: &Target,
    timeout: Duration,
) -> (bool, String) {
    if let Some(cmd) = handler.get("exec").and_then(|e| e.get("command")) {
        let args: Vec<String> = cmd
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        return exec(init, work_dir, args, t, timeout);
    }
    if let Some(h) = handler.get("httpGet") {
        let port = match resolve_port(&h["port"], &t.container) {
            Ok(p) => p,
            Err(e) => return (false, e),
        };
        let host = h["host"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or(&t.pod_ip);
        let path = h["path"].as_str().filter(|s| !s.is_empty()).unwrap_or("/");
        if h["scheme"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("HTTPS"))
        {
            return (
                false,
                "HTTPS probes are not supported by the cellsim node backend".into(),
            );
        }
        let host = host.to_string();
        let path = path.to_string();
        return in_netns(t.sandbox_pid, move || http_get(&host, port, &path, timeout));
    }
    if let Some(h) = handler.get("tcpSocket") {
        let port = match resolve_port(&h["port"], &t.container) {
            Ok(p) => p,
            Err(e) => return (false, e),
        };
        let host = h["host"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or(&t.pod_ip)
            .to_string();
        return in_netns(t.sandbox_pid, move || tcp(&host, port, timeout));
    }
    if handler.get("grpc").is_some() {
        return (
            false,
            "gRPC probes are not supported by the cellsim node backend".into(),
        );
    }
    (false, "probe has no handler".into())
}

/// A named port resolves through the container's ports (kubelet `findPortByName`).
fn resolve_port(v: &serde_json::Value, c: &Container) -> Result<u16, String> {
    let p: IntOrString =
        serde_json::from_value(v.clone()).map_err(|e| format!("bad port {v}: {e}"))?;
    let n = match p {
        IntOrString::Int(i) => i,
        IntOrString::Str(name) => match name.parse::<i64>() {
            Ok(i) => i,
            Err(_) => c
                .ports
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.container_port as i64)
                .ok_or_else(|| format!("couldn't find port: {name} in {}", c.name))?,
        },
    };
    u16::try_from(n)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("invalid port number: {n}"))
}

/// Run `f` on a thread that has joined the pod's network namespace.
fn in_netns(
    sandbox_pid: i32,
    f: impl FnOnce() -> (bool, String) + Send + 'static,
) -> (bool, String) {
    let h = std::thread::spawn(move || {
        let p = crate::sys::cstr(format!("/proc/{sandbox_pid}/ns/net"));
        // SAFETY: open a namespace file, setns this thread into it, close the fd.
        unsafe {
            let fd = libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return (
                    false,
                    format!("pod network namespace: {}", std::io::Error::last_os_error()),
                );
            }
            let r = libc::setns(fd, libc::CLONE_NEWNET);
            libc::close(fd);
            if r != 0 {
                return (false, format!("setns: {}", std::io::Error::last_os_error()));
            }
        }
        f()
    });
    h.join().unwrap_or((false, "probe thread panicked".into()))
}

fn addr(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("dial tcp {host}:{port}: {e}"))?
        .next()
        .ok_or_else(|| format!("dial tcp {host}:{port}: no address"))
}

/// pkg/probe/tcp: success when the connection opens.
pub fn tcp(host: &str, port: u16, timeout: Duration) -> (bool, String) {
    let a = match addr(host, port) {
        Ok(a) => a,
        Err(e) => return (false, e),
    };
    match TcpStream::connect_timeout(&a, timeout) {
        Ok(_) => (true, String::new()),
        Err(e) => (false, format!("dial tcp {a}: connect: {}", go_error(&e))),
    }
}

fn go_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "i/o timeout".into(),
        _ => e.to_string(),
    }
}

/// pkg/probe/http: GET with the kubelet's User-Agent; 200 ≤ status < 400 is success.
pub fn http_get(host: &str, port: u16, path: &str, timeout: Duration) -> (bool, String) {
    let a = match addr(host, port) {
        Ok(a) => a,
        Err(e) => return (false, e),
    };
    let mut s = match TcpStream::connect_timeout(&a, timeout) {
        Ok(s) => s,
        Err(e) => {
            return (
                false,
                format!(
                    "Get \"http://{a}{path}\": dial tcp {a}: connect: {}",
                    go_error(&e)
                ),
            )
        }
    };
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: kube-probe/1.35\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    if let Err(e) = s.write_all(req.as_bytes()) {
        return (false, format!("Get \"http://{a}{path}\": {e}"));
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(2).any(|w| w == b"\r\n") || buf.len() > 64 << 10 {
                    break;
                }
            }
            Err(e) => {
                if buf.is_empty() {
                    return (false, format!("Get \"http://{a}{path}\": {}", go_error(&e)));
                }
                break;
            }
        }
    }
    let line = String::from_utf8_lossy(&buf);
    let code: Option<u16> = line
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok());
    match code {
        Some(c) if (200..400).contains(&c) => (true, String::new()),
        Some(c) => (false, format!("HTTP probe failed with statuscode: {c}")),
        None => (
            false,
            format!("Get \"http://{a}{path}\": malformed HTTP response"),
        ),
    }
}

/// pkg/probe/exec: run in the container; exit 0 is success; the output is the message.
fn exec(
    init: &[String],
    work_dir: &Path,
    args: Vec<String>,
    t: &Target,
    timeout: Duration,
) -> (bool, String) {
    let spec = ExecSpec {
        target_pid: t.container_pid,
        cgroup_procs: t.cgroup_procs.clone(),
        process: ProcessSpec {
            args: args.clone(),
            oom_score_adj: None,
            ..t.process.clone()
        },
        timeout_ms: timeout.as_millis() as u64,
    };
    let p = work_dir.join(
        format!(
            "exec-{:x}-{:?}.json",
            crate::sys::now_unix_nanos(),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    if let Err(e) = std::fs::write(&p, serde_json::to_vec(&spec).unwrap_or_default()) {
        return (false, format!("write exec spec: {e}"));
    }
    let out = std::process::Command::new(&init[0])
        .args(&init[1..])
        .arg("exec")
        .arg(&p)
        .stdin(std::process::Stdio::null())
        .output();
    let _ = std::fs::remove_file(&p);
    match out {
        Ok(o) => {
            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&o.stderr));
            if text.contains(crate::init::EXEC_TIMEOUT_MARKER) {
                return (false, format!("command {args:?} timed out"));
            }
            (o.status.code() == Some(0), text)
        }
        Err(e) => (false, format!("exec helper: {e}")),
    }
}
