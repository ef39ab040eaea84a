//! Delivery of an export to the ССТУ.РФ connector installed in the body's network.

/// POSTs `body` (a JSON file, streamed from its start on each attempt, never read into memory)
/// to the connector at `http://host:port/path`, retrying `attempts` times with a growing
/// pause; a 2xx answer is success. Returns the attempts it took.
pub fn push(url: &str, body: &mut std::fs::File, attempts: u32, backoff_ms: u64) -> Result<u32, String> {
    let rest = url.strip_prefix("http://").ok_or("push_url: only http://host:port/path (the connector runs in the body's network)")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut last = String::new();
    for n in 1..=attempts.max(1) {
        if n > 1 {
            std::thread::sleep(std::time::Duration::from_millis(backoff_ms * (n as u64 - 1)));
        }
        match post_once(host, &path, body) {
            Ok(status) if (200..300).contains(&status) => return Ok(n),
            Ok(status) => last = format!("HTTP {status}"),
            Err(e) => last = e,
        }
        tracing::warn!(attempt = n, error = %last, "sstu push failed");
    }
    Err(format!("коннектор не принял выгрузку после {} попыток: {last}", attempts.max(1)))
}

fn post_once(host: &str, path: &str, body: &mut std::fs::File) -> Result<u16, String> {
    use std::io::{Read, Seek, Write};
    let len = body.metadata().map_err(|e| e.to_string())?.len();
    body.rewind().map_err(|e| e.to_string())?;
    use std::net::ToSocketAddrs;
    let timeout = std::time::Duration::from_secs(30);
    let addr = host.to_socket_addrs().map_err(|e| e.to_string())?.next().ok_or("push_url: no address")?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(timeout)).ok();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", len);
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &s);
    w.write_all(head.as_bytes()).and_then(|_| std::io::copy(&mut body.take(len), &mut w)).and_then(|_| w.flush()).map_err(|e| e.to_string())?;
    drop(w);
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&answer);
    line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| "ответ коннектора не HTTP".to_string())
}

