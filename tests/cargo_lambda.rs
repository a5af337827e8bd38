//! End to end against an emulator nobody here wrote: cargo-lambda's (`cargo lambda watch --only-lambda-apis`),
//! with requests through its Function URL front door, as `curl` sends them.

mod common;

use common::cargo_lambda::start;
use common::*;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn buffered_round_trip_with_cookies() {
    let peer = start(&[]);
    let (head, body) = peer.curl("/echo/hello", &["-H", "x-test: 1", "-G", "-d", "a=1", "-d", "a=2"]);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let seen: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(seen["path"], "/echo/hello");
    assert_eq!(seen["query"], "a=1&a=2");
    assert_eq!(seen["headers"]["x-test"][0], "1");
    let (head, _) = peer.curl("/cookies?n=3", &[]);
    assert_eq!(head.matches("set-cookie: ").count(), 3, "{head}");
}

#[test]
fn streamed_sse_arrives_as_produced() {
    let peer = start(&[("LWA_INVOKE_MODE", "response_stream")]);
    let mut curl = Command::new("curl")
        .args(["-s", "-N", "--max-time", "30"])
        .arg(peer.url("/sse?n=5&interval_ms=200"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(curl.stdout.take().unwrap()).lines();
    let mut arrivals = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        if line.starts_with("data: ") {
            arrivals.push(Instant::now());
        }
    }
    let _ = curl.wait();
    assert_eq!(arrivals.len(), 5, "adapter log:\n{}", peer.adapter.output());
    let spread = arrivals[4] - arrivals[0];
    assert!(
        spread >= Duration::from_millis(600),
        "events arrived together ({spread:?}): something buffered"
    );
}

#[test]
fn streamed_download_is_intact_and_cookies_arrive() {
    let peer = start(&[("LWA_INVOKE_MODE", "response_stream")]);
    let size = 32 * 1024 * 1024;
    let mut curl = Command::new("curl")
        .args(["-s", "--max-time", "120"])
        .arg(peer.url(&format!("/bytes?size={size}")))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut body = Vec::with_capacity(size);
    curl.stdout.take().unwrap().read_to_end(&mut body).unwrap();
    let _ = curl.wait();
    assert_eq!(body.len(), size, "adapter log:\n{}", peer.adapter.output());
    assert!(body == pattern(size), "the download is byte-exact");
    let (head, body) = peer.curl("/cookies?n=3", &[]);
    assert_eq!(head.matches("set-cookie: ").count(), 3, "{head}");
    assert_eq!(body, b"cookies");
}
