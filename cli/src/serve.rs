//! `cellsim serve`: serve the playground (static files: the page, its wasm module and glue)
//! on a loopback address. The files are embedded in the binary at build time (`build.rs`,
//! from `scripts/build-wasm.sh`'s output), or read from `--dir`. The simulation runs in the
//! browser; this server only hands out files.

use anyhow::{bail, Context};
use clap::Args;
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// The command that builds the playground's files.
pub const BUILD_COMMAND: &str = "scripts/build-wasm.sh";

#[derive(Args)]
pub struct ServeArgs {
    /// Where to listen: a loopback address and port (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Serve the playground from this directory instead of the embedded files.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Where the files come from.
pub enum Assets {
    Embedded(&'static [(&'static str, &'static [u8])]),
    Dir(PathBuf),
}

impl Assets {
    /// The file at a URL path, or its gzip-compressed copy (`PATH.gz`, which
    /// `scripts/build-wasm.sh` writes for the wasm module) when the client takes gzip: the
    /// module is about 2.8 MB, 0.8 MB compressed. True when the body is the compressed copy.
    pub fn get_encoded(&self, url_path: &str, gzip_ok: bool) -> Option<(Cow<'static, [u8]>, bool)> {
        let path = url_path.split(['?', '#']).next().unwrap_or("");
        if gzip_ok && !path.is_empty() && !path.ends_with('/') && !path.ends_with(".gz") {
            if let Some(b) = self.get(&format!("{path}.gz")) {
                return Some((b, true));
            }
        }
        self.get(url_path).map(|b| (b, false))
    }

    /// The file at a URL path (`/` is `index.html`); `None` when absent or outside the set.
    pub fn get(&self, url_path: &str) -> Option<Cow<'static, [u8]>> {
        let path = url_path.split(['?', '#']).next().unwrap_or("");
        let path = path.trim_start_matches('/');
        let path = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_string()
        };
        match self {
            Assets::Embedded(files) => files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| Cow::Borrowed(*b)),
            Assets::Dir(dir) => {
                let rel = Path::new(&path);
                if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
                    return None;
                }
                std::fs::read(dir.join(rel)).ok().map(Cow::Owned)
            }
        }
    }
}

/// Whether an `Accept-Encoding` value admits gzip (RFC 9110 12.5.3: `gzip` or `x-gzip` or
/// `*`, unless its weight is `q=0`).
pub fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|item| {
        let mut it = item.split(';');
        let coding = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f64>().ok())
                .is_some_and(|q| q == 0.0)
        });
        matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && !refused
    })
}

/// The embedded files, or the error `serve` gives when the binary was built without them.
pub fn embedded_assets(files: &'static [(&'static str, &'static [u8])]) -> anyhow::Result<Assets> {
    if files.iter().any(|(p, _)| *p == "index.html") {
        Ok(Assets::Embedded(files))
    } else {
        bail!(
            "the playground is not built into this binary: run `bash {BUILD_COMMAND}` and then \
             rebuild the CLI (`cargo build --release -p cellsim`), or pass --dir target/wasm-dist/web \
             (`bash scripts/run.sh` does all of it)"
        )
    }
}

pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "yaml" | "yml" | "ts" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Parse `--addr` and refuse anything but a loopback address: the playground is for the
/// person at this machine.
pub fn loopback_addr(s: &str) -> anyhow::Result<SocketAddr> {
    let addr: SocketAddr = s
        .parse()
        .with_context(|| format!("--addr {s:?}: expected IP:PORT, e.g. 127.0.0.1:8080"))?;
    if !addr.ip().is_loopback() {
        bail!("--addr {s}: only loopback addresses (127.0.0.0/8, [::1]) are served");
    }
    Ok(addr)
}

