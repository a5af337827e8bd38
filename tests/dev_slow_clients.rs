//! Clients that never finish their request, end to end with the real binary: every server — `dev`'s front
//! door, its Runtime API and `@connections` API, and the adapter's callback port — cuts them off once their
//! time to send a head is up, holds no more than its cap of connections, and answers a normal request at
//! once meanwhile; an upload that stalls halfway gets 408 from the servers that read bodies whole.

mod common;

use common::dev::*;
use common::free_port;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// How many connections the front door holds at once: `MAX_CONNECTIONS` in `src/net/serve.rs` (256), plus
/// one per invocation it may run at once (1 here).
const FRONT_DOOR_CAP: usize = 256 + 1;

/// Opens `count` connections to loopback `port`, each sending half a request head and then nothing.
fn half_requests(port: u16, count: usize) -> Vec<std::net::TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            let half = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ");
            stream.write_all(half.as_bytes()).unwrap();
            stream.set_nonblocking(true).unwrap();
            stream
        })
        .collect()
}

/// How many of `streams` the server has closed (or answered, which it does only before closing).
fn closed(streams: &[std::net::TcpStream]) -> usize {
    let mut buffer = [0u8; 512];
    let mut count = 0;
    for mut stream in streams {
        count += match stream.read(&mut buffer) {
            Err(error) => usize::from(error.kind() != ErrorKind::WouldBlock),
            Ok(_) => 1,
        };
    }
    count
}

/// Asserts that a request answered `status` within 5 s, well before the slow clients' 10 s are up.
async fn prompt(what: &str, answer: impl std::future::Future<Output = (u16, String)>, status: u16) {
    let asked = Instant::now();
    let (got, text) = tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 5 s while slow clients sat there"));
    assert_eq!(got, status, "{what}: {text}");
    eprintln!("{what}: answered in {:?}", asked.elapsed());
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_never_delay_a_normal_request() {
    let callback = free_port();
    let dev = Dev::start(&[], &[("LWA_WS_CALLBACK_PORT", &callback.to_string())]).await;
    let (runtime, management) = (dev.runtime_api_port(), dev.management_port());
    let front = half_requests(dev.port, 300);
    let others: Vec<_> = [runtime, management, callback]
        .into_iter()
        .flat_map(|port| half_requests(port, 50))
        .collect();

    let health = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", dev.port);
    prompt("the front door", raw(dev.port, &health), 200).await;
    prompt(
        "the Runtime API",
        raw_get(runtime, "/nothing", &format!("127.0.0.1:{runtime}"), ""),
        404,
    )
    .await;
    let host = format!("127.0.0.1:{management}");
    prompt("the @connections API", raw_get(management, "/dev/@connections/abc", &host, ""), 403).await;
    prompt(
        "the callback port",
        raw_get(callback, "/nothing", &format!("127.0.0.1:{callback}"), ""),
        404,
    )
    .await;

    // Over the cap (the 300 and the normal request), the oldest idle connections were closed to make room.
    let over = front.len() + 1 - FRONT_DOOR_CAP;
    let cut = closed(&front);
    assert!(
        cut >= over,
        "the front door holds more than {FRONT_DOOR_CAP} connections: {cut} of 300 closed"
    );

    // The rest are cut off once their 10 s to send a head are up.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (front_open, others_open) = (front.len() - closed(&front), others.len() - closed(&others));
        if front_open == 0 && others_open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{front_open} half requests still open on the front door, {others_open} on the other servers"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(dev.send("GET", "/health", &[], vec![]).await.status, 200, "{}", dev.output());
}

/// Sends a head announcing a 100-byte body, then 10 bytes of it and nothing more; returns what the server
/// answers before it closes the connection.
async fn stalled_upload(port: u16, target: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!("POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 100\r\n\r\n0123456789");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "a stalled upload to {port} was still open after 30 s");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_stalled_upload_gets_408_and_never_delays_a_normal_request() {
    let dev = Dev::start(&[], &[]).await;
    let management = dev.management_port();
    let uploads = futures::future::join_all(
        (0..10)
            .map(|_| (dev.port, "/echo"))
            .chain((0..5).map(|_| (management, "/dev/@connections/abc")))
            .map(|(port, target)| stalled_upload(port, target)),
    );
    let normal = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let asked = Instant::now();
        let reply = dev.send("POST", "/echo", &[], b"hello".to_vec()).await;
        (reply.status, asked.elapsed())
    };
    let (answers, (status, took)) = tokio::join!(uploads, normal);
    assert_eq!(status, 200, "{}", dev.output());
    assert!(
        took < Duration::from_secs(5),
        "a normal request waited {took:?} behind stalled uploads"
    );
    for answer in answers {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    dev.wait_for_log("the request body stalled: no byte for 10 s").await;
}
