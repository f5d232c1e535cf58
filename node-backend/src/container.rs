//! A container's spec from the plan's `CreateContainer` (the v1 Container as JSON), the pod's
//! extras, the image config and the sandbox: the process (command, env, user, capabilities),
//! the rootfs layers and the cgroup limits — what containerd's CRI plugin and the kubelet's
//! kuberuntime compute before calling runc.

use crate::cgroups::{convert, Limits};
use crate::images::ImageConfig;
use crate::spec::ProcessSpec;
use cellsim_core::api::pod::{Container, Pod};
use cellsim_core::api::resources::Resources;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The parts of the pod and container securityContext cellsim's core model does not keep,
/// read from the manifest's JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Security {
    pub run_as_user: Option<u32>,
    pub run_as_group: Option<u32>,
    pub supplemental_groups: Vec<u32>,
    pub privileged: bool,
    pub allow_privilege_escalation: Option<bool>,
    pub read_only_root_filesystem: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
}

/// Node-side facts about a pod beyond the core's Pod type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodExtras {
    /// Per container name: its effective security context (pod-level merged in).
    pub security: BTreeMap<String, Security>,
}

impl PodExtras {
    /// From a manifest's JSON (`spec.securityContext`, each container's `securityContext`).
    pub fn from_manifest(doc: &serde_json::Value) -> PodExtras {
        let spec = &doc["spec"];
        let pod_sc = &spec["securityContext"];
        let mut security = BTreeMap::new();
        for list in ["initContainers", "containers"] {
            for c in spec[list].as_array().into_iter().flatten() {
                let sc = &c["securityContext"];
                let u32_of = |k: &str| {
                    sc[k]
                        .as_u64()
                        .or_else(|| pod_sc[k].as_u64())
                        .map(|v| v as u32)
                };
                let strings = |v: &serde_json::Value| -> Vec<String> {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                };
                security.insert(
                    c["name"].as_str().unwrap_or_default().to_string(),
                    Security {
                        run_as_user: u32_of("runAsUser"),
                        run_as_group: u32_of("runAsGroup"),
                        supplemental_groups: pod_sc["supplementalGroups"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|g| g.as_u64().map(|g| g as u32))
                            .collect(),
                        privileged: sc["privileged"].as_bool().unwrap_or(false),
                        allow_privilege_escalation: sc["allowPrivilegeEscalation"].as_bool(),
                        read_only_root_filesystem: sc["readOnlyRootFilesystem"]
                            .as_bool()
                            .unwrap_or(false),
                        cap_add: strings(&sc["capabilities"]["add"]),
                        cap_drop: strings(&sc["capabilities"]["drop"]),
                    },
                );
            }
        }
        PodExtras { security }
    }
}

/// kubelet's `$(VAR)` expansion (third_party/forked/golang/expansion): `$(NAME)` becomes the
/// variable's value when defined, `$$` a literal `$`, anything else stays.
pub fn expand(s: &str, env: &BTreeMap<String, String>) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            if b[i + 1] == b'$' {
                out.push('$');
                i += 2;
                continue;
            }
            if b[i + 1] == b'(' {
                if let Some(end) = s[i + 2..].find(')') {
                    let name = &s[i + 2..i + 2 + end];
                    match env.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&s[i..i + 3 + end]),
                    }
                    i += 3 + end;
                    continue;
                }
            }
        }
        let ch = s[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Environment: the image's, `HOSTNAME` (containerd's CRI plugin sets it), then the
/// container's own (later definitions win; `$(VAR)` refers to earlier ones).
pub fn environment(c: &Container, img: &ImageConfig, hostname: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, k: String, v: String| {
        if let Some(e) = env.iter_mut().find(|(n, _)| *n == k) {
            e.1 = v;
        } else {
            env.push((k, v));
        }
    };
    for kv in &img.env {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        set(&mut env, k.to_string(), v.to_string());
    }
    set(&mut env, "HOSTNAME".into(), hostname.to_string());
    for e in &c.env {
        let map: BTreeMap<String, String> = env.iter().cloned().collect();
        let v = expand(e.value.as_deref().unwrap_or(""), &map);
        set(&mut env, e.name.clone(), v);
    }
    env
}

