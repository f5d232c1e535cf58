//! The ingress controller of a real run: a userspace HTTP/1.0 router listening in the client
//! namespace (`<prefix>-client`, on its switch address, port 80), as ingress-nginx's
//! controller pod sits in front of the Services. Each connection's request head is read, its
//! `Host` (without a port) and path (without a query) routed by the core's
//! `cellsim_core::net::ingress::route` over the store's Ingresses (rules by host, longest
//! path, `Exact` over `Prefix`, the default backend, ingress-nginx canaries by header or
//! weight), and the request sent to the chosen Service's ClusterIP and port (the client's
//! route takes it to a node's proxy, which picks the endpoint). The answer goes back with an
//! `X-Cellsim-Backend: <namespace>/<service>` header so the traffic source can count it
//! against the Service that served it.
//!
//! No route: `404` (ingress-nginx's default backend). A backend Service that is missing or
//! has no ClusterIP or port: `503` (ingress-nginx: no endpoints). A backend that does not
//! answer: `502` (`proxy_next_upstream` exhausted), as ingress-nginx answers.

use crate::net::NetNs;
use cellsim_core::api::service::{Ingress, Service};
use cellsim_core::collections::OrdMap;
use cellsim_core::net::ingress::{route, Backend, Decision};
use cellsim_core::rng::SimRng;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The response header naming the Service that served a request.
pub const BACKEND_HEADER: &str = "X-Cellsim-Backend";

/// What the router routes by: the store's Ingresses (in the store's order) and Services.
#[derive(Default)]
pub struct Table {
    pub ingresses: Vec<Ingress>,
    pub services: BTreeMap<(String, String), Service>,
}

