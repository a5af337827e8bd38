//! End to end, response compression (`LWA_ENABLE_COMPRESSION`): through the real binary between the embedded
//! Runtime API and an app, buffered and streamed, and through `lambda-adapter dev` with real clients — curl
//! (`--compressed`, one encoding at a time) and headless Chromium on the SSE example.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::dev::Dev;
use common::stack::Stack;
use common::*;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ON: (&str, &str) = ("LWA_ENABLE_COMPRESSION", "true");
const CODINGS: [&str; 3] = ["gzip", "br", "zstd"];

fn with_accept(mut event: Value, accept: &str) -> Value {
    event["headers"]["accept-encoding"] = accept.into();
    event
}

/// The echo app's `/large-text` body: `a` to `z` repeating.
fn alphabet(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// A whole body in `coding`, decoded by the codec crates' own readers.
fn decode(coding: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(data).read_to_end(&mut out).unwrap(),
        "br" => brotli::Decompressor::new(data, 4096).read_to_end(&mut out).unwrap(),
        "zstd" => zstd::stream::read::Decoder::new(data).unwrap().read_to_end(&mut out).unwrap(),
        other => panic!("no decoder for {other:?}"),
    };
    out
}

/// A streaming decoder: compressed pieces in, everything decoded so far out, as a client sees it.
enum StreamDecoder {
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

impl StreamDecoder {
    fn new(coding: &str) -> StreamDecoder {
        match coding {
            "gzip" => StreamDecoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
            "br" => StreamDecoder::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
            "zstd" => StreamDecoder::Zstd(zstd::stream::write::Decoder::new(Vec::new()).unwrap()),
            other => panic!("no decoder for {other:?}"),
        }
    }

    fn feed(&mut self, data: &[u8]) -> &[u8] {
        fn feed<W: Write>(writer: &mut W, data: &[u8]) {
            writer.write_all(data).unwrap();
            writer.flush().unwrap();
        }
        match self {
            StreamDecoder::Gzip(d) => {
                feed(d, data);
                d.get_ref()
            }
            StreamDecoder::Brotli(d) => {
                feed(d, data);
                d.get_ref()
            }
            StreamDecoder::Zstd(d) => {
                feed(d, data);
                d.get_ref()
            }
        }
    }
}

/// The complete SSE events in `text` (each ends with a blank line), with the app's `sent_us` of each.
fn events(text: &str) -> Vec<(String, u128)> {
    let complete = match text.rfind("\n\n") {
        Some(end) => &text[..end + 2],
        None => "",
    };
    complete
        .split_terminator("\n\n")
        .map(|event| {
            let sent = event
                .split("\"sent_us\":")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|digits| digits.parse().ok())
                .unwrap_or_else(|| panic!("no sent_us in {event:?}"));
            (event.to_string(), sent)
        })
        .collect()
}

/// Microseconds since the epoch at `at`, from one reading of both clocks.
struct WallClock {
    instant: Instant,
    epoch_us: u128,
}

impl WallClock {
    fn now() -> WallClock {
        WallClock {
            instant: Instant::now(),
            epoch_us: SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros(),
        }
    }

    fn at(&self, at: Instant) -> u128 {
        self.epoch_us + at.duration_since(self.instant).as_micros()
    }
}

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

// ---------------------------------------------------------------------------------------------------------
// A 9 MB JSON answer, buffered: over Lambda's 6 MB as it is, well under it compressed.

/// A Python app that answers `GET /big.json` with [`big_json`] (`application/json`, with `Content-Length`).
const BIG_JSON_APP: &str = r#"
import os
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

BODY = ('{"items":[' + ','.join('{"id":%d,"name":"item %d","price":%d.%02d,"tags":["a","b"]}' % (i, i, i % 1000, i % 100)
                                for i in range(ITEMS)) + ']}').encode()

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        big = self.path.startswith('/big.json')
        body = BODY if big else b'ok'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json' if big else 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), Handler).serve_forever()
"#;

const ITEMS: usize = 160_000;

