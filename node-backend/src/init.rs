//! The helper process (what `runc init` and conmon are for runc and CRI-O). The runtime
//! starts it as `cellsim-init MODE SPEC.json` (or `cellsim __init MODE SPEC.json`); it is a
//! fresh single-threaded process, so it may unshare, setns and fork freely.
//!
//! - `sandbox`: unshare network, IPC, UTS and PID namespaces, set the hostname, bring up
//!   loopback, fork the pause process (pid 1 of the pod: reaps zombies, exits on SIGTERM),
//!   print `ok <pid>` and exit.
//! - `container`: the shim. Joins the sandbox's namespaces, forks the container process (pid
//!   1 of a new PID namespace), which sets up its mount namespace and rootfs and execs the
//!   command; prints `ok <pid>` (or `error <why>`) once the exec happened, then stays to
//!   copy the container's stdout and stderr into the CRI log and to record its exit status.
//! - `exec`: enter a running container's namespaces and cgroup and run a command there
//!   (exec probes, hooks); exits with the command's status.
//! - `zygote`: a pre-started helper (one per runtime) that reads `MODE SPEC` lines on stdin
//!   and forks a fresh child per line that runs `sandbox` or `container` as if it had just
//!   been executed, forwarding its answer as `ok <pid> <helper pid>`: the start path then
//!   pays a fork of this small single-threaded process instead of an execve of the whole
//!   binary (dynamic loading, relocations, runtime start-up) per sandbox and per container
//!   — what a pre-forked `runc init` would save. Exits at EOF (its runtime is gone).

use crate::logs::{Stream, Writer};
use crate::spec::{ContainerSpec, ExecSpec, ExitStatus, ProcessSpec, SandboxSpec};
use crate::sys::cstr;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Marker the exec helper prints when the command outlived its timeout.
pub const EXEC_TIMEOUT_MARKER: &str = "cellsim-exec: timed out";

/// Entry point: `args` are what follows the helper's name (`MODE SPEC`). Never returns.
pub fn main(args: &[String]) -> ! {
    let code = match (args.first().map(String::as_str), args.get(1)) {
        (Some("sandbox"), Some(spec)) => run_sandbox(spec),
        (Some("container"), Some(spec)) => run_container(spec),
        (Some("exec"), Some(spec)) => run_exec(spec),
        (Some("zygote"), _) => run_zygote(),
        _ => {
            eprintln!("usage: cellsim-init sandbox|container|exec SPEC.json");
            2
        }
    };
    std::process::exit(code)
}

/// Set in a child the zygote forked: its `ok` answer carries its own pid too.
static FORKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The zygote's loop (see the module documentation). A child answers on the zygote's own
/// stdout (the runtime's pipe) directly, so an answer costs no extra wake-up of the zygote;
/// the runtime serializes requests and reads one line per request.
fn run_zygote() -> i32 {
    use std::io::BufRead;
    // Children are reaped by the kernel: their exits are told through exit.json and pidfds.
    // SAFETY: setting a disposition.
    unsafe {
        libc::signal(libc::SIGCHLD, libc::SIG_IGN);
    }
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        let (mode, spec) = line.trim_end().split_once(' ').unwrap_or(("", ""));
        // SAFETY: single-threaded; the child continues as a freshly started helper.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            FORKED.store(true, std::sync::atomic::Ordering::Relaxed);
            let null = cstr("/dev/null");
            // SAFETY: the child's own dispositions and fds: default SIGCHLD (the shim waits
            // for its container), stdin from /dev/null (not the request pipe).
            unsafe {
                libc::signal(libc::SIGCHLD, libc::SIG_DFL);
                let n = libc::open(null.as_ptr(), libc::O_RDONLY);
                if n >= 0 {
                    libc::dup2(n, 0);
                    libc::close(n);
                }
            }
            let code = std::panic::catch_unwind(|| match mode {
                "sandbox" => run_sandbox(spec),
                "container" => run_container(spec),
                _ => {
                    report(&format!("error unknown mode {mode:?}"));
                    2
                }
            })
            .unwrap_or_else(|_| {
                report("error the helper panicked");
                101
            });
            std::process::exit(code);
        }
        if pid < 0 {
            report(&format!("error {}", errno("fork")));
        }
    }
}

