//! Endpoint selection: which endpoint a service proxy sends a new connection to. This is the
//! one function both the simulated traffic model (`net::traffic`) and the real backend's
//! userspace service proxy call (design: "Service routing is shared too").
//!
//! Modes, as kube-proxy v1.35 programs them:
//! - **iptables**: a chain of `-m statistic --mode random --probability 1/n, 1/(n-1), ...`
//!   rules, which is a uniform choice among the n endpoints (proxy/iptables/proxier.go
//!   `writeServiceToEndpointRules`).
//! - **nftables**: `numgen random mod n vmap {...}`, also uniform (proxy/nftables/proxier.go).
//! - **IPVS** with the virtual server's scheduler: `rr` (kube-proxy's default
//!   `--ipvs-scheduler`), `lc` (fewest active connections; ip_vs_lc.c weighs active
//!   connections ×256 plus inactive ones, ties to the first server) or `sh` (source hashing:
//!   ip_vs_sh.c's 256-bucket table filled round-robin with the servers, bucket = Knuth's
//!   multiplicative hash of the client address).
//! - **ClientIP session affinity**: iptables' `recent` match (`--rcheck --seconds T --reap`,
//!   refreshed by `--set` on every new connection) or IPVS persistence; a client keeps its
//!   endpoint while it is still a candidate and it was seen within the timeout
//!   (`sessionAffinityConfig.clientIP.timeoutSeconds`, default 10800).

use crate::collections::OrdMap;

/// core/v1 `DefaultClientIPServiceAffinitySeconds`.
pub const DEFAULT_AFFINITY_SECONDS: u64 = 10800;
/// ip_vs_sh.c `IP_VS_SH_TAB_BITS`.
const SH_TAB_BITS: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProxyMode {
    #[default]
    Iptables,
    Nftables,
    Ipvs(IpvsScheduler),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IpvsScheduler {
    #[default]
    RoundRobin,
    LeastConnection,
    SourceHashing,
}

impl ProxyMode {
    /// kube-proxy's `mode` and `ipvs.scheduler` configuration values.
    pub fn parse(mode: &str, scheduler: &str) -> Result<ProxyMode, String> {
        let sched = match scheduler {
            "" | "rr" => IpvsScheduler::RoundRobin,
            "lc" => IpvsScheduler::LeastConnection,
            "sh" => IpvsScheduler::SourceHashing,
            other => {
                return Err(format!(
                    "unsupported IPVS scheduler {other:?}: expected rr, lc or sh"
                ))
            }
        };
        match mode {
            "" | "iptables" => Ok(ProxyMode::Iptables),
            "nftables" => Ok(ProxyMode::Nftables),
            "ipvs" => Ok(ProxyMode::Ipvs(sched)),
            other => Err(format!(
                "unsupported proxy mode {other:?}: expected iptables, ipvs or nftables"
            )),
        }
    }
}

/// A Service's ClientIP affinity timeout in milliseconds (`sessionAffinity: ClientIP`, the
/// timeout from `sessionAffinityConfig.clientIP.timeoutSeconds`, default 10800); `None` for
/// `sessionAffinity: None`. Read alike by the traffic model and the real service proxy.
pub fn affinity_ms(spec: &crate::api::service::ServiceSpec) -> Option<u64> {
    (spec.session_affinity == "ClientIP").then(|| {
        spec.session_affinity_config
            .as_ref()
            .and_then(|c| c.client_ip.as_ref())
            .and_then(|c| c.timeout_seconds)
            .map_or(DEFAULT_AFFINITY_SECONDS, |t| t.max(0) as u64)
            * 1000
    })
}

/// The random source a pick may draw from (the simulation's seeded stream, or the real
/// proxy's generator).
pub trait Draw {
    /// A uniform integer in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64;
}

impl Draw for crate::rng::SimRng {
    fn below(&mut self, n: u64) -> u64 {
        crate::rng::SimRng::below(self, n)
    }
}

/// One candidate of a pick: a stable identity (the endpoint's address and port, packed) and
/// its active connections (read by `lc` only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: u64,
    pub active: u64,
}

