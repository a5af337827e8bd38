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

/// cargo-lambda's concurrent mode (`--concurrency`, as Lambda Managed Instances run): with
/// `AWS_LAMBDA_MAX_CONCURRENCY=4` the adapter serves four slow requests side by side.
#[test]
fn four_slow_requests_at_once_with_cargo_lambdas_concurrency() {
    let env = [("AWS_LAMBDA_MAX_CONCURRENCY", "4")];
    let peer = common::cargo_lambda::start_watch(&example_binary("echo"), &env, &["--concurrency", "4"]);
    let _ = peer.curl("/health", &[]);
    let started = Instant::now();
    let requests: Vec<_> = (0..4)
        .map(|_| {
            let url = peer.url("/slow?ms=800");
            std::thread::spawn(move || {
                let output = Command::new("curl").args(["-s", "--max-time", "30"]).arg(url).output().unwrap();
                String::from_utf8_lossy(&output.stdout).to_string()
            })
        })
        .collect();
    for request in requests {
        assert_eq!(request.join().unwrap(), "slow");
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(2400),
        "four 800 ms requests took {elapsed:?}; log:\n{}",
        peer.adapter.output()
    );
}