fn read_spec<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("read {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("parse {path}: {e}"))
}

/// `CELLSIM_NODE_TRACE=FILE`: the helper's phase times (µs since its start), appended to
/// FILE (stderr is /dev/null once the shim detaches).
fn trace(what: &str) {
    static T0: std::sync::OnceLock<Option<std::time::Instant>> = std::sync::OnceLock::new();
    if T0
        .get_or_init(|| std::env::var_os("CELLSIM_NODE_TRACE").map(|_| std::time::Instant::now()))
        .is_some()
    {
        crate::runtime::trace_line(&format!(
            " helper {}: {what} {} µs",
            std::process::id(),
            T0.get()
                .copied()
                .flatten()
                .map_or(0, |t| t.elapsed().as_micros())
        ));
    }
}

fn errno(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

fn report(line: &str) {
    let mut out = std::io::stdout();
    if line.starts_with("ok ") && FORKED.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = writeln!(out, "{line} {}", std::process::id());
    } else {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// Point fds 0, 1, 2 at /dev/null (a detached process must not hold the runtime's pipes).
fn detach_stdio() {
    let null = cstr("/dev/null");
    // SAFETY: open/dup2/close on fds we own.
    unsafe {
        let fd = libc::open(null.as_ptr(), libc::O_RDWR);
        if fd >= 0 {
            for t in 0..3 {
                libc::dup2(fd, t);
            }
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}

fn join_cgroups(files: &[std::path::PathBuf]) -> Result<(), String> {
    for f in files {
        crate::sys::write_existing(f, "0").map_err(|e| format!("join cgroup: {e}"))?;
    }
    Ok(())
}

fn ignore_signals(sigs: &[libc::c_int]) {
    for s in sigs {
        // SAFETY: setting a disposition to SIG_IGN.
        unsafe {
            libc::signal(*s, libc::SIG_IGN);
        }
    }
}

// ------------------------------------------------------------------------------------------
// sandbox
// ------------------------------------------------------------------------------------------

/// Bring loopback up (SIOCSIFFLAGS with IFF_UP), as the CNI loopback plugin does.
pub fn loopback_up() -> Result<(), String> {
    // SAFETY: a socket and two ioctls on a zeroed ifreq we own.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(errno("socket"));
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        if libc::ioctl(s, libc::SIOCGIFFLAGS, &mut ifr) < 0 {
            libc::close(s);
            return Err(errno("SIOCGIFFLAGS lo"));
        }
        ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        let r = libc::ioctl(s, libc::SIOCSIFFLAGS, &ifr);
        libc::close(s);
        if r < 0 {
            return Err(errno("SIOCSIFFLAGS lo"));
        }
    }
    Ok(())
}

fn run_sandbox(path: &str) -> i32 {
    trace("sandbox start");
    let spec: SandboxSpec = match read_spec(path) {
        Ok(s) => s,
        Err(e) => {
            report(&format!("error {e}"));
            return 1;
        }
    };
    let setup = || -> Result<(), String> {
        // SAFETY: setsid and unshare take no pointers.
        unsafe {
            libc::setsid();
            if libc::unshare(
                libc::CLONE_NEWNET | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS | libc::CLONE_NEWPID,
            ) != 0
            {
                return Err(errno("unshare net/ipc/uts/pid"));
            }
        }
        trace("unshared");
        nix::unistd::sethostname(&spec.hostname).map_err(|e| format!("sethostname: {e}"))?;
        loopback_up()
    };
    if let Err(e) = setup() {
        report(&format!("error {e}"));
        return 1;
    }
    // Block the pause process's signals before it exists: pid 1 of a PID namespace drops
    // signals it has no handler for, so a SIGTERM sent before `pause_loop` had blocked them
    // would be lost (a sandbox stopped right after it started).
    let set = pause_signals();
    // SAFETY: blocking signals in this single-threaded process; inherited by the fork.
    unsafe {
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    // SAFETY: single-threaded process; the child only makes syscalls and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        report(&format!("error {}", errno("fork")));
        return 1;
    }
    if pid == 0 {
        detach_stdio();
        if join_cgroups(&spec.cgroup_procs).is_err() {
            std::process::exit(1);
        }
        trace("pause joined cgroups");
        pause_loop();
    }
    trace("forked pause");
    report(&format!("ok {pid}"));
    0
}

/// The pause process: pid 1 of the pod. Reaps every child that exits; exits 0 on SIGTERM or
/// SIGINT (kubernetes build/pause/linux/pause.c).
fn pause_signals() -> libc::sigset_t {
    // SAFETY: signal-set manipulation on a set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGCHLD, libc::SIGTERM, libc::SIGINT] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

fn pause_loop() -> ! {
    let set = pause_signals();
    // SAFETY: sigwait on our set (already blocked since before the fork); waitpid WNOHANG.
    unsafe {
        loop {
            let mut sig: libc::c_int = 0;
            if libc::sigwait(&set, &mut sig) != 0 {
                continue;
            }
            match sig {
                libc::SIGCHLD => {
                    while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {}
                }
                _ => libc::_exit(0),
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// shared: namespaces, process
// ------------------------------------------------------------------------------------------

fn open_ns(pid: i32, ns: &str) -> Result<OwnedFd, String> {
    let p = cstr(format!("/proc/{pid}/ns/{ns}"));
    // SAFETY: open returns a new fd we then own.
    let fd = unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(errno(&format!("open /proc/{pid}/ns/{ns}")));
    }
    // SAFETY: fd is a fresh, valid descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn setns(fd: &OwnedFd, kind: libc::c_int, what: &str) -> Result<(), String> {
    // SAFETY: setns on a valid namespace fd.
    if unsafe { libc::setns(fd.as_raw_fd(), kind) } != 0 {
        return Err(errno(&format!("setns {what}")));
    }
    Ok(())
}

fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(errno("pipe2"));
    }
    // SAFETY: both are fresh descriptors.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Find `name` in PATH inside the (already entered) root, as runc's `exec.LookPath` does.
fn look_path(name: &str, env: &[String]) -> String {
    if name.contains('/') {
        return name.to_string();
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for dir in path.split(':') {
        let cand = format!("{dir}/{name}");
        let c = cstr(&cand);
        // SAFETY: access on a valid C string.
        if unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0 {
            return cand;
        }
    }
    name.to_string()
}

/// Become the container's process: rlimits, user, capabilities, no_new_privs, cwd, exec.
/// Returns only on failure.
fn exec_process(p: &ProcessSpec) -> String {
    reset_signals();
    if let Some(adj) = p.oom_score_adj {
        let _ = std::fs::write("/proc/self/oom_score_adj", adj.to_string());
    }
    if let Err(e) = crate::rlimits::apply(&p.rlimits) {
        return e;
    }
    if let Err(e) = crate::caps::drop_bounding(&p.capabilities) {
        return format!("drop bounding capabilities: {e}");
    }
    let groups: Vec<libc::gid_t> = p.additional_gids.clone();
    // SAFETY: setgroups reads our vector; setgid/setuid take integers.
    unsafe {
        if libc::setgroups(groups.len(), groups.as_ptr()) != 0 {
            return errno("setgroups");
        }
        if libc::setgid(p.gid) != 0 {
            return errno("setgid");
        }
        if libc::setuid(p.uid) != 0 {
            return errno("setuid");
        }
    }
    if let Err(e) = crate::caps::set(&p.capabilities) {
        return format!("set capabilities: {e}");
    }
    if p.no_new_privileges {
        // SAFETY: prctl with integer arguments.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return errno("no_new_privs");
        }
    }
    let cwd = if p.cwd.is_empty() { "/" } else { &p.cwd };
    let c = cstr(cwd);
    // SAFETY: chdir/umask on valid arguments.
    unsafe {
        if libc::chdir(c.as_ptr()) != 0 {
            return errno(&format!("chdir {cwd}"));
        }
        libc::umask(0o022);
    }
    let Some(arg0) = p.args.first() else {
        return "no command: neither the container nor its image names one".into();
    };
    let prog = cstr(look_path(arg0, &p.env));
    let argv: Vec<_> = p.args.iter().map(cstr).collect();
    let envp: Vec<_> = p.env.iter().map(cstr).collect();
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut envp_p: Vec<*const libc::c_char> = envp.iter().map(|a| a.as_ptr()).collect();
    envp_p.push(std::ptr::null());
    // SAFETY: NULL-terminated arrays of valid C strings that outlive the call.
    unsafe {
        libc::execve(prog.as_ptr(), argv_p.as_ptr(), envp_p.as_ptr());
    }
    errno(&format!("exec {arg0:?}"))
}

/// Default dispositions and an empty mask for the container's process: the shim ignores
/// SIGTERM and friends, and an ignored signal would stay ignored across exec (a shell could
/// not even trap it).
fn reset_signals() {
    // SAFETY: resetting dispositions and the signal mask of this process.
    unsafe {
        for s in 1..32 {
            if s != libc::SIGKILL && s != libc::SIGSTOP {
                libc::signal(s, libc::SIG_DFL);
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

fn wait_status_code(status: libc::c_int) -> (i32, Option<i32>) {
    if libc::WIFEXITED(status) {
        (libc::WEXITSTATUS(status), None)
    } else if libc::WIFSIGNALED(status) {
        let s = libc::WTERMSIG(status);
        (128 + s, Some(s))
    } else {
        (255, None)
    }
}

// ------------------------------------------------------------------------------------------
// container (the shim)
// ------------------------------------------------------------------------------------------

fn run_container(path: &str) -> i32 {
    trace("container start");
    let spec: ContainerSpec = match read_spec(path) {
        Ok(s) => s,
        Err(e) => {
            report(&format!("error {e}"));
            return 1;
        }
    };
    ignore_signals(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGPIPE]);
    // SAFETY: setsid takes no arguments.
    unsafe {
        libc::setsid();
    }
    match shim(&spec) {
        Ok(()) => 0,
        Err(e) => {
            let st = ExitStatus {
                exit_code: 128,
                signal: None,
                finished_at: crate::sys::now_unix_nanos(),
                error: Some(e.clone()),
            };
            let _ = crate::sys::write_atomic(
                &spec.exit_file,
                serde_json::to_string(&st).unwrap_or_default().as_bytes(),
            );
            report(&format!("error {e}"));
            0
        }
    }
}

fn shim(spec: &ContainerSpec) -> Result<(), String> {
    let net = open_ns(spec.sandbox_pid, "net")?;
    let ipc = open_ns(spec.sandbox_pid, "ipc")?;
    let uts = open_ns(spec.sandbox_pid, "uts")?;
    let pidns = if spec.share_pid {
        Some(
            open_ns(spec.sandbox_pid, "pid_for_children")
                .or_else(|_| open_ns(spec.sandbox_pid, "pid"))?,
        )
    } else {
        None
    };
    setns(&net, libc::CLONE_NEWNET, "net")?;
    setns(&ipc, libc::CLONE_NEWIPC, "ipc")?;
    setns(&uts, libc::CLONE_NEWUTS, "uts")?;
    match &pidns {
        Some(fd) => setns(fd, libc::CLONE_NEWPID, "pid")?,
        // SAFETY: unshare takes an integer; only children enter the new PID namespace.
        None => {
            if unsafe { libc::unshare(libc::CLONE_NEWPID) } != 0 {
                return Err(errno("unshare pid"));
            }
        }
    }
    trace("joined namespaces");
    let mut writer = Writer::open(&spec.log_path, spec.log_max_bytes, spec.log_max_files)
        .map_err(|e| format!("open log {}: {e}", spec.log_path.display()))?;
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let (sync_r, sync_w) = pipe()?;
    // SAFETY: single-threaded; the child sets itself up and execs or _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(errno("fork"));
    }
    if pid == 0 {
        drop(out_r);
        drop(err_r);
        drop(sync_r);
        let why = container_child(spec, out_w.as_raw_fd(), err_w.as_raw_fd());
        let mut f = std::fs::File::from(sync_w);
        let _ = f.write_all(why.as_bytes());
        // SAFETY: leave without running the parent's atexit handlers.
        unsafe { libc::_exit(127) }
    }
    drop(out_w);
    drop(err_w);
    drop(sync_w);
    let mut why = String::new();
    {
        use std::io::Read;
        let _ = std::fs::File::from(sync_r).read_to_string(&mut why);
    }
    if !why.is_empty() {
        let mut st = 0;
        // SAFETY: reap our child.
        unsafe {
            libc::waitpid(pid, &mut st, 0);
        }
        return Err(why);
    }
    trace("container execed");
    report(&format!("ok {pid}"));
    detach_stdio();
    let status = pump(pid, out_r, err_r, &mut writer);
    trace("reaped");
    let (exit_code, signal) = wait_status_code(status);
    let st = ExitStatus {
        exit_code,
        signal,
        finished_at: crate::sys::now_unix_nanos(),
        error: None,
    };
    let r = crate::sys::write_atomic(
        &spec.exit_file,
        serde_json::to_string(&st).unwrap_or_default().as_bytes(),
    )
    .map_err(|e| e.to_string());
    trace("exit written");
    r
}

/// Copy the container's output into the log until it exits and its pipes close; returns
/// its wait status.
fn pump(pid: i32, out_r: OwnedFd, err_r: OwnedFd, w: &mut Writer) -> libc::c_int {
    let mut open = [Some(out_r), Some(err_r)];
    let mut status: Option<libc::c_int> = None;
    let mut exited_at: Option<std::time::Instant> = None;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if status.is_none() {
            let mut st = 0;
            // SAFETY: non-blocking reap of our child.
            let r = unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) };
            if r == pid {
                status = Some(st);
                exited_at = Some(std::time::Instant::now());
            }
        }
        let all_closed = open.iter().all(Option::is_none);
        if let Some(st) = status {
            // The PID namespace died with its pid 1, so the pipes close right away; a
            // process that joined from outside (an exec) may hold them: stop after 2 s.
            if all_closed || exited_at.is_some_and(|t| t.elapsed().as_secs() >= 2) {
                let now = crate::sys::now_unix_nanos();
                let _ = w.close_stream(Stream::Stdout, now);
                let _ = w.close_stream(Stream::Stderr, now);
                return st;
            }
        }
        let mut pfds: Vec<libc::pollfd> = Vec::new();
        let mut which = Vec::new();
        for (i, fd) in open.iter().enumerate() {
            if let Some(fd) = fd {
                pfds.push(libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                });
                which.push(i);
            }
        }
        if pfds.is_empty() {
            // Both pipes are closed: nothing is left to copy, so wait for the exit itself
            // (at once when the process is exiting, or for as long as it runs on without
            // stdout and stderr).
            let mut st = 0;
            // SAFETY: blocking reap of our child.
            if status.is_none() && unsafe { libc::waitpid(pid, &mut st, 0) } == pid {
                status = Some(st);
                exited_at = Some(std::time::Instant::now());
            }
            continue;
        }
        // SAFETY: poll over our array.
        let n = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, 20) };
        if n <= 0 {
            continue;
        }
        for (k, p) in pfds.iter().enumerate() {
            if p.revents == 0 {
                continue;
            }
            let i = which[k];
            let fd: RawFd = p.fd;
            // SAFETY: read into our buffer from an open fd.
            let r = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
            let stream = if i == 0 {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            if r > 0 {
                let _ = w.feed(stream, &buf[..r as usize], crate::sys::now_unix_nanos());
            } else {
                let _ = w.close_stream(stream, crate::sys::now_unix_nanos());
                open[i] = None;
                trace("pipe closed");
            }
        }
    }
}

/// The container process between fork and exec. Returns why it could not exec.
fn container_child(spec: &ContainerSpec, out: RawFd, err: RawFd) -> String {
    let r = (|| -> Result<(), String> {
        // SAFETY: unshare takes an integer.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
            return Err(errno("unshare mount namespace"));
        }
        trace("child unshared mnt");
        join_cgroups(&spec.cgroup_procs)?;
        trace("child joined cgroups");
        crate::mounts::prepare(spec)?;
        trace("child prepared mounts");
        crate::mounts::pivot(&spec.rootfs)?;
        crate::mounts::finish(spec)?;
        trace("child pivoted and finished");
        let null = cstr("/dev/null");
        // SAFETY: dup2 onto 0, 1, 2 from fds we hold.
        unsafe {
            let n = libc::open(null.as_ptr(), libc::O_RDONLY);
            if n < 0 || libc::dup2(n, 0) < 0 || libc::dup2(out, 1) < 0 || libc::dup2(err, 2) < 0 {
                return Err(errno("stdio"));
            }
            libc::close(n);
        }
        Ok(())
    })();
    match r {
        Ok(()) => exec_process(&spec.process),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------------------------------
// exec
// ------------------------------------------------------------------------------------------

fn run_exec(path: &str) -> i32 {
    let spec: ExecSpec = match read_spec(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cellsim-exec: {e}");
            return 126;
        }
    };
    match exec_in(&spec) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cellsim-exec: {e}");
            126
        }
    }
}

fn exec_in(spec: &ExecSpec) -> Result<i32, String> {
    let pid = spec.target_pid;
    let fds: Vec<(OwnedFd, libc::c_int, &str)> = [
        ("ipc", libc::CLONE_NEWIPC),
        ("uts", libc::CLONE_NEWUTS),
        ("net", libc::CLONE_NEWNET),
        ("pid", libc::CLONE_NEWPID),
        ("mnt", libc::CLONE_NEWNS),
    ]
    .into_iter()
    .map(|(n, k)| open_ns(pid, n).map(|fd| (fd, k, n)))
    .collect::<Result<_, _>>()?;
    // Join the container's cgroup while the host's cgroupfs is still visible (the
    // container's mount namespace has none); the forked command inherits it.
    join_cgroups(&spec.cgroup_procs)?;
    for (fd, kind, name) in &fds {
        setns(fd, *kind, name)?;
    }
    // SAFETY: single-threaded; the child execs or _exits.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(errno("fork"));
    }
    if child == 0 {
        let why = exec_process(&spec.process);
        eprintln!("cellsim-exec: {why}");
        // SAFETY: leave without the parent's atexit handlers.
        unsafe { libc::_exit(126) }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(spec.timeout_ms);
    loop {
        let mut st = 0;
        // SAFETY: non-blocking reap of our child.
        let r = unsafe { libc::waitpid(child, &mut st, libc::WNOHANG) };
        if r == child {
            return Ok(wait_status_code(st).0);
        }
        if std::time::Instant::now() >= deadline {
            crate::sys::kill(child, libc::SIGKILL);
            // SAFETY: reap it.
            unsafe {
                libc::waitpid(child, &mut st, 0);
            }
            eprintln!("{EXEC_TIMEOUT_MARKER} after {}ms", spec.timeout_ms);
            return Ok(124);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}
