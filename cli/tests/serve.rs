//! `cellsim serve` end to end: a real listener on a loopback port, real HTTP requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn get(addr: &str, path: &str) -> (String, Vec<u8>) {
    get_with(addr, path, "")
}

/// A GET with extra header lines (each ending in CRLF).
fn get_with(addr: &str, path: &str, headers: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    (head, buf[split + 4..].to_vec())
}

#[test]
fn serves_a_directory_on_a_free_loopback_port_and_refuses_other_addresses() {
    let dir = std::env::temp_dir().join(format!("cellsim-serve-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<title>p</title>").unwrap();
    std::fs::write(dir.join("m_bg.wasm"), [0u8, 97, 115, 109]).unwrap();
    // Its compressed copy (any bytes: the server only chooses which file to send).
    std::fs::write(dir.join("m_bg.wasm.gz"), [31u8, 139, 8]).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cellsim"))
        .args(["serve", "--addr", "127.0.0.1:0", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("{line}"));
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let (head, body) = get(&addr, "/?scenario=quickstart&autorun=1");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("Content-Type: text/html"), "{head}");
    assert_eq!(body, b"<title>p</title>");
    let (head, body) = get(&addr, "/m_bg.wasm");
    assert!(head.contains("Content-Type: application/wasm"), "{head}");
    assert_eq!(body, [0u8, 97, 115, 109]);
    assert!(!head.contains("Content-Encoding"), "{head}");
    // A client that takes gzip gets the compressed copy, as the same content type.
    let (head, body) = get_with(
        &addr,
        "/m_bg.wasm",
        "Accept-Encoding: gzip, deflate, br\r\n",
    );
    assert!(head.contains("Content-Encoding: gzip"), "{head}");
    assert!(head.contains("Content-Type: application/wasm"), "{head}");
    assert!(head.contains("Vary: Accept-Encoding"), "{head}");
    assert_eq!(body, [31u8, 139, 8]);
    let (head, body) = get_with(&addr, "/m_bg.wasm", "accept-encoding: gzip;q=0, br\r\n");
    assert!(!head.contains("Content-Encoding"), "{head}");
    assert_eq!(body, [0u8, 97, 115, 109]);
    // Files without a compressed copy are sent as they are.
    let (head, body) = get_with(&addr, "/", "Accept-Encoding: gzip\r\n");
    assert!(!head.contains("Content-Encoding"), "{head}");
    assert_eq!(body, b"<title>p</title>");
    let (head, _) = get(&addr, "/missing.js");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_cellsim"))
        .args(["serve", "--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only loopback"));
}
