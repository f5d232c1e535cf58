//! Resource limits set on the container process before exec.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimit {
    /// `RLIMIT_NOFILE`, ...
    pub name: String,
    pub soft: u64,
    pub hard: u64,
}

/// runc libcontainer/specconv/example.go `Example()`: `RLIMIT_NOFILE` 1024/1024, the one
/// rlimit of runc's default spec.
pub fn defaults() -> Vec<Rlimit> {
    vec![Rlimit {
        name: "RLIMIT_NOFILE".into(),
        soft: 1024,
        hard: 1024,
    }]
}

fn resource(name: &str) -> Option<libc::__rlimit_resource_t> {
    Some(match name {
        "RLIMIT_NOFILE" => libc::RLIMIT_NOFILE,
        "RLIMIT_NPROC" => libc::RLIMIT_NPROC,
        "RLIMIT_CORE" => libc::RLIMIT_CORE,
        "RLIMIT_STACK" => libc::RLIMIT_STACK,
        "RLIMIT_AS" => libc::RLIMIT_AS,
        "RLIMIT_CPU" => libc::RLIMIT_CPU,
        "RLIMIT_FSIZE" => libc::RLIMIT_FSIZE,
        "RLIMIT_MEMLOCK" => libc::RLIMIT_MEMLOCK,
        _ => return None,
    })
}

pub fn apply(limits: &[Rlimit]) -> Result<(), String> {
    for l in limits {
        let r = resource(&l.name).ok_or_else(|| format!("unknown rlimit {}", l.name))?;
        let v = libc::rlimit {
            rlim_cur: l.soft,
            rlim_max: l.hard,
        };
        // SAFETY: setrlimit reads the struct we own.
        if unsafe { libc::setrlimit(r, &v) } != 0 {
            return Err(format!(
                "setrlimit {}: {}",
                l.name,
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}