fn respond(stream: &mut TcpStream, assets: &Assets) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // The headers (bounded): only Accept-Encoding matters.
    let mut header = String::new();
    let mut gzip_ok = false;
    for _ in 0..100 {
        header.clear();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("accept-encoding") {
                gzip_ok |= accepts_gzip(value);
            }
        }
    }
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut encoding = "";
    let (status, ctype, body): (&str, &str, Cow<[u8]>) = match method {
        "GET" | "HEAD" => match assets.get_encoded(target, gzip_ok) {
            Some((b, gz)) => {
                if gz {
                    encoding = "Content-Encoding: gzip\r\n";
                }
                let path = target.split(['?', '#']).next().unwrap_or("");
                let path = if path.ends_with('/') {
                    "index.html"
                } else {
                    path
                };
                ("200 OK", content_type(path), b)
            }
            None => (
                "404 Not Found",
                "text/plain; charset=utf-8",
                Cow::Borrowed(b"not found\n".as_slice()),
            ),
        },
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            Cow::Borrowed(b"only GET and HEAD\n".as_slice()),
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{encoding}Content-Length: {}\r\nVary: Accept-Encoding\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

pub fn serve(a: ServeArgs) -> anyhow::Result<u8> {
    let addr = loopback_addr(&a.addr)?;
    let assets = match a.dir {
        Some(d) => {
            if !d.join("index.html").is_file() {
                bail!(
                    "--dir {}: no index.html there (build it with `bash {BUILD_COMMAND}`)",
                    d.display()
                );
            }
            Assets::Dir(d)
        }
        None => embedded_assets(embedded::ASSETS)?,
    };
    let listener = TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    println!("cellsim: serving the playground at http://{local}/ (Ctrl-C stops)");
    let assets = Arc::new(assets);
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let assets = Arc::clone(&assets);
        std::thread::spawn(move || {
            let _ = respond(&mut stream, &assets);
        });
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_accepted() {
        assert!(loopback_addr("127.0.0.1:8080").is_ok());
        assert!(loopback_addr("127.1.2.3:0").is_ok());
        assert!(loopback_addr("[::1]:9000").is_ok());
        let e = loopback_addr("0.0.0.0:8080").unwrap_err().to_string();
        assert!(e.contains("only loopback"), "{e}");
        assert!(loopback_addr("192.168.1.2:80").is_err());
        assert!(loopback_addr("localhost").is_err());
    }

    #[test]
    fn missing_embedded_files_name_the_build_command() {
        let e = embedded_assets(&[]).err().unwrap().to_string();
        assert!(e.contains("scripts/build-wasm.sh"), "{e}");
        static FILES: &[(&str, &[u8])] = &[("index.html", b"<html>"), ("a/b.js", b"x")];
        let a = embedded_assets(FILES).unwrap();
        assert_eq!(a.get("/").as_deref(), Some(b"<html>".as_slice()));
        assert_eq!(
            a.get("/?scenario=x&seed=1").as_deref(),
            Some(b"<html>".as_slice())
        );
        assert_eq!(a.get("/a/b.js").as_deref(), Some(b"x".as_slice()));
        assert!(a.get("/nope").is_none());
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        assert!(accepts_gzip(" gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts_gzip("x-gzip"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("gzip; q=0.0, br"));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip(""));
        static FILES: &[(&str, &[u8])] = &[
            ("index.html", b"<html>"),
            ("m.wasm", b"raw"),
            ("m.wasm.gz", b"gz"),
        ];
        let a = embedded_assets(FILES).unwrap();
        let got = |path: &str, gz: bool| {
            a.get_encoded(path, gz)
                .map(|(b, enc)| (b.into_owned(), enc))
        };
        assert_eq!(got("/m.wasm", true), Some((b"gz".to_vec(), true)));
        assert_eq!(got("/m.wasm?v=1", true), Some((b"gz".to_vec(), true)));
        assert_eq!(got("/m.wasm", false), Some((b"raw".to_vec(), false)));
        assert_eq!(got("/", true), Some((b"<html>".to_vec(), false)));
        assert_eq!(got("/m.wasm.gz", true), Some((b"gz".to_vec(), false)));
        assert_eq!(got("/nope", true), None);
    }

    #[test]
    fn a_directory_never_serves_outside_itself() {
        let dir = std::env::temp_dir().join(format!("cellsim-serve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("index.html"), "i").unwrap();
        std::fs::write(dir.join("sub/x.css"), "c").unwrap();
        let a = Assets::Dir(dir.join("sub"));
        assert_eq!(a.get("/x.css").as_deref(), Some(b"c".as_slice()));
        assert!(a.get("/../index.html").is_none());
        assert!(a.get("/%2e%2e/index.html").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("/x/cellsim_web_bg.wasm"), "application/wasm");
        assert_eq!(
            content_type("cellsim_web.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
