//! A real browser: headless Chromium (Debian's package, driven by playwright-core) opens the SSE example
//! through the adapter and sees the ticks appear one by one.

mod common;

use common::dev::Dev;
use common::*;
use std::process::Command;
use std::time::Duration;

/// Each tick line the page showed, and when (ms, the page's clock).
fn page_ticks(url: &str, count: usize) -> Vec<(String, f64)> {
    let script = repo_path("tests/browser/sse.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(url)
        .arg(count.to_string())
        .output()
        .expect("node runs (scripts/test.sh installs it)");
    assert!(
        output.status.success(),
        "the browser test failed (scripts/test.sh installs chromium and playwright-core):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["ticks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["text"].as_str().unwrap().to_string(), t["at_ms"].as_f64().unwrap()))
        .collect()
}

/// The SSE example outlives its invocations: each stream of 3 ticks ends, Chromium reconnects with
/// `Last-Event-ID`, and the page shows ticks 1 to 9 in one sequence, never starting again from 1.
#[test]
fn the_sse_example_resumes_across_invocations_in_chromium() {
    let (dev, url) = sse_through_dev();
    let ticks = page_ticks(&format!("{url}?n=3&interval_ms=100"), 9);
    let numbers: Vec<u64> = ticks
        .iter()
        .map(|(text, _)| text.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap())
        .collect();
    assert_eq!(
        numbers,
        (1..=9).collect::<Vec<u64>>(),
        "the sequence restarted or skipped: {ticks:?}"
    );
    let invocations = dev.output().matches("GET /events").count();
    assert!(invocations >= 3, "three streams, each its own invocation:\n{}", dev.output());
}

#[test]
fn chromium_sees_sse_ticks_one_by_one_through_cargo_lambda() {
    let peer = common::cargo_lambda::start_with(&example_binary("sse"), &[("LWA_INVOKE_MODE", "response_stream")]);
    let ticks = page_ticks(&peer.url("/"), 3);
    let spread = spread_of(&ticks);
    // Each tick's text says when the app sent it and how long after that the page received it, so a failure
    // tells a held stream from a page that was slow to show it.
    assert!(
        spread >= Duration::from_millis(1000),
        "ticks appeared together ({spread:?}): the stream was buffered; ticks: {ticks:#?}\nadapter log:\n{}\ncargo-lambda log:\n{}",
        peer.adapter.output(),
        peer.emulator.output()
    );
}

/// How far apart the first and the third tick appeared on the page.
fn spread_of(ticks: &[(String, f64)]) -> Duration {
    assert!(ticks.len() >= 3, "{ticks:?}");
    Duration::from_secs_f64((ticks[2].1 - ticks[0].1) / 1000.0)
}

/// The README's first command: `dev` with the SSE example in streaming mode, once it prints its URL.
fn sse_through_dev() -> (Dev, String) {
    sse_through_dev_with(&[])
}

fn sse_through_dev_with(env: &[(&str, &str)]) -> (Dev, String) {
    let sse = example_binary("sse");
    let mut all = vec![("LWA_INVOKE_MODE", "response_stream")];
    all.extend_from_slice(env);
    let dev = Dev::spawn_app(&[sse.to_str().unwrap()], &[], &all);
    let url = format!("http://127.0.0.1:{}/", dev.port);
    let started = std::time::Instant::now();
    while !dev.output().contains(&url) {
        assert!(started.elapsed() < Duration::from_secs(30), "dev printed no URL:\n{}", dev.output());
        std::thread::sleep(Duration::from_millis(20));
    }
    (dev, url)
}

/// The README's first command, as a person runs it: `dev` with the SSE example, then a browser on the URL it
/// prints.
#[test]
fn chromium_sees_sse_ticks_one_by_one_through_dev() {
    let (dev, url) = sse_through_dev();
    // Three ticks a second apart span two seconds; a buffered stream shows them at once. Half of that
    // leaves room for a loaded machine delaying the first.
    let ticks = page_ticks(&url, 3);
    let spread = spread_of(&ticks);
    assert!(
        spread >= Duration::from_millis(1000),
        "ticks appeared together ({spread:?}): the stream was buffered; ticks: {ticks:#?}\nlog:\n{}",
        dev.output()
    );
}

/// With `LWA_SSE_KEEPALIVE`, the silences between ticks carry comment lines; Chromium's `EventSource` shows
/// every tick, whole, and nothing else.
#[test]
fn an_event_source_ignores_the_keepalive_comments() {
    let (dev, url) = sse_through_dev_with(&[("LWA_SSE_KEEPALIVE", "0.3")]);
    let ticks = page_ticks(&format!("{url}?n=3&interval_ms=1200"), 3);
    let numbers: Vec<u64> = ticks
        .iter()
        .map(|(text, _)| text.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3], "{ticks:?}");
    assert!(
        ticks.iter().all(|(text, _)| text.contains(" at ") && text.contains("received")),
        "{ticks:?}"
    );
    drop(dev);
}
