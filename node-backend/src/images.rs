//! The local image store: images are ordered lists of layers plus a config (entrypoint, cmd,
//! env, working dir, user), kept under one directory:
//!
//! ```text
//! <root>/layers/<id>/          one extracted layer, overlayfs-ready
//! <root>/images/<key>.json     ImageRecord (name, tag, layer ids bottom→top, config, size)
//! <root>/images/<key>.used     its mtime is the image's last use (for GC)
//! ```
//!
//! Layers come from directories or tarballs (`.tar`, `.tar.gz`, `.tgz`). OCI whiteouts are
//! converted to overlayfs's own form when a layer is stored (what containerd's overlay
//! snapshotter does when it applies a layer): `.wh.NAME` becomes a 0/0 character device
//! `NAME`, and `.wh..wh..opq` marks its directory opaque (`trusted.overlay.opaque=y`), so the
//! kernel hides the lower layers' files when the layers are stacked.
//!
//! Image GC follows the kubelet's image manager: when the image filesystem is above
//! `imageGCHighThresholdPercent` (85) used, delete unused images, least recently used first,
//! until it is down to `imageGCLowThresholdPercent` (80), sparing images younger than
//! `imageMinimumGCAge` (2 min) (pkg/kubelet/apis/config/v1beta1/defaults.go,
//! pkg/kubelet/images/image_gc_manager.go `freeSpace`).

use crate::error::{io, json, Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const BUSYBOX: &str = "cellsim/busybox:latest";
pub const GC_HIGH_PERCENT: u64 = 85;
pub const GC_LOW_PERCENT: u64 = 80;
pub const GC_MIN_AGE_SECS: u64 = 120;

/// The kubelet's image GC policy: `imageGCHighThresholdPercent` (85),
/// `imageGCLowThresholdPercent` (80) and `imageMinimumGCAge` (2m), the KubeletConfiguration
/// defaults (pkg/kubelet/apis/config/v1beta1/defaults.go).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcPolicy {
    pub high_percent: u64,
    pub low_percent: u64,
    pub min_age_secs: u64,
}

impl Default for GcPolicy {
    fn default() -> GcPolicy {
        GcPolicy {
            high_percent: GC_HIGH_PERCENT,
            low_percent: GC_LOW_PERCENT,
            min_age_secs: GC_MIN_AGE_SECS,
        }
    }
}

/// The OCI image config fields a container uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRecord {
    pub name: String,
    pub tag: String,
    /// Layer ids, bottom first.
    pub layers: Vec<String>,
    pub config: ImageConfig,
    pub size_bytes: u64,
}

impl ImageRecord {
    pub fn reference(&self) -> String {
        format!("{}:{}", self.name, self.tag)
    }
}

/// `NAME[:TAG]` → (name, tag), `latest` by default; a `:` inside the last path component
/// is the tag (a registry port is not).
pub fn parse_ref(r: &str) -> Result<(String, String)> {
    let r = r.trim();
    if r.is_empty() || r.contains(char::is_whitespace) || r.contains('@') {
        return Err(Error::BadImageRef(r.to_string()));
    }
    let last_slash = r.rfind('/').map(|i| i + 1).unwrap_or(0);
    match r[last_slash..].rfind(':') {
        Some(i) => {
            let (n, t) = (&r[..last_slash + i], &r[last_slash + i + 1..]);
            if n.is_empty() || t.is_empty() {
                return Err(Error::BadImageRef(r.to_string()));
            }
            Ok((n.to_string(), t.to_string()))
        }
        None => Ok((r.to_string(), "latest".to_string())),
    }
}

fn key(name: &str, tag: &str) -> String {
    format!("{}__{}", name.replace('/', "%2F"), tag)
}

/// Import manifest for a multi-layer image directory (`cellsim-image.json` in the DIR):
/// `{"layers": ["base.tar", "top/"], "config": {"Cmd": ["sh"], ...}}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImportManifest {
    pub layers: Vec<String>,
    pub config: ImageConfig,
}

pub struct ImageStore {
    pub root: PathBuf,
}

