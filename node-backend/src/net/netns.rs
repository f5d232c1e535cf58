//! Named network namespaces, as `ip netns add` makes them (iproute2 `ip/ipnetns.c`): a new
//! namespace is made by `unshare(CLONE_NEWNET)` and kept alive by bind-mounting its
//! `/proc/thread-self/ns/net` onto a file, here under the project's own directory
//! `/run/cellsim/netns` (not `/run/netns`, so `ip netns` users never see or remove ours, and
//! `cellsim node cleanup` knows that everything there is cellsim's). Deleting unmounts and
//! unlinks the file; the kernel frees the namespace, and every link inside it, when the last
//! process or mount holding it is gone.

use crate::error::{io, Error, Result};
use crate::sys::{cpath, cstr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where cellsim's named network namespaces live.
pub const NETNS_DIR: &str = "/run/cellsim/netns";

/// A network namespace, named (bind-mounted under `NETNS_DIR`, owned: `delete` removes it) or
/// borrowed (a process's `/proc/PID/ns/net`, e.g. a pod sandbox's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetNs {
    pub name: String,
    pub path: PathBuf,
    owned: bool,
}

impl NetNs {
    /// Create the namespace `name` (loopback up). Fails if it exists.
    pub fn create(name: &str) -> Result<NetNs> {
        Self::create_in(Path::new(NETNS_DIR), name)
    }

    pub fn create_in(dir: &Path, name: &str) -> Result<NetNs> {
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            return Err(Error::Invalid(format!(
                "bad network namespace name {name:?}"
            )));
        }
        std::fs::create_dir_all(dir).map_err(io("mkdir", dir))?;
        let path = dir.join(name);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io("create network namespace file", &path))?;
        let target = path.clone();
        // unshare(CLONE_NEWNET) changes only the calling thread's namespace: do it on a thread
        // of its own, which then pins the namespace with the bind mount and ends.
        let made = std::thread::spawn(move || -> std::result::Result<(), String> {
            // SAFETY: unshare/mount on valid C strings; affects this thread's netns only.
            unsafe {
                if libc::unshare(libc::CLONE_NEWNET) != 0 {
                    return Err(format!(
                        "unshare(CLONE_NEWNET): {}",
                        std::io::Error::last_os_error()
                    ));
                }
                let src = cstr("/proc/thread-self/ns/net");
                let dst = cpath(&target);
                if libc::mount(
                    src.as_ptr(),
                    dst.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) != 0
                {
                    return Err(format!(
                        "bind-mount netns onto {}: {}",
                        target.display(),
                        std::io::Error::last_os_error()
                    ));
                }
            }
            crate::init::loopback_up()
        })
        .join()
        .unwrap_or_else(|_| Err("namespace thread panicked".into()));
        let ns = NetNs {
            name: name.to_string(),
            path,
            owned: true,
        };
        if let Err(e) = made {
            let _ = ns.delete();
            return Err(Error::Net(e));
        }
        Ok(ns)
    }

    /// An existing namespace by path, not owned (`delete` is a no-op).
    pub fn borrowed(name: &str, path: impl Into<PathBuf>) -> NetNs {
        NetNs {
            name: name.to_string(),
            path: path.into(),
            owned: false,
        }
    }

    /// The network namespace of process `pid`.
    pub fn of_pid(pid: i32) -> NetNs {
        Self::borrowed(&format!("pid {pid}"), format!("/proc/{pid}/ns/net"))
    }

    pub fn open(&self) -> Result<OwnedFd> {
        let p = cpath(&self.path);
        // SAFETY: open returns a fresh fd we own.
        let fd = unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io("open network namespace", &self.path)(
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: fd is valid and ours.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The namespace's inode (what `/proc/PID/ns/net` links to as `net:[INODE]`).
    pub fn inode(&self) -> Option<u64> {
        std::fs::metadata(&self.path).ok().map(|m| m.ino())
    }

    /// Run `f` on a new thread inside the namespace and return its result. Sockets made there
    /// stay in the namespace wherever they are used later; threads `f` spawns start in it.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let fd = self.open()?;
        let name = self.name.clone();
        std::thread::spawn(move || -> Result<T> {
            enter(&fd).map_err(|e| Error::Net(format!("enter network namespace {name}: {e}")))?;
            drop(fd);
            Ok(f())
        })
        .join()
        .map_err(|_| {
            Error::Net(format!(
                "thread in network namespace {} panicked",
                self.name
            ))
        })?
    }

    /// Unmount and remove a named namespace. Idempotent.
    pub fn delete(&self) -> Result<()> {
        if !self.owned {
            return Ok(());
        }
        remove_file(&self.path)
    }
}

/// Move the calling thread into the namespace `fd` (setns; only this thread moves).
pub fn enter(fd: &OwnedFd) -> std::io::Result<()> {
    // SAFETY: setns on a valid namespace fd.
    crate::sys::check(unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) }).map(|_| ())
}

/// Unmount (lazily) and unlink a namespace file under `NETNS_DIR`.
pub fn remove_file(path: &Path) -> Result<()> {
    let c = cpath(path);
    // SAFETY: umount2 on a valid path; EINVAL (not a mount point) and ENOENT are fine.
    unsafe {
        libc::umount2(c.as_ptr(), libc::MNT_DETACH);
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io("remove network namespace file", path)(e)),
    }
}

/// The namespace files under `dir` whose name satisfies `is_ours`, with their inodes.
pub fn list(dir: &Path, is_ours: &dyn Fn(&str) -> bool) -> Vec<(PathBuf, Option<u64>)> {
    let mut v: Vec<(PathBuf, Option<u64>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| is_ours(&e.file_name().to_string_lossy()))
        .map(|e| (e.path(), std::fs::metadata(e.path()).ok().map(|m| m.ino())))
        .collect();
    v.sort();
    v
}

/// Processes (pid, command) whose network namespace is one of `inodes`.
pub fn processes_in(inodes: &[u64]) -> Vec<(i32, String)> {
    let mut v = Vec::new();
    if inodes.is_empty() {
        return v;
    }
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(link) = std::fs::read_link(e.path().join("ns/net")) else {
            continue;
        };
        let l = link.to_string_lossy();
        let ino = l
            .strip_prefix("net:[")
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<u64>().ok());
        if ino.is_some_and(|i| inodes.contains(&i)) {
            let cmd = std::fs::read(e.path().join("cmdline"))
                .map(|b| {
                    String::from_utf8_lossy(&b)
                        .replace('\0', " ")
                        .trim()
                        .to_string()
                })
                .unwrap_or_default();
            v.push((pid, cmd));
        }
    }
    v
}
