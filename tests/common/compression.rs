//! Helpers of the compression tests: decoders (whole and streaming), SSE event timing, and an app that
//! answers a 9 MB JSON document.

use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::free_port;

pub const ON: (&str, &str) = ("LWA_ENABLE_COMPRESSION", "true");
pub const CODINGS: [&str; 3] = ["gzip", "br", "zstd"];

pub fn with_accept(mut event: Value, accept: &str) -> Value {
    event["headers"]["accept-encoding"] = accept.into();
    event
}

/// The echo app's `/large-text` body: `a` to `z` repeating.
pub fn alphabet(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// A whole body in `coding`, decoded by the codec crates' own readers.
pub fn decode(coding: &str, data: &[u8]) -> Vec<u8> {
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
pub enum StreamDecoder {
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

impl StreamDecoder {
    pub fn new(coding: &str) -> StreamDecoder {
        match coding {
            "gzip" => StreamDecoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
            "br" => StreamDecoder::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096))),
            "zstd" => StreamDecoder::Zstd(zstd::stream::write::Decoder::new(Vec::new()).unwrap()),
            other => panic!("no decoder for {other:?}"),
        }
    }

    pub fn feed(&mut self, data: &[u8]) -> &[u8] {
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
pub fn events(text: &str) -> Vec<(String, u128)> {
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
pub struct WallClock {
    instant: Instant,
    epoch_us: u128,
}

impl WallClock {
    pub fn now() -> WallClock {
        WallClock {
            instant: Instant::now(),
            epoch_us: SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros(),
        }
    }

    pub fn at(&self, at: Instant) -> u128 {
        self.epoch_us + at.duration_since(self.instant).as_micros()
    }
}

// ---------------------------------------------------------------------------------------------------------
// A 9 MB JSON answer, buffered: over Lambda's 6 MB as it is, well under it compressed.

/// A Python app that answers `GET /big.json` with [`big_json`] (`application/json`, with `Content-Length`).
pub const BIG_JSON_APP: &str = r#"
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

pub const ITEMS: usize = 160_000;

/// What the app serves, computed the same way.
pub fn big_json() -> Vec<u8> {
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

pub fn big_json_app() -> PathBuf {
    let path = std::env::temp_dir().join(format!("lwa-test-big-json-{}-{}.py", std::process::id(), free_port()));
    std::fs::write(&path, BIG_JSON_APP.replace("range(ITEMS)", &format!("range({ITEMS})"))).unwrap();
    path
}
