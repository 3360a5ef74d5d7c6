//! Connections cannot hold the server: a client that never finishes its
//! request head is cut off, open connections are capped, and shutdown
//! stops waiting for a stuck request after its grace period.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, TestDb};

async fn half_sent(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
    stream
}

/// Reads until the server closes the connection; how long that took.
async fn closed_after(mut stream: TcpStream) -> Option<Duration> {
    let started = std::time::Instant::now();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    read.await.ok().map(|()| started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_cut_off_and_connections_capped() {
    let app = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |s| {
        s.header_read_timeout = Duration::from_secs(1);
        s.max_connections = 8;
    })
    .await;
    let slow: Vec<TcpStream> = futures::future::join_all((0..8).map(|_| half_sent(&app))).await;
    // Every slot is taken by a silent client; a real request waits its turn
    // in the backlog and is served once the silent ones are cut off.
    let served = tokio::time::timeout(Duration::from_secs(8), app.get("/healthz", None)).await;
    assert_eq!(served.expect("served once a slot frees").status(), StatusCode::OK);
    let closes = futures::future::join_all(slow.into_iter().map(closed_after)).await;
    for closed in closes {
        let closed = closed.expect("the server closes a connection that never finishes its request head");
        assert!(closed < Duration::from_secs(5), "{closed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_waiting_after_its_grace_period() {
    let mut app = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, |s| {
        s.request_timeout = Duration::from_secs(600);
        s.shutdown_grace = Duration::from_secs(1);
    })
    .await;
    // A request whose body never finishes: in flight until the deadline.
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stuck = TcpStream::connect(&address).await.unwrap();
    stuck
        .write_all(b"POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(8), app.stop()).await;
    assert!(stopped.is_ok(), "shutdown waited past its grace period for a stuck request");
    assert!(closed_after(stuck).await.is_some());
}