/// The selection state of one service port on one proxy: the round-robin position, the
/// source-hashing table and the affinity table.
#[derive(Clone, Debug, Default)]
pub struct Balancer {
    pub mode: ProxyMode,
    /// ClientIP affinity timeout in milliseconds; `None`: no affinity.
    pub affinity_ms: Option<u64>,
    rr: u64,
    /// client address -> (endpoint id, last seen ms).
    affinity: OrdMap<u32, (u64, u64)>,
}

impl Balancer {
    pub fn new(mode: ProxyMode, affinity_ms: Option<u64>) -> Balancer {
        Balancer {
            mode,
            affinity_ms,
            ..Balancer::default()
        }
    }

    /// The index (into `candidates`) of the endpoint a new connection from `client` at
    /// `now_ms` goes to; `None` when there is no candidate. `candidates` are the endpoints
    /// the proxy uses for this traffic (see `usable`), in a stable order.
    pub fn pick(
        &mut self,
        candidates: &[Candidate],
        client: u32,
        now_ms: u64,
        rng: &mut impl Draw,
    ) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        if let Some(timeout) = self.affinity_ms {
            if let Some(&(id, seen)) = self.affinity.get(&client) {
                if now_ms.saturating_sub(seen) <= timeout {
                    if let Some(i) = candidates.iter().position(|c| c.id == id) {
                        self.affinity.insert(client, (id, now_ms));
                        return Some(i);
                    }
                }
            }
        }
        let n = candidates.len() as u64;
        let i = match self.mode {
            ProxyMode::Iptables | ProxyMode::Nftables => rng.below(n) as usize,
            ProxyMode::Ipvs(IpvsScheduler::RoundRobin) => {
                let i = self.rr % n;
                self.rr = self.rr.wrapping_add(1);
                i as usize
            }
            ProxyMode::Ipvs(IpvsScheduler::LeastConnection) => candidates
                .iter()
                .enumerate()
                .min_by_key(|(i, c)| (c.active, *i))
                .map(|(i, _)| i)
                .expect("non-empty"),
            ProxyMode::Ipvs(IpvsScheduler::SourceHashing) => {
                // Bucket b holds server b mod n (the table is filled round-robin).
                let bucket = (client.wrapping_mul(2_654_435_761) >> (32 - SH_TAB_BITS)) as u64;
                (bucket % n) as usize
            }
        };
        if self.affinity_ms.is_some() {
            self.affinity.insert(client, (candidates[i].id, now_ms));
        }
        Some(i)
    }
}

/// An endpoint's conditions and place, as a proxy reads them from an EndpointSlice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointState {
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    /// On the node of the proxy that handles the connection.
    pub local: bool,
}

