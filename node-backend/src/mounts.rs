//! The container's filesystem, set up by the container process itself in its new mount
//! namespace before exec (runc libcontainer/rootfs_linux.go `prepareRootfs`): propagation
//! private, the overlay rootfs, /proc, a minimal /dev, read-only /sys, the pod's bind mounts,
//! pivot_root (MS_MOVE + chroot when pivot_root cannot work), masked and read-only paths.

use crate::spec::ContainerSpec;
use crate::sys::cstr;
use std::path::Path;

type R = Result<(), String>;

fn errno(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

fn mount(src: &str, target: &Path, fstype: &str, flags: libc::c_ulong, data: &str) -> R {
    let (s, t, f, d) = (
        cstr(src),
        crate::sys::cpath(target),
        cstr(fstype),
        cstr(data),
    );
    // SAFETY: all pointers are valid C strings for the call's duration.
    let r = unsafe {
        libc::mount(
            s.as_ptr(),
            t.as_ptr(),
            if fstype.is_empty() {
                std::ptr::null()
            } else {
                f.as_ptr()
            },
            flags,
            if data.is_empty() {
                std::ptr::null()
            } else {
                d.as_ptr() as *const libc::c_void
            },
        )
    };
    if r != 0 {
        return Err(errno(&format!(
            "mount {src} on {} ({fstype})",
            target.display()
        )));
    }
    Ok(())
}

fn mkdir_p(p: &Path) -> R {
    std::fs::create_dir_all(p).map_err(|e| format!("mkdir {}: {e}", p.display()))
}

fn touch(p: &Path) -> R {
    if let Some(parent) = p.parent() {
        mkdir_p(parent)?;
    }
    if !p.exists() {
        std::fs::write(p, b"").map_err(|e| format!("create {}: {e}", p.display()))?;
    }
    Ok(())
}

/// Bind `src` on `dst`, then remount read-only when asked (a bind mount's flags only change
/// on a remount).
pub fn bind(src: &Path, dst: &Path, readonly: bool, recursive: bool) -> R {
    let mut flags = libc::MS_BIND;
    if recursive {
        flags |= libc::MS_REC;
    }
    mount(&src.to_string_lossy(), dst, "", flags, "")?;
    if readonly {
        mount(
            "",
            dst,
            "",
            libc::MS_BIND
                | libc::MS_REMOUNT
                | libc::MS_RDONLY
                | if recursive { libc::MS_REC } else { 0 },
            "",
        )?;
    }
    Ok(())
}

/// runc's default devices (libcontainer/specconv `AllowedDevices` with a node):
/// null, zero, full, random, urandom, tty — 0666 character devices.
const DEVICES: &[(&str, u32, u32)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

fn setup_dev(root: &Path) -> R {
    let dev = root.join("dev");
    mkdir_p(&dev)?;
    mount(
        "tmpfs",
        &dev,
        "tmpfs",
        libc::MS_NOSUID | libc::MS_STRICTATIME,
        "mode=755,size=65536k",
    )?;
    for (name, major, minor) in DEVICES {
        let p = dev.join(name);
        let c = crate::sys::cpath(&p);
        // SAFETY: valid path; mknod/chmod take integers.
        unsafe {
            if libc::mknod(
                c.as_ptr(),
                libc::S_IFCHR | 0o666,
                libc::makedev(*major, *minor),
            ) != 0
            {
                return Err(errno(&format!("mknod /dev/{name}")));
            }
            libc::chmod(c.as_ptr(), 0o666);
        }
    }
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
        ("core", "/proc/kcore"),
    ] {
        std::os::unix::fs::symlink(target, dev.join(link))
            .map_err(|e| format!("symlink /dev/{link}: {e}"))?;
    }
    let pts = dev.join("pts");
    mkdir_p(&pts)?;
    mount(
        "devpts",
        &pts,
        "devpts",
        libc::MS_NOSUID | libc::MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620",
    )?;
    let shm = dev.join("shm");
    mkdir_p(&shm)?;
    mount(
        "shm",
        &shm,
        "tmpfs",
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV,
        "mode=1777,size=65536k",
    )?;
    let mq = dev.join("mqueue");
    mkdir_p(&mq)?;
    mount(
        "mqueue",
        &mq,
        "mqueue",
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV,
        "",
    )?;
    Ok(())
}

/// Everything before pivot_root, with host paths.
pub fn prepare(spec: &ContainerSpec) -> R {
    let root = &spec.rootfs;
    // Nothing we mount propagates back to the host (runc: rootfsPropagation rprivate).
    mount("", Path::new("/"), "", libc::MS_REC | libc::MS_PRIVATE, "")?;
    let lower: Vec<String> = spec
        .lower
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        spec.upper.display(),
        spec.work.display()
    );
    // `volatile` (Linux 5.10+): overlayfs skips every sync of the upper layer, above all
    // the `sync_filesystem` of the whole upper filesystem when the container's mount
    // namespace goes away at exit (milliseconds on a busy ext4). A container's upper layer
    // is scratch space that never outlives a crash (podman's and containerd's `volatile`
    // option for the same reason; Documentation/filesystems/overlayfs.rst "Volatile
    // mount"). Older kernels refuse the option: mount without it.
    if mount("overlay", root, "overlay", 0, &format!("{opts},volatile")).is_err() {
        mount("overlay", root, "overlay", 0, &opts)?;
    }
    let proc_ = root.join("proc");
    mkdir_p(&proc_)?;
    mount(
        "proc",
        &proc_,
        "proc",
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV,
        "",
    )?;
    setup_dev(root)?;
    let sys = root.join("sys");
    mkdir_p(&sys)?;
    let ro = libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV | libc::MS_RDONLY;
    if mount("sysfs", &sys, "sysfs", ro, "").is_err() {
        // runc's fallback when sysfs cannot be mounted (not owning the netns): a
        // read-only recursive bind of the host's /sys.
        bind(Path::new("/sys"), &sys, true, true)?;
    }
    for b in &spec.binds {
        let dst = root.join(b.destination.trim_start_matches('/'));
        if b.source.is_dir() {
            mkdir_p(&dst)?;
        } else {
            touch(&dst)?;
        }
        bind(&b.source, &dst, b.readonly, false)?;
    }
    Ok(())
}

