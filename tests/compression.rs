//! End to end, response compression (`LWA_ENABLE_COMPRESSION`): through the real binary between the embedded
//! Runtime API and an app, buffered and streamed, and through `lambda-adapter dev` with real clients — curl
//! (`--compressed`, one encoding at a time) and headless Chromium on the SSE example.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::compression::*;
use common::stack::Stack;
use common::*;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use serde_json::Value;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

#[tokio::test]
async fn buffered_answers_are_compressed_as_the_client_accepts() {
    let stack = Stack::start(&[BUFFERED[0], ON]).await;
    let expected = alphabet(100_000);
    for (accept, coding) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip;q=1.0, br;q=0.5, zstd;q=0.5", "gzip"),
        ("*, zstd;q=0", "br"),
        ("identity;q=0, GZIP", "gzip"),
    ] {
        let event = with_accept(function_url("GET", "/large-text", "size=100000"), accept);
        let doc = stack.invoke_json(bytes(&event)).await;
        assert_eq!(doc["statusCode"], 200, "{doc}");
        let headers = &doc["headers"];
        assert_eq!(headers["content-encoding"], coding, "{accept}: {headers}");
        assert_eq!(headers["vary"], "Accept-Encoding", "{headers}");
        assert_eq!(headers["content-type"], "text/plain", "{headers}");
        assert!(headers.get("content-length").is_none(), "{headers}");
        assert_eq!(doc["isBase64Encoded"], true, "compressed bytes travel as base64");
        let body = BASE64.decode(doc["body"].as_str().unwrap()).unwrap();
        assert!(body.len() < 5_000, "{coding}: {} bytes", body.len());
        assert_eq!(decode(coding, &body), expected, "{coding}");
    }
    // A client that accepts no coding gets the app's bytes as they are.
    for accept in [
        None,
        Some("identity"),
        Some("deflate"),
        Some("gzip;q=0, br;q=0, zstd;q=0"),
        Some("bogus;q=x"),
    ] {
        let mut event = function_url("GET", "/large-text", "size=1000");
        if let Some(accept) = accept {
            event = with_accept(event, accept);
        }
        let doc = stack.invoke_json(bytes(&event)).await;
        assert!(doc["headers"].get("content-encoding").is_none(), "{accept:?}: {doc}");
        assert!(doc["headers"].get("vary").is_none(), "{accept:?}: {doc}");
        assert_eq!(doc["isBase64Encoded"], false);
        assert_eq!(doc["body"].as_str().unwrap().as_bytes(), alphabet(1000));
    }
}

#[tokio::test]
async fn off_unless_enabled() {
    let stack = Stack::start(&BUFFERED).await;
    let doc = stack
        .invoke_json(bytes(&with_accept(
            function_url("GET", "/large-text", "size=100000"),
            "gzip, br, zstd",
        )))
        .await;
    assert!(doc["headers"].get("content-encoding").is_none(), "{doc}");
    assert_eq!(doc["body"].as_str().unwrap().as_bytes(), alphabet(100_000));
}

#[tokio::test]
async fn what_compression_leaves_alone() {
    let stack = Stack::start(&[BUFFERED[0], ON]).await;
    let accept = "gzip, deflate, br, zstd";
    let doc = |method: &str, path: &str, query: &str| {
        let event = with_accept(function_url(method, path, query), accept);
        let stack = &stack;
        async move { stack.invoke_json(bytes(&event)).await }
    };
    // No body: HEAD and 204.
    let head = doc("HEAD", "/large-text", "size=1000").await;
    assert!(head["headers"].get("content-encoding").is_none(), "{head}");
    let no_content = doc("GET", "/status/204", "").await;
    assert_eq!(no_content["statusCode"], 204);
    assert!(no_content["headers"].get("content-encoding").is_none(), "{no_content}");
    // Not a compressible type: the binary pattern is application/octet-stream.
    let binary = doc("GET", "/bytes", "size=4096").await;
    assert!(binary["headers"].get("content-encoding").is_none(), "{binary}");
    assert_eq!(BASE64.decode(binary["body"].as_str().unwrap()).unwrap(), pattern(4096));
    // Known lengths under the threshold: `/` (23 bytes) and a 404's `status 404`.
    for (path, body) in [("/", "lambda-adapter echo app"), ("/status/404", "status 404")] {
        let small = doc("GET", path, "").await;
        assert!(small["headers"].get("content-encoding").is_none(), "{small}");
        assert_eq!(small["body"], body);
    }
    // A JSON answer of a known length over the threshold is compressed, whatever its status.
    let echo = doc("POST", "/echo", "").await;
    assert_eq!(echo["headers"]["content-encoding"], "zstd", "{echo}");
    let json: Value = serde_json::from_slice(&decode("zstd", &BASE64.decode(echo["body"].as_str().unwrap()).unwrap())).unwrap();
    assert_eq!(
        json["headers"]["accept-encoding"][0], accept,
        "the app sees the client's Accept-Encoding"
    );
}

