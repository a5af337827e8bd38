//! A response head built from the input (status 100..=599, headers and cookies valid for `http`, body bytes)
//! encoded the way the adapter answers Lambda (`buffered::document::encode` in every format, and the streaming
//! prelude + separator + body), then decoded the way the event source (and `lambda-adapter dev`) reads it:
//! status, headers (per name, values in order) and body come back as the formats document them:
//! - hop-by-hop headers (`connection`, `transfer-encoding`, `te`, `upgrade`, …) are dropped;
//! - header values are read as UTF-8, or as Latin-1 when they are not UTF-8 (`ResponseMeta::new`: no byte
//!   becomes U+FFFD);
//! - payload 2.0 (Function URL, HTTP API) and the plain prelude join a repeated header's values with `,` and
//!   carry each `Set-Cookie` apart;
//! - REST API, ALB multi-value and the multi-value prelude keep every value;
//! - ALB single-value and VPC Lattice join like payload 2.0 and keep only the last `Set-Cookie`;
//! - WebSocket keeps `Sec-WebSocket-Protocol` only;
//! - a text body goes as UTF-8 text (invalid bytes becoming U+FFFD), a binary one as base64, byte for byte;
//! - the prelude parser finds the encoder's prelude and the body after it, however the stream is chunked.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use fuzz_support::api::{self, MAX_PRELUDE, Parsed, PreludeParser, ResponseMeta, SEPARATOR, Survives};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 19] = [
    "content-type",
    "content-encoding",
    "cache-control",
    "vary",
    "x-multi",
    "location",
    "content-length",
    "set-cookie",
    "Set-Cookie",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "trailer",
    "te",
    "upgrade",
    "proxy-connection",
    "www-authenticate",
    "sec-websocket-protocol",
    "X-Custom",
];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Custom(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    headers: Vec<(Name, Vec<u8>)>,
    cookies: Vec<Vec<u8>>,
    body: Vec<u8>,
    text: bool,
    cuts: Vec<u16>,
}

type Expected = BTreeMap<String, Vec<String>>;

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A header value as the adapter reads it: UTF-8 when it is, else Latin-1.
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Per name, the values in order (decoded values are UTF-8: the Latin-1 reading is already text there).
fn observed(headers: &HeaderMap) -> Expected {
    headers
        .keys()
        .map(|name| (name.to_string(), headers.get_all(name).iter().map(|v| lossy(v.as_bytes())).collect()))
        .collect()
}

/// What each format should give back for `headers`.
fn expected(headers: &HeaderMap, survives: Survives) -> Expected {
    let mut out = Expected::new();
    for name in headers.keys() {
        if api::HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        let values: Vec<String> = headers.get_all(name).iter().map(|v| text(v.as_bytes())).collect();
        let cookie = name == http::header::SET_COOKIE;
        let kept = match survives {
            Survives::Multi => values,
            Survives::Joined if cookie => values,
            Survives::JoinedLastCookie if cookie => values.last().cloned().into_iter().collect(),
            Survives::Joined | Survives::JoinedLastCookie => vec![values.join(",")],
            Survives::Subprotocol if name == http::header::SEC_WEBSOCKET_PROTOCOL => vec![values.join(",")],
            Survives::Subprotocol => continue,
        };
        out.insert(name.to_string(), kept);
    }
    out
}

fuzz_target!(|input: Input| {
    let status = 100 + input.status % 500;
    let mut headers = HeaderMap::new();
    for (name, value) in input.headers.iter().take(32) {
        let name = match name {
            Name::Known(i) => HeaderName::from_bytes(NAMES[*i as usize % NAMES.len()].as_bytes()).ok(),
            Name::Custom(text) => HeaderName::from_bytes(text.as_bytes()).ok(),
        };
        if let (Some(name), Ok(value)) = (name, HeaderValue::from_bytes(value)) {
            headers.append(name, value);
        }
    }
    for cookie in input.cookies.iter().take(8) {
        if let Ok(value) = HeaderValue::from_bytes(cookie) {
            headers.append(http::header::SET_COOKIE, value);
        }
    }
    let meta = ResponseMeta::new(status, &headers);
    let body: Vec<u8> = if input.text {
        lossy(&input.body).into_bytes()
    } else {
        input.body.clone()
    };

    for (kind, format, survives) in api::round_trips() {
        let payload = api::encode_document(format, &meta, &input.body, input.text);
        let what = || format!("{kind:?} ({format:?}): {}", lossy(&payload));
        let (decoded_status, decoded_headers, decoded_body) =
            api::decode_buffered(format, &payload).unwrap_or_else(|e| panic!("{e}: {}", what()));
        assert_eq!(decoded_status.as_u16(), status, "{}", what());
        assert_eq!(observed(&decoded_headers), expected(&headers, survives), "{}", what());
        assert_eq!(&decoded_body[..], &body[..], "{}", what());
    }

    for (multi_value, survives) in [(false, Survives::Joined), (true, Survives::Multi)] {
        let head = api::encode_prelude(&meta, multi_value);
        let mut stream = head.to_vec();
        stream.extend_from_slice(SEPARATOR);
        stream.extend_from_slice(&input.body);
        let mut parser = PreludeParser::default();
        let mut parsed: Option<(bytes::Bytes, Vec<u8>)> = None;
        let mut rest = &stream[..];
        let mut cuts = input.cuts.iter().take(16).cycle();
        let mut pushes = 0;
        while !rest.is_empty() {
            let len = cuts.next().map_or(rest.len(), |&c| (c as usize).clamp(1, rest.len()));
            let (chunk, tail) = rest.split_at(if pushes > 4096 { rest.len() } else { len });
            rest = tail;
            pushes += 1;
            match &mut parsed {
                Some((_, body)) => body.extend_from_slice(chunk),
                None => match parser.push(chunk) {
                    Ok(Parsed::Done { prelude, rest }) => parsed = Some((prelude, rest.to_vec())),
                    Ok(Parsed::NeedMore) => {}
                    Err(e) => {
                        assert!(head.len() > MAX_PRELUDE, "the parser refused a {}-byte prelude: {e}", head.len());
                        return;
                    }
                },
            }
        }
        let (found, streamed_body) = parsed.expect("the separator is found");
        assert_eq!(found, head, "the parser's prelude is the encoder's");
        assert_eq!(streamed_body, input.body, "the streamed body");
        let (decoded_status, decoded_headers) = api::decode_prelude(&found).unwrap_or_else(|e| panic!("prelude {}: {e}", lossy(&head)));
        assert_eq!(decoded_status.as_u16(), status);
        assert_eq!(
            observed(&decoded_headers),
            expected(&headers, survives),
            "multi_value {multi_value}: {}",
            lossy(&head)
        );
    }
});