impl ImageStore {
    pub fn new(root: impl Into<PathBuf>) -> ImageStore {
        ImageStore { root: root.into() }
    }

    fn images_dir(&self) -> PathBuf {
        self.root.join("images")
    }

    pub fn layer_dir(&self, id: &str) -> PathBuf {
        self.root.join("layers").join(id)
    }

    fn record_path(&self, name: &str, tag: &str) -> PathBuf {
        self.images_dir().join(format!("{}.json", key(name, tag)))
    }

    /// All images, by reference.
    pub fn list(&self) -> Result<Vec<ImageRecord>> {
        let mut v = Vec::new();
        let dir = self.images_dir();
        if !dir.exists() {
            return Ok(v);
        }
        for e in std::fs::read_dir(&dir).map_err(io("read", &dir))?.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&p).map_err(io("read", &p))?;
                v.push(serde_json::from_str(&text).map_err(json(p.display().to_string()))?);
            }
        }
        v.sort_by_key(ImageRecord::reference);
        Ok(v)
    }

    /// The image `reference` names; the built-in busybox is made on first use.
    pub fn get(&self, reference: &str) -> Result<ImageRecord> {
        let (name, tag) = parse_ref(reference)?;
        let p = self.record_path(&name, &tag);
        if !p.exists() && format!("{name}:{tag}") == BUSYBOX {
            self.ensure_busybox()?;
        }
        let text = std::fs::read_to_string(&p)
            .map_err(|_| Error::ImageNotFound(format!("{name}:{tag}")))?;
        serde_json::from_str(&text).map_err(json(p.display().to_string()))
    }

    /// Layer directories, top first (overlayfs lowerdir order).
    pub fn lowerdirs(&self, img: &ImageRecord) -> Vec<PathBuf> {
        img.layers.iter().rev().map(|l| self.layer_dir(l)).collect()
    }

    /// Record a use (for LRU garbage collection).
    pub fn touch(&self, img: &ImageRecord) {
        let p = self
            .images_dir()
            .join(format!("{}.used", key(&img.name, &img.tag)));
        let _ = std::fs::write(p, b"");
    }

    pub fn last_used(&self, img: &ImageRecord) -> std::time::SystemTime {
        let k = key(&img.name, &img.tag);
        let used = self.images_dir().join(format!("{k}.used"));
        let rec = self.images_dir().join(format!("{k}.json"));
        std::fs::metadata(&used)
            .or_else(|_| std::fs::metadata(&rec))
            .and_then(|m| m.modified())
            .unwrap_or(std::time::UNIX_EPOCH)
    }

    /// Import `source` (a rootfs directory, a directory with `cellsim-image.json`, or a
    /// tarball) as `reference`.
    pub fn import(&self, reference: &str, source: &Path) -> Result<ImageRecord> {
        let (name, tag) = parse_ref(reference)?;
        let meta = std::fs::metadata(source).map_err(io("stat", source))?;
        let (layers, config) = if meta.is_dir() {
            let manifest = source.join("cellsim-image.json");
            if manifest.exists() {
                let text = std::fs::read_to_string(&manifest).map_err(io("read", &manifest))?;
                let m: ImportManifest =
                    serde_json::from_str(&text).map_err(json(manifest.display().to_string()))?;
                if m.layers.is_empty() {
                    return Err(Error::Invalid(format!(
                        "{}: `layers` is empty",
                        manifest.display()
                    )));
                }
                let mut ids = Vec::new();
                for l in &m.layers {
                    ids.push(self.add_layer(&source.join(l))?);
                }
                (ids, m.config)
            } else {
                (vec![self.add_layer(source)?], default_config())
            }
        } else {
            (vec![self.add_layer(source)?], default_config())
        };
        self.write_record(name, tag, layers, config)
    }

    fn write_record(
        &self,
        name: String,
        tag: String,
        layers: Vec<String>,
        config: ImageConfig,
    ) -> Result<ImageRecord> {
        let size_bytes = layers.iter().map(|l| du(&self.layer_dir(l))).sum();
        let rec = ImageRecord {
            name,
            tag,
            layers,
            config,
            size_bytes,
        };
        let dir = self.images_dir();
        std::fs::create_dir_all(&dir).map_err(io("mkdir", &dir))?;
        let text = serde_json::to_string_pretty(&rec).map_err(json("image record"))?;
        crate::sys::write_atomic(&self.record_path(&rec.name, &rec.tag), text.as_bytes())?;
        self.touch(&rec);
        Ok(rec)
    }

    /// Store one layer (directory or tarball) and return its id.
    pub fn add_layer(&self, source: &Path) -> Result<String> {
        let id = format!("{:x}-{}", crate::sys::now_unix_nanos(), std::process::id());
        let dest = self.layer_dir(&id);
        let tmp = self.root.join("layers").join(format!(".{id}.tmp"));
        std::fs::create_dir_all(&tmp).map_err(io("mkdir", &tmp))?;
        let r = if source.is_dir() {
            copy_layer_dir(source, &tmp)
        } else {
            extract_layer_tar(source, &tmp)
        };
        if let Err(e) = r {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &dest).map_err(io("rename", &dest))?;
        Ok(id)
    }

    /// The built-in `cellsim/busybox:latest` from the host's static busybox: the binary,
    /// one symlink per applet (`busybox --list-full`), /etc/passwd and /etc/group.
    pub fn ensure_busybox(&self) -> Result<ImageRecord> {
        if let Ok(r) = self.get_existing(BUSYBOX) {
            return Ok(r);
        }
        // Concurrent first uses (two run-pods, parallel tests) make it once.
        std::fs::create_dir_all(&self.root).map_err(io("mkdir", &self.root))?;
        let lock_path = self.root.join(".busybox.lock");
        let lock = std::fs::File::create(&lock_path).map_err(io("create", &lock_path))?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file we hold open; released when `lock` is dropped.
        unsafe {
            libc::flock(lock.as_raw_fd(), libc::LOCK_EX);
        }
        if let Ok(r) = self.get_existing(BUSYBOX) {
            return Ok(r);
        }
        let host = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.exists())
            .ok_or_else(|| {
                Error::Invalid(
                    "no /bin/busybox on this host (install busybox-static: scripts/setup.sh)"
                        .into(),
                )
            })?;
        let out = std::process::Command::new(host)
            .arg("--list-full")
            .output()
            .map_err(io("run", host))?;
        let tmp = self.root.join(format!(".busybox-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let mk = |p: &Path| std::fs::create_dir_all(p).map_err(io("mkdir", p));
        for d in [
            "bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "tmp", "proc", "sys", "dev",
            "var", "home",
        ] {
            mk(&tmp.join(d))?;
        }
        set_mode(&tmp.join("tmp"), 0o1777)?;
        std::fs::copy(host, tmp.join("bin/busybox")).map_err(io("copy", host))?;
        for applet in String::from_utf8_lossy(&out.stdout).lines() {
            let applet = applet.trim();
            if applet.is_empty() || applet == "bin/busybox" {
                continue;
            }
            let p = tmp.join(applet);
            if let Some(parent) = p.parent() {
                mk(parent)?;
            }
            if !p.exists() {
                std::os::unix::fs::symlink("/bin/busybox", &p).map_err(io("symlink", &p))?;
            }
        }
        std::fs::write(
            tmp.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
        )
        .map_err(io("write", "etc/passwd"))?;
        std::fs::write(tmp.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n")
            .map_err(io("write", "etc/group"))?;
        let id = self.add_layer(&tmp);
        let _ = std::fs::remove_dir_all(&tmp);
        let (name, tag) = parse_ref(BUSYBOX)?;
        self.write_record(name, tag, vec![id?], default_config())
    }

    fn get_existing(&self, reference: &str) -> Result<ImageRecord> {
        let (name, tag) = parse_ref(reference)?;
        let p = self.record_path(&name, &tag);
        let text =
            std::fs::read_to_string(&p).map_err(|_| Error::ImageNotFound(reference.into()))?;
        serde_json::from_str(&text).map_err(json(p.display().to_string()))
    }

    /// Delete an image and the layers no other image uses.
    pub fn remove(&self, reference: &str) -> Result<()> {
        let img = self.get_existing(reference)?;
        let k = key(&img.name, &img.tag);
        let _ = std::fs::remove_file(self.images_dir().join(format!("{k}.json")));
        let _ = std::fs::remove_file(self.images_dir().join(format!("{k}.used")));
        let still: BTreeSet<String> = self.list()?.into_iter().flat_map(|r| r.layers).collect();
        for l in img.layers {
            if !still.contains(&l) {
                let d = self.layer_dir(&l);
                std::fs::remove_dir_all(&d).map_err(io("remove", &d))?;
            }
        }
        Ok(())
    }

    /// Run image GC against the filesystem the store is on; returns what was deleted.
    pub fn garbage_collect(&self, in_use: &BTreeSet<String>) -> Result<Vec<String>> {
        self.garbage_collect_with(in_use, &GcPolicy::default(), &fs_usage)
    }

    /// One image GC pass under `policy`, with the disk's (capacity, available) bytes from
    /// `disk` (the store's filesystem in production: `fs_usage`; a fake in tests).
    pub fn garbage_collect_with(
        &self,
        in_use: &BTreeSet<String>,
        policy: &GcPolicy,
        disk: &dyn Fn(&Path) -> Result<(u64, u64)>,
    ) -> Result<Vec<String>> {
        let (capacity, available) = disk(&self.root)?;
        let now = std::time::SystemTime::now();
        let images: Vec<GcImage> = self
            .list()?
            .into_iter()
            .map(|r| GcImage {
                age_secs: now
                    .duration_since(self.last_used(&r))
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                in_use: in_use.contains(&r.reference()),
                size: r.size_bytes,
                reference: r.reference(),
            })
            .collect();
        let victims = plan_gc_with(policy, capacity, available, &images);
        for v in &victims {
            self.remove(v)?;
        }
        Ok(victims)
    }
}

fn default_config() -> ImageConfig {
    ImageConfig {
        cmd: vec!["sh".into()],
        env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
        ..ImageConfig::default()
    }
}

/// An image as GC sees it.
#[derive(Clone, Debug)]
pub struct GcImage {
    pub reference: String,
    /// Seconds since last use.
    pub age_secs: u64,
    pub in_use: bool,
    pub size: u64,
}

/// Which images to delete (kubelet `GarbageCollect` + `freeSpace`): nothing below the high
/// threshold; else free `capacity * (100 - low) / 100 - available` bytes from unused images
/// older than the minimum age, least recently used first.
pub fn plan_gc(capacity: u64, available: u64, images: &[GcImage]) -> Vec<String> {
    plan_gc_with(&GcPolicy::default(), capacity, available, images)
}

/// `plan_gc` under another policy (the kubelet's flags; tests use a zero minimum age).
pub fn plan_gc_with(
    policy: &GcPolicy,
    capacity: u64,
    available: u64,
    images: &[GcImage],
) -> Vec<String> {
    if capacity == 0 {
        return Vec::new();
    }
    let used_pct = (capacity - available.min(capacity)) * 100 / capacity;
    if used_pct < policy.high_percent {
        return Vec::new();
    }
    let to_free = (capacity * (100 - policy.low_percent.min(100)) / 100).saturating_sub(available);
    let mut cands: Vec<&GcImage> = images
        .iter()
        .filter(|i| !i.in_use && i.age_secs >= policy.min_age_secs)
        .collect();
    cands.sort_by(|a, b| {
        b.age_secs
            .cmp(&a.age_secs)
            .then(a.reference.cmp(&b.reference))
    });
    let mut freed = 0;
    let mut out = Vec::new();
    for c in cands {
        if freed >= to_free {
            break;
        }
        freed += c.size;
        out.push(c.reference.clone());
    }
    out
}

/// (capacity, available) bytes of the filesystem holding `p` (statvfs).
pub fn fs_usage(p: &Path) -> Result<(u64, u64)> {
    std::fs::create_dir_all(p).map_err(io("mkdir", p))?;
    let c = crate::sys::cpath(p);
    // SAFETY: statvfs writes into our zeroed struct.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            return Err(io("statvfs", p)(std::io::Error::last_os_error()));
        }
        Ok((
            st.f_blocks as u64 * st.f_frsize as u64,
            st.f_bavail as u64 * st.f_frsize as u64,
        ))
    }
}