/// Make `root` the process's root: pivot_root(".", ".") then detach the old root (runc's
/// `pivotRoot`); when pivot_root fails (e.g. an initramfs root), MS_MOVE + chroot (runc's
/// `msMoveRoot`).
pub fn pivot(root: &Path) -> R {
    let c = crate::sys::cpath(root);
    let dot = cstr(".");
    let slash = cstr("/");
    // SAFETY: valid C strings; the syscalls take paths and integers.
    unsafe {
        if libc::chdir(c.as_ptr()) != 0 {
            return Err(errno("chdir rootfs"));
        }
        if libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) == 0 {
            if libc::umount2(dot.as_ptr(), libc::MNT_DETACH) != 0 {
                return Err(errno("umount old root"));
            }
        } else {
            if libc::mount(
                dot.as_ptr(),
                slash.as_ptr(),
                std::ptr::null(),
                libc::MS_MOVE,
                std::ptr::null(),
            ) != 0
            {
                return Err(errno("pivot_root and MS_MOVE both failed"));
            }
            if libc::chroot(dot.as_ptr()) != 0 {
                return Err(errno("chroot"));
            }
        }
        if libc::chdir(slash.as_ptr()) != 0 {
            return Err(errno("chdir /"));
        }
    }
    Ok(())
}

/// After pivot_root: mask and protect paths (runc `maskPath`, `readonlyPath`), and the
/// read-only rootfs when asked.
pub fn finish(spec: &ContainerSpec) -> R {
    for p in &spec.masked_paths {
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => mount("tmpfs", path, "tmpfs", libc::MS_RDONLY, "")?,
            Ok(_) => bind(Path::new("/dev/null"), path, false, false)?,
            Err(_) => {}
        }
    }
    for p in &spec.readonly_paths {
        let path = Path::new(p);
        if path.exists() {
            bind(path, path, true, true)?;
        }
    }
    if spec.readonly_rootfs {
        mount(
            "",
            Path::new("/"),
            "",
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
            "",
        )?;
    }
    Ok(())
}
