//! One service port's listener: accept, pick an endpoint with the core's selection, dial it
//! (retrying with kube-proxy userspace's growing timeouts), copy bytes both ways.

use super::endpoints::{Ep, PortView};
use super::Shared;
use crate::error::{Error, Result};
use crate::net::NetNs;
use cellsim_core::net::select::{usable, Balancer, Candidate, ProxyMode};
use std::collections::BTreeMap;
use std::net::{Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// kube-proxy userspace `EndpointDialTimeouts`: one dial per timeout, each to a fresh pick.
pub const DIAL_TIMEOUTS_MS: [u64; 4] = [250, 500, 1000, 2000];

/// The selection state of a port (what its `Balancer` picks among).
struct PortState {
    balancer: Balancer,
    local_only: bool,
    endpoints: Vec<Ep>,
    /// endpoint id -> open connections (read by IPVS `lc`).
    active: BTreeMap<u64, u64>,
}

impl PortState {
    /// `usable` endpoints, then `Balancer::pick` for `client` (an IPv4 address as u32).
    fn pick(&mut self, client: u32, now_ms: u64, sh: &Shared) -> Option<Ep> {
        let states: Vec<_> = self.endpoints.iter().map(|e| e.state).collect();
        let idx = usable(&states, self.local_only);
        let cands: Vec<Candidate> = idx
            .iter()
            .map(|&i| {
                let id = self.endpoints[i].id();
                Candidate {
                    id,
                    active: self.active.get(&id).copied().unwrap_or(0),
                }
            })
            .collect();
        let mut rng = sh.rng.lock().expect("lock");
        let k = self.balancer.pick(&cands, client, now_ms, &mut *rng)?;
        Some(self.endpoints[idx[k]])
    }
}

/// Open connections, so `stop` can close them and join their threads.
#[derive(Default)]
struct Conns {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Vec<TcpStream>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

pub struct PortProxy {
    ip: std::net::Ipv4Addr,
    port: u16,
    state: Arc<Mutex<PortState>>,
    listener: Arc<TcpListener>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    conns: Arc<Conns>,
}

impl PortProxy {
    /// Listen on the port's ClusterIP inside `ns` (the address must be local there).
    pub fn start(ns: &NetNs, v: &PortView, mode: ProxyMode, sh: Arc<Shared>) -> Result<PortProxy> {
        let state = Arc::new(Mutex::new(PortState {
            balancer: Balancer::new(mode, v.affinity_ms),
            local_only: v.local_only,
            endpoints: v.endpoints.clone(),
            active: BTreeMap::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Conns::default());
        let addr = SocketAddrV4::new(v.cluster_ip, v.port);
        let (st, sp, cs) = (state.clone(), stop.clone(), conns.clone());
        let key = v.key.clone();
        // Bind and start the acceptor inside the namespace: the acceptor and every thread
        // it spawns dial from there.
        let (listener, acceptor) = ns
            .run(move || -> std::io::Result<_> {
                let l = Arc::new(TcpListener::bind(addr)?);
                let la = l.clone();
                let h = std::thread::Builder::new()
                    .name(format!("proxy {key}"))
                    .spawn(move || accept_loop(&la, &st, &sp, &cs, &sh))?;
                Ok((l, h))
            })?
            .map_err(|e| Error::Net(format!("listen on {addr} ({}): {e}", v.key)))?;
        Ok(PortProxy {
            ip: v.cluster_ip,
            port: v.port,
            state,
            listener,
            stop,
            acceptor: Some(acceptor),
            conns,
        })
    }

    pub fn addr(&self) -> (std::net::Ipv4Addr, u16) {
        (self.ip, self.port)
    }

    /// New endpoints (and affinity settings); a changed affinity or mode starts a new
    /// balancer, as the simulation's traffic model does.
    pub fn update(&self, v: &PortView, mode: ProxyMode) {
        let mut s = self.state.lock().expect("lock");
        if s.balancer.affinity_ms != v.affinity_ms || s.balancer.mode != mode {
            s.balancer = Balancer::new(mode, v.affinity_ms);
        }
        s.local_only = v.local_only;
        s.endpoints = v.endpoints.clone();
    }

    pub fn active(&self) -> BTreeMap<String, u64> {
        let s = self.state.lock().expect("lock");
        s.endpoints
            .iter()
            .map(|e| {
                (
                    e.addr.to_string(),
                    s.active.get(&e.id()).copied().unwrap_or(0),
                )
            })
            .collect()
    }

    /// Stop accepting, close every open connection and join every thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // SAFETY: shutdown on our listening socket wakes the blocked accept (EINVAL).
        unsafe {
            libc::shutdown(self.listener.as_raw_fd(), libc::SHUT_RDWR);
        }
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        for (_, socks) in std::mem::take(&mut *self.conns.open.lock().expect("lock")) {
            for s in socks {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        let threads = std::mem::take(&mut *self.conns.threads.lock().expect("lock"));
        for t in threads {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    l: &TcpListener,
    state: &Arc<Mutex<PortState>>,
    stop: &Arc<AtomicBool>,
    conns: &Arc<Conns>,
    sh: &Arc<Shared>,
) {
    loop {
        let accepted = l.accept();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok((client, peer)) = accepted else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let (st, cs, sh2) = (state.clone(), conns.clone(), sh.clone());
        let id = conns.next.fetch_add(1, Ordering::SeqCst);
        if let Ok(c) = client.try_clone() {
            conns.open.lock().expect("lock").insert(id, vec![c]);
        }
        let h = std::thread::spawn(move || {
            serve(client, peer, &st, &cs, id, &sh2);
            cs.open.lock().expect("lock").remove(&id);
        });
        let mut threads = conns.threads.lock().expect("lock");
        threads.retain(|t| !t.is_finished());
        threads.push(h);
    }
}

fn client_u32(peer: SocketAddr) -> u32 {
    match peer {
        SocketAddr::V4(a) => u32::from(*a.ip()),
        SocketAddr::V6(a) => a.ip().to_ipv4_mapped().map_or(0, u32::from),
    }
}

/// One proxied connection: pick and dial (kube-proxy userspace `tryConnectTCP`: on a failed
/// dial, pick again with the next timeout), then copy both ways (`ProxyTCP`).
fn serve(
    client: TcpStream,
    peer: SocketAddr,
    state: &Mutex<PortState>,
    conns: &Conns,
    id: u64,
    sh: &Shared,
) {
    let mut upstream = None;
    for t in DIAL_TIMEOUTS_MS {
        let now_ms = sh.start.elapsed().as_millis() as u64;
        let Some(ep) = state
            .lock()
            .expect("lock")
            .pick(client_u32(peer), now_ms, sh)
        else {
            break; // no endpoint: the connection is closed (upstream: rejected)
        };
        if let Ok(s) = TcpStream::connect_timeout(&ep.addr.into(), Duration::from_millis(t)) {
            upstream = Some((s, ep));
            break;
        }
    }
    let Some((server, ep)) = upstream else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let eid = ep.id();
    *state.lock().expect("lock").active.entry(eid).or_insert(0) += 1;
    if let Ok(s) = server.try_clone() {
        if let Some(v) = conns.open.lock().expect("lock").get_mut(&id) {
            v.push(s);
        }
    }
    let (c2, s2) = match (client.try_clone(), server.try_clone()) {
        (Ok(c), Ok(s)) => (c, s),
        _ => {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            return;
        }
    };
    let up = std::thread::spawn(move || copy(c2, s2));
    copy(server, client);
    let _ = up.join();
    let mut s = state.lock().expect("lock");
    if let Some(n) = s.active.get_mut(&eid) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            s.active.remove(&eid);
        }
    }
}

/// Copy `from` into `to` until end of stream, then half-close `to` (upstream `copyBytes`).
fn copy(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}