fn set_mode(p: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(io("chmod", p))
}

/// Bytes used by a tree (regular files).
pub fn du(p: &Path) -> u64 {
    let Ok(m) = std::fs::symlink_metadata(p) else {
        return 0;
    };
    if m.is_dir() {
        std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| du(&e.path()))
            .sum()
    } else if m.is_file() {
        m.len()
    } else {
        0
    }
}

/// What an OCI layer entry named `file_name` means.
#[derive(Debug, PartialEq, Eq)]
pub enum Whiteout<'a> {
    /// `.wh..wh..opq`: the directory hides everything below it in lower layers.
    Opaque,
    /// `.wh.NAME`: NAME is deleted.
    Delete(&'a str),
    None,
}

/// OCI image-spec layer.md "Whiteouts".
pub fn whiteout(file_name: &str) -> Whiteout<'_> {
    if file_name == ".wh..wh..opq" {
        Whiteout::Opaque
    } else if let Some(n) = file_name.strip_prefix(".wh.") {
        Whiteout::Delete(n)
    } else {
        Whiteout::None
    }
}

/// Apply a whiteout in overlayfs form inside `dir`.
fn apply_whiteout(dir: &Path, w: Whiteout<'_>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io("mkdir", dir))?;
    match w {
        Whiteout::Opaque => {
            let c = crate::sys::cpath(dir);
            let name = crate::sys::cstr("trusted.overlay.opaque");
            // SAFETY: valid C strings and a 1-byte value.
            let r = unsafe {
                libc::setxattr(
                    c.as_ptr(),
                    name.as_ptr(),
                    b"y".as_ptr() as *const libc::c_void,
                    1,
                    0,
                )
            };
            if r != 0 {
                return Err(io("setxattr trusted.overlay.opaque", dir)(
                    std::io::Error::last_os_error(),
                ));
            }
        }
        Whiteout::Delete(name) => {
            let p = dir.join(name);
            let _ = std::fs::remove_file(&p);
            let c = crate::sys::cpath(&p);
            // SAFETY: valid C string.
            if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, libc::makedev(0, 0)) } != 0 {
                return Err(io("mknod whiteout", &p)(std::io::Error::last_os_error()));
            }
        }
        Whiteout::None => {}
    }
    Ok(())
}