/// The command line (kubelet `ExpandContainerCommandAndArgs` with containerd's image
/// defaults): `command` replaces the entrypoint, `args` the cmd; with a `command` but no
/// `args` the image's cmd is not used.
pub fn command_line(c: &Container, img: &ImageConfig, env: &[(String, String)]) -> Vec<String> {
    let map: BTreeMap<String, String> = env.iter().cloned().collect();
    let ex = |v: &[String]| v.iter().map(|s| expand(s, &map)).collect::<Vec<_>>();
    if !c.command.is_empty() {
        let mut v = ex(&c.command);
        v.extend(ex(&c.args));
        v
    } else {
        let mut v = img.entrypoint.clone();
        if c.args.is_empty() {
            v.extend(img.cmd.iter().cloned());
        } else {
            v.extend(ex(&c.args));
        }
        v
    }
}

/// Pod QoS class (kubelet pkg/apis/core/v1/helper/qos `GetPodQOS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qos {
    Guaranteed,
    Burstable,
    BestEffort,
}

pub fn qos(pod: &Pod) -> Qos {
    let all: Vec<&Container> = pod
        .spec
        .init_containers
        .iter()
        .chain(pod.spec.containers.iter())
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &all {
        let req = Resources::from_list(&c.resources.requests);
        let lim = Resources::from_list(&c.resources.limits);
        if req.milli_cpu > 0 || req.memory > 0 || lim.milli_cpu > 0 || lim.memory > 0 {
            any = true;
        }
        let cpu_req = if req.milli_cpu > 0 {
            req.milli_cpu
        } else {
            lim.milli_cpu
        };
        let mem_req = if req.memory > 0 {
            req.memory
        } else {
            lim.memory
        };
        if lim.milli_cpu == 0
            || lim.memory == 0
            || cpu_req != lim.milli_cpu
            || mem_req != lim.memory
        {
            guaranteed = false;
        }
    }
    if !any {
        Qos::BestEffort
    } else if guaranteed {
        Qos::Guaranteed
    } else {
        Qos::Burstable
    }
}

/// kubelet pkg/kubelet/qos/policy.go `GetContainerOOMScoreAdjust`.
pub fn oom_score_adj(q: Qos, memory_request: i64, memory_capacity: i64) -> i32 {
    const GUARANTEED: i32 = -997;
    const BEST_EFFORT: i32 = 1000;
    match q {
        Qos::Guaranteed => GUARANTEED,
        Qos::BestEffort => BEST_EFFORT,
        Qos::Burstable => {
            if memory_capacity <= 0 {
                return 999;
            }
            let adj = 1000 - (1000 * memory_request) / memory_capacity;
            if adj < (1000 + GUARANTEED) as i64 {
                1000 + GUARANTEED
            } else if adj == BEST_EFFORT as i64 {
                999
            } else {
                adj as i32
            }
        }
    }
}

/// Limits of one container's cgroup (containerd CRI from the kubelet's
/// `LinuxContainerResources`): shares from the request, quota from the limit, memory limit.
pub fn container_limits(c: &Container) -> Limits {
    let req = Resources::from_list(&c.resources.requests);
    let lim = Resources::from_list(&c.resources.limits);
    let cpu_req = if req.milli_cpu > 0 {
        req.milli_cpu
    } else {
        lim.milli_cpu
    };
    Limits {
        cpu_shares: Some(convert::milli_cpu_to_shares(cpu_req)),
        cpu_quota_us: (lim.milli_cpu > 0)
            .then(|| convert::milli_cpu_to_quota(lim.milli_cpu, convert::QUOTA_PERIOD_US)),
        cpu_period_us: convert::QUOTA_PERIOD_US,
        memory_bytes: (lim.memory > 0).then_some(lim.memory),
        pids: None,
    }
}