/// The running router; `shutdown` (also on drop) closes the listener and joins every thread.
pub struct IngressRouter {
    pub addr: SocketAddrV4,
    table: Arc<Mutex<Table>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How long a connection may take (reading the request, the backend's answer).
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// ingress-nginx's `proxy-connect-timeout` default.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl IngressRouter {
    /// Listen on `addr` inside `ns`; canary weights draw from a `SimRng` seeded with `seed`.
    pub fn start(ns: &NetNs, addr: SocketAddrV4, seed: u64) -> crate::error::Result<Self> {
        let table = Arc::new(Mutex::new(Table::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (t, s, ns2) = (table.clone(), stop.clone(), ns.clone());
        let rng = Arc::new(Mutex::new(SimRng::new(seed)));
        let thread = std::thread::spawn(move || {
            let _ = ns2.run(move || {
                let l = match TcpListener::bind(addr).and_then(|l| {
                    l.set_nonblocking(true)?;
                    Ok(l)
                }) {
                    Ok(l) => {
                        let _ = ready_tx.send(Ok(()));
                        l
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                accept_loop(&l, &t, &s, &rng);
            });
        });
        let r = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| Err("the listener thread did not start".into()));
        let router = IngressRouter {
            addr,
            table,
            stop,
            thread: Some(thread),
        };
        match r {
            Ok(()) => Ok(router),
            Err(e) => Err(crate::error::Error::Net(format!(
                "ingress listener on {addr}: {e}"
            ))),
        }
    }

    /// Replace what the router routes by (after a store change).
    pub fn update(&self, ingresses: Vec<Ingress>, services: Vec<Service>) {
        let mut t = self.table.lock().expect("lock");
        t.ingresses = ingresses;
        t.services = services
            .into_iter()
            .map(|s| ((s.metadata.namespace.clone(), s.metadata.name.clone()), s))
            .collect();
    }

    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for IngressRouter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(
    l: &TcpListener,
    table: &Arc<Mutex<Table>>,
    stop: &Arc<AtomicBool>,
    rng: &Arc<Mutex<SimRng>>,
) {
    let mut conns: Vec<std::thread::JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match l.accept() {
            Ok((c, _)) => {
                let (t, r) = (table.clone(), rng.clone());
                // Threads inherit the accepting thread's network namespace.
                conns.push(std::thread::spawn(move || serve(c, &t, &r)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
        conns.retain(|h| !h.is_finished());
    }
    for h in conns {
        let _ = h.join();
    }
}

/// A parsed request head.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub host: String,
    pub path: String,
    pub headers: OrdMap<String, String>,
}

/// The request line's path (no query) and the headers; `Host` without a port, lowercased.
pub fn parse_head(head: &str) -> Option<Request> {
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split_whitespace().nth(1)?.to_string();
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    let mut headers = OrdMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let host = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.rsplit_once(':').map_or(v.as_str(), |(h, _)| h))
        .unwrap_or("")
        .to_ascii_lowercase();
    Some(Request {
        host,
        path,
        headers,
    })
}

/// Where a request goes: the backend and its ClusterIP address, or the status to answer.
pub fn choose(
    table: &Table,
    req: &Request,
    draw: &mut dyn FnMut(u64) -> u64,
) -> Result<(Backend, SocketAddrV4), (u16, Option<Backend>)> {
    let refs: Vec<&Ingress> = table.ingresses.iter().collect();
    let r = route(&refs, &req.host, &req.path).ok_or((404, None))?;
    let backend = match &r.canary {
        None => r.main,
        Some(c) => match c.decide(&req.headers) {
            Decision::Main => r.main,
            Decision::Canary => c.backend.clone(),
            Decision::Weighted { weight, total } => {
                if draw(total) < weight {
                    c.backend.clone()
                } else {
                    r.main
                }
            }
        },
    };
    let svc = table
        .services
        .get(&(backend.namespace.clone(), backend.service.clone()))
        .ok_or_else(|| (503, Some(backend.clone())))?;
    let ip: Ipv4Addr = svc
        .spec
        .cluster_ip
        .parse()
        .map_err(|_| (503, Some(backend.clone())))?;
    let port = svc
        .spec
        .ports
        .iter()
        .find(|p| {
            if backend.port != 0 {
                p.port == backend.port
            } else {
                p.name == backend.port_name
            }
        })
        .and_then(|p| u16::try_from(p.port).ok())
        .ok_or_else(|| (503, Some(backend.clone())))?;
    Ok((backend, SocketAddrV4::new(ip, port)))
}

fn answer(c: &mut TcpStream, status: u16, backend: Option<&Backend>, body: &str) {
    let reason = match status {
        404 => "Not Found",
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        _ => "Error",
    };
    let b = backend.map_or(String::new(), |b| {
        format!("{BACKEND_HEADER}: {}/{}\r\n", b.namespace, b.service)
    });
    let _ = c.write_all(
        format!(
            "HTTP/1.0 {status} {reason}\r\n{b}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

fn serve(mut c: TcpStream, table: &Mutex<Table>, rng: &Mutex<SimRng>) {
    let _ = c.set_nonblocking(false);
    let _ = c.set_read_timeout(Some(IO_TIMEOUT));
    let _ = c.set_write_timeout(Some(IO_TIMEOUT));
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    let deadline = Instant::now() + IO_TIMEOUT;
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 || Instant::now() > deadline {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let Some(req) = parse_head(&text) else {
        answer(&mut c, 400, None, "bad request\n");
        return;
    };
    let chosen = {
        let t = table.lock().expect("lock");
        let mut r = rng.lock().expect("lock");
        choose(&t, &req, &mut |n| r.below(n))
    };
    let (backend, addr) = match chosen {
        Ok(x) => x,
        Err((status, b)) => {
            answer(&mut c, status, b.as_ref(), "default backend\n");
            return;
        }
    };
    let up = TcpStream::connect_timeout(&addr.into(), CONNECT_TIMEOUT).and_then(|mut u| {
        u.set_read_timeout(Some(IO_TIMEOUT))?;
        u.set_write_timeout(Some(IO_TIMEOUT))?;
        u.write_all(&head)?;
        let mut resp = Vec::new();
        u.read_to_end(&mut resp)?;
        Ok(resp)
    });
    match up {
        Ok(resp) if !resp.is_empty() => {
            // Our header after the status line.
            let text = String::from_utf8_lossy(&resp);
            let (status_line, rest) = text.split_once("\r\n").unwrap_or((&text, ""));
            let _ = c.write_all(
                format!(
                    "{status_line}\r\n{BACKEND_HEADER}: {}/{}\r\n{rest}",
                    backend.namespace, backend.service
                )
                .as_bytes(),
            );
        }
        _ => answer(&mut c, 502, Some(&backend), "bad gateway\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_give_host_without_port_and_path_without_query() {
        let r = parse_head(
            "GET /api/v1?x=1 HTTP/1.0\r\nHost: Shop.Example.com:80\r\nX-Canary: always\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.host, "shop.example.com");
        assert_eq!(r.path, "/api/v1");
        assert_eq!(
            r.headers.get("X-Canary").map(String::as_str),
            Some("always")
        );
    }

    fn table() -> Table {
        let s = cellsim_core::scenario::load(
            &format!(
                "{}/../scenarios/real-ingress.yaml",
                env!("CARGO_MANIFEST_DIR")
            ),
            &Fs,
        )
        .expect("loads");
        let mut t = Table::default();
        let mut ip = 10;
        for o in s.objects {
            match o {
                cellsim_core::api::Object::Ingress(i) => t.ingresses.push(i),
                cellsim_core::api::Object::Service(mut svc) => {
                    ip += 1;
                    svc.spec.cluster_ip = format!("10.96.0.{ip}");
                    t.services.insert(
                        (svc.metadata.namespace.clone(), svc.metadata.name.clone()),
                        svc,
                    );
                }
                _ => {}
            }
        }
        t
    }

    struct Fs;
    impl cellsim_core::scenario::Sources for Fs {
        fn read(&self, path: &str) -> Result<String, String> {
            std::fs::read_to_string(path).map_err(|e| e.to_string())
        }
    }

    fn req(host: &str, path: &str, hdr: &[(&str, &str)]) -> Request {
        Request {
            host: host.into(),
            path: path.into(),
            headers: hdr
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn requests_go_by_host_path_and_canary_rules_to_cluster_ips() {
        let t = table();
        let svc = |r: &Request, draw: u64| {
            choose(&t, r, &mut |_| draw).map(|(b, a)| (b.service, a.to_string()))
        };
        // Longest prefix (a named port), the canary's weight (25 of 100), its header.
        let api = svc(&req("shop.example.com", "/api/v1/cart", &[]), 0).unwrap();
        assert_eq!(api.0, "api");
        assert!(api.1.ends_with(":80"), "{api:?}");
        assert_eq!(
            svc(&req("shop.example.com", "/products/42", &[]), 24)
                .unwrap()
                .0,
            "web-canary"
        );
        assert_eq!(
            svc(&req("shop.example.com", "/products/42", &[]), 25)
                .unwrap()
                .0,
            "web"
        );
        let always = req("shop.example.com", "/", &[("x-canary", "always")]);
        assert_eq!(svc(&always, 99).unwrap().0, "web-canary");
        let never = req("shop.example.com", "/", &[("X-Canary", "never")]);
        assert_eq!(svc(&never, 0).unwrap().0, "web");
        // No rule for the host, no default backend: 404; a Service without a ClusterIP: 503.
        assert_eq!(
            svc(&req("other.example.com", "/", &[]), 0).unwrap_err().0,
            404
        );
        let mut t2 = table();
        for s in t2.services.values_mut() {
            s.spec.cluster_ip = "None".into();
        }
        let e = choose(&t2, &req("shop.example.com", "/api", &[]), &mut |_| 0).unwrap_err();
        assert_eq!(
            (e.0, e.1.map(|b| b.service)),
            (503, Some("api".to_string()))
        );
    }
}