fn copy_layer_dir(src: &Path, dst: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    for e in std::fs::read_dir(src).map_err(io("read", src))?.flatten() {
        let name = e.file_name();
        let name_s = name.to_string_lossy();
        let from = e.path();
        match whiteout(&name_s) {
            Whiteout::None => {}
            w => {
                apply_whiteout(dst, w)?;
                continue;
            }
        }
        let to = dst.join(&name);
        let m = std::fs::symlink_metadata(&from).map_err(io("stat", &from))?;
        if m.file_type().is_symlink() {
            let t = std::fs::read_link(&from).map_err(io("readlink", &from))?;
            std::os::unix::fs::symlink(&t, &to).map_err(io("symlink", &to))?;
        } else if m.is_dir() {
            std::fs::create_dir_all(&to).map_err(io("mkdir", &to))?;
            copy_layer_dir(&from, &to)?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(m.mode() & 0o7777))
                .map_err(io("chmod", &to))?;
        } else if m.is_file() {
            std::fs::copy(&from, &to).map_err(io("copy", &from))?;
        } else {
            continue; // devices, fifos, sockets: not carried into images
        }
        let _ = std::os::unix::fs::lchown(&to, Some(m.uid()), Some(m.gid()));
    }
    Ok(())
}

fn extract_layer_tar(src: &Path, dst: &Path) -> Result<()> {
    let f = std::fs::File::open(src).map_err(io("open", src))?;
    let name = src.to_string_lossy();
    let reader: Box<dyn std::io::Read> = if name.ends_with(".gz") || name.ends_with(".tgz") {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut ar = tar::Archive::new(reader);
    ar.set_preserve_permissions(true);
    ar.set_preserve_ownerships(true);
    ar.set_overwrite(true);
    for entry in ar.entries().map_err(io("read tar", src))? {
        let mut entry = entry.map_err(io("read tar", src))?;
        let path = entry.path().map_err(io("read tar", src))?.into_owned();
        let fname = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match whiteout(&fname) {
            Whiteout::None => {
                entry.unpack_in(dst).map_err(io("unpack", &path))?;
            }
            w => {
                let parent = dst.join(path.parent().unwrap_or(Path::new("")));
                apply_whiteout(&parent, w)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_with_default_tag() {
        assert_eq!(
            parse_ref("cellsim/busybox").unwrap(),
            ("cellsim/busybox".into(), "latest".into())
        );
        assert_eq!(
            parse_ref("nginx:1.25").unwrap(),
            ("nginx".into(), "1.25".into())
        );
        assert_eq!(
            parse_ref("localhost:5000/app").unwrap(),
            ("localhost:5000/app".into(), "latest".into())
        );
        assert!(parse_ref("a b").is_err());
        assert!(parse_ref("app:").is_err());
    }

    #[test]
    fn whiteout_names_follow_the_oci_spec() {
        assert_eq!(whiteout(".wh..wh..opq"), Whiteout::Opaque);
        assert_eq!(whiteout(".wh.foo"), Whiteout::Delete("foo"));
        assert_eq!(whiteout("foo"), Whiteout::None);
    }

    fn img(r: &str, age: u64, in_use: bool, size: u64) -> GcImage {
        GcImage {
            reference: r.into(),
            age_secs: age,
            in_use,
            size,
        }
    }

    #[test]
    fn gc_frees_lru_unused_images_down_to_the_low_threshold() {
        let images = [
            img("a:1", 1000, false, 30),
            img("b:1", 5000, false, 30),
            img("c:1", 9000, true, 500),
            img("d:1", 60, false, 500),
            img("e:1", 3000, false, 30),
        ];
        // 84% used: below the high threshold.
        assert!(plan_gc(1000, 160, &images).is_empty());
        // 90% used → free 200 - 100 = 100 bytes: b (oldest unused), e, a; c is in use,
        // d too young.
        assert_eq!(plan_gc(1000, 100, &images), vec!["b:1", "e:1", "a:1"]);
        // 86% used → free 60: b and e.
        assert_eq!(plan_gc(1000, 140, &images), vec!["b:1", "e:1"]);
    }

    #[test]
    fn directory_layers_convert_whiteouts_to_overlay_form() {
        use std::os::unix::fs::FileTypeExt;
        assert!(
            crate::sys::is_root(),
            "\n*** this test needs root (mknod, trusted.* xattrs); CI runs as root ***\n"
        );
        let base = std::env::temp_dir().join(format!("cellsim-img-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let src = base.join("src");
        std::fs::create_dir_all(src.join("a")).unwrap();
        std::fs::create_dir_all(src.join("b")).unwrap();
        std::fs::write(src.join("a/.wh.gone"), "").unwrap();
        std::fs::write(src.join("b/.wh..wh..opq"), "").unwrap();
        std::fs::write(src.join("b/kept"), "x").unwrap();
        let store = ImageStore::new(base.join("store"));
        let id = store.add_layer(&src).unwrap();
        let l = store.layer_dir(&id);
        let m = std::fs::symlink_metadata(l.join("a/gone")).unwrap();
        assert!(m.file_type().is_char_device());
        use std::os::unix::fs::MetadataExt;
        assert_eq!(m.rdev(), 0);
        assert!(!l.join("a/.wh.gone").exists());
        let mut v = [0u8; 4];
        let c = crate::sys::cpath(&l.join("b"));
        let n = crate::sys::cstr("trusted.overlay.opaque");
        let got = unsafe {
            libc::getxattr(
                c.as_ptr(),
                n.as_ptr(),
                v.as_mut_ptr() as *mut libc::c_void,
                4,
            )
        };
        assert_eq!(got, 1);
        assert_eq!(v[0], b'y');
        assert_eq!(std::fs::read_to_string(l.join("b/kept")).unwrap(), "x");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