/// What the app serves, computed the same way.
fn big_json() -> Vec<u8> {
    let items: Vec<String> = (0..ITEMS)
        .map(|i| {
            format!(
                "{{\"id\":{i},\"name\":\"item {i}\",\"price\":{}.{:02},\"tags\":[\"a\",\"b\"]}}",
                i % 1000,
                i % 100
            )
        })
        .collect();
    let json = format!("{{\"items\":[{}]}}", items.join(",")).into_bytes();
    assert!(json.len() > 9 * 1024 * 1024, "{} bytes", json.len());
    json
}

fn big_json_app() -> PathBuf {
    let path = std::env::temp_dir().join(format!("lwa-test-big-json-{}-{}.py", std::process::id(), free_port()));
    std::fs::write(&path, BIG_JSON_APP.replace("range(ITEMS)", &format!("range({ITEMS})"))).unwrap();
    path
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

/// `curl --compressed` with `accept` (or curl's own list when `None`): the headers and the decoded body.
fn curl(url: &str, accept: Option<&str>) -> (String, Vec<u8>) {
    let headers = std::env::temp_dir().join(format!("lwa-test-curl-{}-{}.txt", std::process::id(), free_port()));
    let mut command = Command::new("curl");
    command.args(["-sS", "--compressed", "--max-time", "60", "-D"]).arg(&headers);
    if let Some(accept) = accept {
        command.args(["-H", &format!("Accept-Encoding: {accept}")]);
    }
    let output = command.arg(url).output().expect("curl runs");
    assert!(output.status.success(), "curl {url}: {}", String::from_utf8_lossy(&output.stderr));
    let head = std::fs::read_to_string(&headers).unwrap().to_ascii_lowercase();
    let _ = std::fs::remove_file(headers);
    (head, output.stdout)
}

fn content_encoding(head: &str) -> Option<&str> {
    head.lines().find_map(|line| line.strip_prefix("content-encoding:")).map(str::trim)
}

/// curl supports every coding the adapter sends (Debian's curl has zlib, brotli and zstd).
fn curl_has_every_coding() {
    let version = Command::new("curl").arg("-V").output().expect("curl runs");
    let features = String::from_utf8_lossy(&version.stdout).to_ascii_lowercase();
    for feature in ["libz", "brotli", "zstd"] {
        assert!(features.contains(feature), "this curl lacks {feature}:\n{features}");
    }
}

#[tokio::test]
async fn curl_compressed_through_dev_gets_the_apps_exact_bytes() {
    curl_has_every_coding();
    let dev = Dev::start(&[], &[STREAM[0], ON]).await;
    let base = format!("http://127.0.0.1:{}", dev.port);
    let expected = alphabet(1_000_000);
    let url = format!("{base}/large-text?size=1000000");
    for (accept, coding) in [(Some("gzip"), "gzip"), (Some("br"), "br"), (Some("zstd"), "zstd"), (None, "zstd")] {
        let (head, body) = curl(&url, accept);
        assert_eq!(content_encoding(&head), Some(coding), "{accept:?}: {head}");
        assert!(head.contains("vary: accept-encoding"), "{head}");
        assert!(body == expected, "{accept:?}: {} bytes, not the app's", body.len());
    }
    // Without `--compressed` (no Accept-Encoding), the bytes are the app's, untouched.
    let plain = Command::new("curl").args(["-sS", &url]).output().unwrap();
    assert!(plain.stdout == expected);
}

/// curl reads an SSE stream through dev, compressed, and prints each event as it comes: the events arrive
/// spread out, each soon after the app sent it.
#[tokio::test]
async fn curl_reads_a_compressed_sse_stream_event_by_event() {
    let dev = Dev::start(&[], &[STREAM[0], ON]).await;
    let url = format!("http://127.0.0.1:{}/sse?n=4&interval_ms=400", dev.port);
    for coding in CODINGS {
        let url = url.clone();
        let lines = tokio::task::spawn_blocking(move || {
            let clock = WallClock::now();
            let mut child = Command::new("curl")
                .args(["-sSN", "--compressed", "-H", &format!("Accept-Encoding: {coding}"), &url])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let reader = std::io::BufReader::new(child.stdout.take().unwrap());
            let mut seen = Vec::new();
            for line in std::io::BufRead::lines(reader) {
                let line = line.unwrap();
                if line.starts_with("data: ") {
                    seen.push((line, clock.at(Instant::now())));
                }
            }
            assert!(child.wait().unwrap().success());
            seen
        })
        .await
        .unwrap();
        assert_eq!(lines.len(), 4, "{coding}: {lines:?}");
        for (line, at) in &lines {
            let (_, sent) = &events(&format!("{line}\n\n"))[0];
            let lag = Duration::from_micros(at.saturating_sub(*sent) as u64);
            assert!(
                lag < Duration::from_millis(250),
                "{coding}: {line} printed {lag:?} after it was sent (the next came 400 ms later)"
            );
        }
        assert!(lines[3].1 - lines[0].1 >= 1_100_000, "{coding}: the events came together");
    }
    assert!(dev.output().contains("GET /sse"), "{}", dev.output());
}

#[tokio::test]
async fn curl_gets_a_9_mb_json_compressed_through_dev_buffered() {
    curl_has_every_coding();
    let script = big_json_app();
    let dev = Dev::start_app(&["python3", script.to_str().unwrap()], &[], &[ON]).await;
    let expected = big_json();
    let url = format!("http://127.0.0.1:{}/big.json", dev.port);
    for coding in CODINGS {
        let (head, body) = curl(&url, Some(coding));
        assert!(head.starts_with("http/1.1 200"), "{coding}: {head}\n{}", dev.output());
        assert_eq!(content_encoding(&head), Some(coding), "{head}");
        assert!(body == expected, "{coding}: {} bytes, not the app's JSON", body.len());
    }
    let _ = std::fs::remove_file(script);
}

/// Headless Chromium loads the SSE example's page and its event stream through `dev`, both compressed, and sees
/// the ticks appear one by one: with its own `Accept-Encoding` (`gzip, deflate, br, zstd`, so zstd), then
/// told to accept only brotli, then only gzip, so that each coding's flushed stream is decoded by a browser.
#[tokio::test]
async fn chromium_sees_compressed_sse_ticks_one_by_one() {
    let sse = example_binary("sse");
    let dev = Dev::start_app(&[sse.to_str().unwrap()], &[], &[STREAM[0], ON]).await;
    let url = format!("http://127.0.0.1:{}/", dev.port);
    for (accept, expected) in [(None, "zstd"), (Some("br"), "br"), (Some("gzip"), "gzip")] {
        let mut command = Command::new("node");
        command.arg(repo_path("tests/browser/compression.mjs")).arg(&url).arg("3");
        command.args(accept);
        let output = command.output().expect("node runs (scripts/test.sh installs it)");
        assert!(
            output.status.success(),
            "the browser test failed (scripts/test.sh installs chromium and playwright-core):\n{}\n--- dev:\n{}",
            String::from_utf8_lossy(&output.stderr),
            dev.output()
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["title"], "lambda-adapter: server-sent events", "{report}");
        for path in ["/", "/events"] {
            let response = &report["responses"][path];
            let sent = response["acceptEncoding"].as_str().unwrap_or_default();
            assert!(
                sent.split(',').any(|c| c.trim() == expected),
                "{path}: Chromium sent {sent:?}: {report}"
            );
            assert_eq!(response["contentEncoding"], expected, "{path}: {report}");
            assert_eq!(response["vary"], "Accept-Encoding", "{report}");
        }
        let times: Vec<f64> = report["ticks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["at_ms"].as_f64().unwrap())
            .collect();
        assert!(times.len() >= 3, "{report}");
        let spread = Duration::from_secs_f64((times[2] - times[0]) / 1000.0);
        assert!(
            spread >= Duration::from_millis(1500),
            "{expected}: ticks appeared together ({spread:?}): the compressed stream was held back; {report}"
        );
    }
}