/// The pod cgroup (kubelet pkg/kubelet/cm/helpers_linux.go `ResourceConfigForPod`): shares
/// from the sum of requests; a CPU quota and memory limit only when every container has one;
/// the pod's pids limit (`podPidsLimit`).
pub fn pod_limits(pod: &Pod, pids: Option<i64>) -> Limits {
    let mut cpu_req = 0;
    let mut cpu_lim = 0;
    let mut mem_lim = 0;
    let mut all_cpu = true;
    let mut all_mem = true;
    for c in &pod.spec.containers {
        let req = Resources::from_list(&c.resources.requests);
        let lim = Resources::from_list(&c.resources.limits);
        cpu_req += if req.milli_cpu > 0 {
            req.milli_cpu
        } else {
            lim.milli_cpu
        };
        if lim.milli_cpu > 0 {
            cpu_lim += lim.milli_cpu;
        } else {
            all_cpu = false;
        }
        if lim.memory > 0 {
            mem_lim += lim.memory;
        } else {
            all_mem = false;
        }
    }
    // Init containers run alone: the pod needs at least the largest of them.
    for c in &pod.spec.init_containers {
        let lim = Resources::from_list(&c.resources.limits);
        if lim.memory > 0 {
            mem_lim = mem_lim.max(lim.memory);
        } else {
            all_mem = false;
        }
        if lim.milli_cpu > 0 {
            cpu_lim = cpu_lim.max(lim.milli_cpu);
        } else {
            all_cpu = false;
        }
    }
    Limits {
        cpu_shares: Some(convert::milli_cpu_to_shares(cpu_req)),
        cpu_quota_us: (all_cpu && cpu_lim > 0)
            .then(|| convert::milli_cpu_to_quota(cpu_lim, convert::QUOTA_PERIOD_US)),
        cpu_period_us: convert::QUOTA_PERIOD_US,
        memory_bytes: (all_mem && mem_lim > 0).then_some(mem_lim),
        pids,
    }
}

/// The process spec of a container.
pub fn process(
    pod: &Pod,
    c: &Container,
    img: &ImageConfig,
    layers: &[std::path::PathBuf],
    sec: &Security,
    memory_capacity: i64,
) -> ProcessSpec {
    let env = environment(c, img, &pod.metadata.name);
    let args = command_line(c, img, &env);
    let (img_uid, img_gid) = resolve_user(&img.user, layers);
    let uid = sec.run_as_user.unwrap_or(img_uid);
    let gid = sec.run_as_group.unwrap_or(img_gid);
    let capabilities = if sec.privileged {
        (0..=crate::caps::last_cap()).collect()
    } else {
        crate::caps::effective_set(&sec.cap_add, &sec.cap_drop)
    };
    let mem_req = {
        let req = Resources::from_list(&c.resources.requests);
        if req.memory > 0 {
            req.memory
        } else {
            Resources::from_list(&c.resources.limits).memory
        }
    };
    ProcessSpec {
        args,
        env: env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
        cwd: if !c.working_dir.is_empty() {
            c.working_dir.clone()
        } else if !img.working_dir.is_empty() {
            img.working_dir.clone()
        } else {
            "/".into()
        },
        uid,
        gid,
        additional_gids: sec.supplemental_groups.clone(),
        capabilities,
        // runc's default spec sets noNewPrivileges; only an explicit
        // allowPrivilegeEscalation: true (or privileged) lifts it.
        no_new_privileges: !sec.privileged && sec.allow_privilege_escalation != Some(true),
        rlimits: crate::rlimits::defaults(),
        oom_score_adj: Some(oom_score_adj(qos(pod), mem_req, memory_capacity)),
    }
}

/// The image's `User` (`user[:group]`, names or numbers) as runc resolves it
/// (libcontainer/user `GetExecUserPath`): names through the image's /etc/passwd and
/// /etc/group (the topmost layer that has the file), a user's group from its passwd entry
/// when no group is given; unknown names and an empty user are root.
pub fn resolve_user(u: &str, layers: &[std::path::PathBuf]) -> (u32, u32) {
    let read = |f: &str| {
        layers
            .iter()
            .map(|l| l.join("etc").join(f))
            .find(|p| p.exists())
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    let (user, group) = u.split_once(':').unwrap_or((u, ""));
    let (uid, passwd_gid) = if user.is_empty() {
        (0, 0)
    } else if let Ok(n) = user.parse::<u32>() {
        let gid = read("passwd")
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 3 && f[2] == user)
            .and_then(|f| f[3].parse().ok())
            .unwrap_or(0);
        (n, gid)
    } else {
        read("passwd")
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 3 && f[0] == user)
            .map(|f| (f[2].parse().unwrap_or(0), f[3].parse().unwrap_or(0)))
            .unwrap_or((0, 0))
    };
    let gid = if group.is_empty() {
        passwd_gid
    } else if let Ok(n) = group.parse::<u32>() {
        n
    } else {
        read("group")
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 2 && f[0] == group)
            .and_then(|f| f[2].parse().ok())
            .unwrap_or(0)
    };
    (uid, gid)
}

