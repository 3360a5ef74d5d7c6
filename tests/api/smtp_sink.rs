//! A small SMTP server for the tests: it speaks enough of RFC 5321 for a
//! real client (lettre) to deliver to it, keeps every message, and can be
//! switched "down" to answer 421 like a server in an outage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    /// The message as sent (headers and MIME body).
    pub data: String,
}

impl Received {
    pub fn subject(&self) -> String {
        self.data.lines().find_map(|line| line.strip_prefix("Subject: ")).map(str::to_owned).unwrap_or_default()
    }

    /// The decoded `text/plain` part.
    pub fn text(&self) -> String {
        part(&self.data, "text/plain")
    }

    pub fn html(&self) -> String {
        part(&self.data, "text/html")
    }

    /// The first link in the text that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> url::Url {
        let text = self.text();
        let start = text.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in:\n{text}"));
        let end = text[start..].find(char::is_whitespace).map_or(text.len(), |e| start + e);
        url::Url::parse(&text[start..end]).unwrap()
    }
}

/// Finds the MIME part of `content_type` and decodes its body.
fn part(data: &str, content_type: &str) -> String {
    let Some(start) = data.find(&format!("Content-Type: {content_type}")) else { return String::new() };
    let rest = &data[start..];
    let (headers, body) = rest.split_once("\r\n\r\n").unwrap_or((rest, ""));
    let body = body.split("\r\n--").next().unwrap_or_default();
    let encoding = headers
        .lines()
        .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.replace("\r\n", "\n"),
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 3 <= bytes.len())
            .then(|| u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16).ok())
            .flatten();
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap().replace("\r\n", "\n")
}

#[derive(Clone)]
pub struct SmtpSink {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    down: Arc<AtomicBool>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let sink = Self { url, received: Arc::default(), down: Arc::default() };
        let server = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move {
                    let _ = server.converse(socket).await;
                });
            }
        });
        sink
    }

    /// While down, every connection is refused with 421 (a transient failure).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    async fn converse(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        if self.down.load(Ordering::SeqCst) {
            write.write_all(b"421 sink.test service not available\r\n").await?;
            return Ok(());
        }
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") {
                b"250-sink.test\r\n250 8BITMIME\r\n"
            } else if command.starts_with("HELO")
                || command.starts_with("MAIL FROM")
                || command == "RSET"
                || command == "NOOP"
            {
                if command == "RSET" {
                    to.clear();
                }
                b"250 OK\r\n"
            } else if command.starts_with("RCPT TO") {
                let address = line.trim_end()[8..].trim().trim_start_matches('<').trim_end_matches('>').to_owned();
                to.push(address);
                b"250 OK\r\n"
            } else if command == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    // Dot-stuffing (RFC 5321 §4.5.2).
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.received.lock().await.push(Received { to: std::mem::take(&mut to), data });
                b"250 OK queued\r\n"
            } else if command == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                b"502 not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    pub async fn all(&self) -> Vec<Received> {
        self.received.lock().await.clone()
    }

    /// Messages to `address` so far.
    pub async fn to(&self, address: &str) -> Vec<Received> {
        self.all().await.into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect()
    }

    /// Waits (up to 15 s) until `count` messages to `address` whose subject
    /// contains `subject` have arrived, and returns them.
    pub async fn wait_for(&self, address: &str, subject: &str, count: usize) -> Vec<Received> {
        for _ in 0..300 {
            let found: Vec<Received> =
                self.to(address).await.into_iter().filter(|m| m.subject().contains(subject)).collect();
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let subjects: Vec<String> = self.to(address).await.iter().map(Received::subject).collect();
        panic!("no {count} mail(s) about {subject:?} to {address}; got {subjects:?}")
    }
}