/// Which endpoints a proxy uses (pkg/proxy/topology.go `CategorizeEndpoints`, without
/// topology hints): the ready ones; when none is ready, the serving-and-terminating ones
/// (ProxyTerminatingEndpoints, GA in 1.28). With a `Local` traffic policy only this node's
/// endpoints count, with the same fallback among them; none is a drop.
pub fn usable(eps: &[EndpointState], local_only: bool) -> Vec<usize> {
    let scoped = |e: &&EndpointState| !local_only || e.local;
    let ready: Vec<usize> = eps
        .iter()
        .enumerate()
        .filter(|(_, e)| scoped(e) && e.ready)
        .map(|(i, _)| i)
        .collect();
    if !ready.is_empty() {
        return ready;
    }
    eps.iter()
        .enumerate()
        .filter(|(_, e)| scoped(e) && e.serving && e.terminating)
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    fn cands(n: u64) -> Vec<Candidate> {
        (0..n).map(|id| Candidate { id, active: 0 }).collect()
    }

    #[test]
    fn iptables_is_uniform() {
        // 60,000 picks over 3 endpoints: each count within 5 sigma of 20,000 (seed printed).
        let seed = 11;
        let mut rng = SimRng::new(seed);
        let mut b = Balancer::new(ProxyMode::Iptables, None);
        let c = cands(3);
        let mut counts = [0u64; 3];
        for _ in 0..60_000 {
            counts[b.pick(&c, 1, 0, &mut rng).unwrap()] += 1;
        }
        for n in counts {
            assert!((19_460..=20_540).contains(&n), "seed {seed}: {counts:?}");
        }
    }

    #[test]
    fn round_robin_cycles_and_least_connection_takes_the_idlest() {
        let mut rng = SimRng::new(1);
        let mut b = Balancer::new(ProxyMode::Ipvs(IpvsScheduler::RoundRobin), None);
        let c = cands(3);
        let picks: Vec<usize> = (0..6)
            .map(|_| b.pick(&c, 9, 0, &mut rng).unwrap())
            .collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
        let mut lc = Balancer::new(ProxyMode::Ipvs(IpvsScheduler::LeastConnection), None);
        let c = [
            Candidate { id: 1, active: 4 },
            Candidate { id: 2, active: 1 },
            Candidate { id: 3, active: 1 },
        ];
        assert_eq!(lc.pick(&c, 0, 0, &mut rng), Some(1), "ties go to the first");
    }

    #[test]
    fn source_hashing_is_stable_per_client() {
        let mut rng = SimRng::new(1);
        let mut b = Balancer::new(ProxyMode::Ipvs(IpvsScheduler::SourceHashing), None);
        let c = cands(4);
        let mut seen = crate::collections::OrdSet::new();
        for client in 0..64u32 {
            let ip = 0x0a00_0000 + client;
            let first = b.pick(&c, ip, 0, &mut rng).unwrap();
            for _ in 0..5 {
                assert_eq!(b.pick(&c, ip, 0, &mut rng), Some(first));
            }
            seen.insert(first);
        }
        assert!(seen.len() > 1, "different clients spread: {seen:?}");
    }

    #[test]
    fn client_ip_affinity_pins_until_the_timeout_or_the_endpoint_goes() {
        let mut rng = SimRng::new(3);
        let mut b = Balancer::new(ProxyMode::Iptables, Some(10_800_000));
        let c = cands(5);
        let first = b.pick(&c, 42, 0, &mut rng).unwrap();
        for t in 1..200 {
            assert_eq!(b.pick(&c, 42, t * 1000, &mut rng), Some(first));
        }
        // Idle longer than the timeout: a fresh pick (may differ).
        let mut moved = false;
        for k in 0..20 {
            let t = 200_000 + (k + 1) * 10_800_001;
            moved |= b.pick(&c, 42, t, &mut rng) != Some(first);
        }
        assert!(moved, "after the timeout the client is balanced again");
        // The pinned endpoint leaves: the client moves to one of the others.
        let pinned = b.pick(&c, 7, 0, &mut rng).unwrap();
        let rest: Vec<Candidate> = c
            .iter()
            .copied()
            .filter(|x| x.id != pinned as u64)
            .collect();
        let now = b.pick(&rest, 7, 1, &mut rng).unwrap();
        assert_ne!(rest[now].id, pinned as u64);
    }

    #[test]
    fn terminating_endpoints_only_when_none_is_ready() {
        let e = |ready, serving, terminating, local| EndpointState {
            ready,
            serving,
            terminating,
            local,
        };
        let eps = [
            e(false, true, true, true),
            e(true, true, false, false),
            e(false, false, true, true),
        ];
        assert_eq!(usable(&eps, false), [1]);
        // Locally no ready endpoint: the local serving-terminating one.
        assert_eq!(usable(&eps, true), [0]);
        let none_ready = [e(false, true, true, false), e(false, false, true, false)];
        assert_eq!(usable(&none_ready, false), [0]);
        assert!(usable(&none_ready, true).is_empty(), "Local: dropped");
        assert_eq!(
            ProxyMode::parse("ipvs", "lc"),
            Ok(ProxyMode::Ipvs(IpvsScheduler::LeastConnection))
        );
        assert!(ProxyMode::parse("userspace", "").is_err());
    }
}