/// MemTotal of /proc/meminfo in bytes.
pub fn memory_capacity() -> i64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctr(yaml_json: serde_json::Value) -> Container {
        serde_json::from_value(yaml_json).unwrap()
    }

    #[test]
    fn command_and_args_override_the_image_as_the_kubelet_does() {
        let img = ImageConfig {
            entrypoint: vec!["/ep".into()],
            cmd: vec!["c1".into()],
            ..ImageConfig::default()
        };
        let env = vec![("A".to_string(), "x".to_string())];
        let c = ctr(serde_json::json!({"name": "a", "image": "i"}));
        assert_eq!(command_line(&c, &img, &env), ["/ep", "c1"]);
        let c = ctr(serde_json::json!({"name": "a", "image": "i", "args": ["$(A)", "$$(A)"]}));
        assert_eq!(command_line(&c, &img, &env), ["/ep", "x", "$(A)"]);
        let c = ctr(serde_json::json!({"name": "a", "image": "i", "command": ["sh"]}));
        assert_eq!(command_line(&c, &img, &env), ["sh"]);
        assert_eq!(expand("$(B)-$(A)", &env.into_iter().collect()), "$(B)-x");
    }

    #[test]
    fn env_layers_image_hostname_and_container() {
        let img = ImageConfig {
            env: vec!["PATH=/bin".into(), "X=1".into()],
            ..ImageConfig::default()
        };
        let c = ctr(serde_json::json!({"name": "a", "image": "i",
            "env": [{"name": "X", "value": "2"}, {"name": "Y", "value": "$(X)-$(HOSTNAME)"}]}));
        let env = environment(&c, &img, "web-0");
        assert_eq!(
            env,
            vec![
                ("PATH".into(), "/bin".into()),
                ("X".into(), "2".into()),
                ("HOSTNAME".into(), "web-0".into()),
                ("Y".into(), "2-web-0".into())
            ]
        );
    }

    #[test]
    fn image_users_resolve_through_the_image_passwd_and_group() {
        let d = std::env::temp_dir().join(format!("cellsim-user-{}", std::process::id()));
        let (top, base) = (d.join("top"), d.join("base"));
        std::fs::create_dir_all(top.join("etc")).unwrap();
        std::fs::create_dir_all(base.join("etc")).unwrap();
        std::fs::write(base.join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
        std::fs::write(
            top.join("etc/passwd"),
            "root:x:0:0::/:/bin/sh\nweb:x:101:102::/:/bin/false\n",
        )
        .unwrap();
        std::fs::write(top.join("etc/group"), "root:x:0:\nadm:x:4:\n").unwrap();
        let layers = vec![top.clone(), base.clone()];
        assert_eq!(resolve_user("", &layers), (0, 0));
        assert_eq!(resolve_user("web", &layers), (101, 102));
        assert_eq!(resolve_user("web:adm", &layers), (101, 4));
        assert_eq!(resolve_user("101", &layers), (101, 102));
        assert_eq!(resolve_user("1000:7", &layers), (1000, 7));
        assert_eq!(resolve_user("nobody", &[base]), (0, 0));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn oom_score_adj_follows_qos_policy() {
        assert_eq!(oom_score_adj(Qos::Guaranteed, 0, 1000), -997);
        assert_eq!(oom_score_adj(Qos::BestEffort, 0, 1000), 1000);
        assert_eq!(oom_score_adj(Qos::Burstable, 500, 1000), 500);
        assert_eq!(oom_score_adj(Qos::Burstable, 0, 1000), 999);
        assert_eq!(oom_score_adj(Qos::Burstable, 999, 1000), 3);
    }

    #[test]
    fn limits_convert_requests_and_limits() {
        let c = ctr(serde_json::json!({"name": "a", "image": "i", "resources": {
            "requests": {"cpu": "250m"}, "limits": {"cpu": "500m", "memory": "64Mi"}}}));
        let l = container_limits(&c);
        assert_eq!(l.cpu_shares, Some(256));
        assert_eq!(l.cpu_quota_us, Some(50_000));
        assert_eq!(l.memory_bytes, Some(64 << 20));
        let be = ctr(serde_json::json!({"name": "a", "image": "i"}));
        assert_eq!(container_limits(&be).cpu_shares, Some(2));
        assert_eq!(container_limits(&be).cpu_quota_us, None);
    }
}
