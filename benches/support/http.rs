//! A plain blocking HTTP/1.1 client for the benches that drive the server over keep-alive
//! connections: light enough that the figures are the server's, not the client's.
#![allow(dead_code)]

use std::io::{Read, Write};

/// Writes one request and reads its answer (head, then exactly Content-Length bytes): status, body.
pub fn exchange(stream: &mut std::net::TcpStream, req: &[u8]) -> (u16, Vec<u8>) {
    stream.write_all(req).expect("send");
    let mut buf = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    let head_end = loop {
        let n = stream.read(&mut chunk).expect("read");
        assert!(n > 0, "server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse().unwrap()).unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).expect("read body");
        assert!(n > 0, "server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
    (status, buf[head_end..head_end + len].to_vec())
}

/// One request's bytes, with the bearer token and a JSON body if any.
pub fn render(addr: &str, token: &str, method: &str, path: &str, body: Option<&str>) -> Vec<u8> {
    match body {
        Some(b) => format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len()),
        None => format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"),
    }
    .into_bytes()
}

/// One request on a fresh connection; the JSON answer (any status but 2xx panics).
pub fn request(addr: &str, token: &str, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let (status, bytes) = exchange(&mut s, &render(addr, token, method, path, body));
    assert!((200..300).contains(&status), "{method} {path}: {status} {}", String::from_utf8_lossy(&bytes[..bytes.len().min(2000)]));
    serde_json::from_slice(&bytes).expect("json")
}

/// Starts `appeals serve` of this build on `url` with `dir` as its data folder and a free port;
/// the child and its address (the caller waits for `/health`).
pub fn spawn_server(url: &str, dir: &std::path::Path) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_appeals"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("APPEALS_LISTEN", format!("127.0.0.1:{port}"))
        .env("APPEALS_DATA_DIR", dir)
        .env("APPEALS_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start appeals serve");
    (child, format!("127.0.0.1:{port}"))
}