/// Each event of an SSE stream leaves compressed as soon as the app writes it, and decodes at once: no event
/// waits for the next, whatever the coding.
#[tokio::test]
async fn sse_events_stream_compressed_one_by_one() {
    let stack = Stack::start(&[STREAM[0], ON]).await;
    let interval = Duration::from_millis(400);
    for coding in CODINGS {
        let event = with_accept(
            function_url("GET", "/sse", &format!("n=5&interval_ms={}", interval.as_millis())),
            coding,
        );
        let clock = WallClock::now();
        let received = receive(stack.invoke(bytes(&event)).await).await;
        assert_eq!(received.prelude["statusCode"], 200);
        let headers = &received.prelude["headers"];
        assert_eq!(headers["content-encoding"], coding, "{headers}");
        assert_eq!(headers["content-type"], "text/event-stream", "{headers}");
        assert_eq!(headers["vary"], "Accept-Encoding", "{headers}");
        assert!(received.error.is_none(), "{:?}", received.error);
        let mut decoder = StreamDecoder::new(coding);
        let mut decoded_at = Vec::new();
        for (at, chunk) in &received.chunks {
            let text = String::from_utf8(decoder.feed(chunk).to_vec()).unwrap();
            for (event, sent_us) in events(&text).into_iter().skip(decoded_at.len()) {
                decoded_at.push((event, sent_us, clock.at(*at)));
            }
        }
        assert_eq!(decoded_at.len(), 5, "{coding}: {decoded_at:?}");
        for (i, (event, sent_us, decoded_us)) in decoded_at.iter().enumerate() {
            assert!(event.starts_with(&format!("id: {}\n", i + 1)), "{event:?}");
            let lag = Duration::from_micros(decoded_us.saturating_sub(*sent_us) as u64);
            // Under the interval, with room for a loaded machine: had it waited for the next event, it would be over.
            assert!(
                lag < interval * 5 / 8,
                "{coding}: event {} was decodable only {lag:?} after the app sent it (the next came {interval:?} later)",
                i + 1
            );
        }
        let (first, last) = (decoded_at[0].2, decoded_at[4].2);
        assert!(
            last - first >= 4 * interval.as_micros() * 9 / 10,
            "{coding}: the events arrived together"
        );
    }
}

/// A large streamed body is compressed with memory flat in the adapter, and decodes byte-exact.
#[tokio::test]
async fn a_large_stream_compresses_with_flat_memory() {
    let stack = Stack::start(&[STREAM[0], ON]).await;
    let size = 64 * 1024 * 1024;
    for coding in CODINGS {
        let event = with_accept(function_url("GET", "/large-text", &format!("size={size}")), coding);
        let received = receive(stack.invoke_with(bytes(&event), Duration::from_secs(120)).await).await;
        assert_eq!(received.prelude["headers"]["content-encoding"], coding);
        assert!(received.error.is_none(), "{:?}", received.error);
        let compressed = received.body();
        assert!(compressed.len() < size / 50, "{coding}: {} bytes", compressed.len());
        let decoded = decode(coding, &compressed);
        assert_eq!(decoded.len(), size, "{coding}");
        assert!(decoded == alphabet(size), "{coding}: the body is byte-exact");
    }
    let peak = stack.adapter.peak_rss_kib();
    eprintln!("adapter peak RSS: {peak} KiB after three 64 MiB compressed streams");
    assert!(
        peak > 0 && peak < 32 * 1024,
        "adapter peak RSS {peak} KiB for three 64 MiB compressed streams"
    );
}

#[tokio::test]
async fn a_9_mb_json_answer_goes_buffered_when_compressed() {
    let emulator = Emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), FunctionInfo::default())
        .await
        .unwrap();
    let port = free_port();
    let script = big_json_app();
    let mut command = Command::new("python3");
    command.arg(&script).env("PORT", port.to_string());
    let _app = Process::spawn(command, "big-json");
    wait_for_port(port, Duration::from_secs(30));
    let adapter = Process::spawn(adapter_command(&emulator.runtime_api(), port, &[BUFFERED[0], ON]), "adapter");
    if tokio::time::timeout(Duration::from_secs(20), emulator.wait_polling())
        .await
        .is_err()
    {
        panic!("the adapter never polled; its log:\n{}", adapter.output());
    }
    let expected = big_json();
    for coding in CODINGS {
        let event = with_accept(function_url("GET", "/big.json", ""), coding);
        let outcome = emulator.invoke(bytes(&event), Duration::from_secs(60)).await.unwrap();
        let Outcome::Response(payload) = outcome else {
            panic!(
                "{coding}: expected a response, got {}; log:\n{}",
                describe(&outcome),
                adapter.output()
            );
        };
        let doc: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(doc["statusCode"], 200, "{coding}");
        assert_eq!(doc["headers"]["content-encoding"], coding);
        assert_eq!(doc["headers"]["content-type"], "application/json");
        assert!(doc["headers"].get("content-length").is_none());
        let body = BASE64.decode(doc["body"].as_str().unwrap()).unwrap();
        assert!(decode(coding, &body) == expected, "{coding}: the JSON is byte-exact");
    }
    // Uncompressed, the same answer is over the limit, as it should be.
    let outcome = emulator
        .invoke(bytes(&function_url("GET", "/big.json", "")), Duration::from_secs(60))
        .await
        .unwrap();
    let Outcome::Error(report) = outcome else {
        panic!("expected ResponseTooLarge, got {}", describe(&outcome));
    };
    assert_eq!(report.error_type, "LambdaAdapter.ResponseTooLarge");
    let _ = std::fs::remove_file(script);
}

// ---------------------------------------------------------------------------------------------------------
// `lambda-adapter dev` with real clients.
