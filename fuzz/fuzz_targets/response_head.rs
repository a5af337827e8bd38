//! The response-head sanitiser (`net::headers::sanitize_response`) and the head model built from it
//! (`response::meta::ResponseMeta`), on any head an app can send: arbitrary header names and value bytes.
//!
//! After sanitising, no hop-by-hop header is left, no header that a `Connection` value named is left, and no
//! `Content-Length` is left when the app also sent `Transfer-Encoding`; every other header survives with its
//! values in order. Each value reaches the head model as text that gives back the app's exact bytes: UTF-8
//! as it is, anything else read as Latin-1 (no U+FFFD).
#![no_main]

use arbitrary::Arbitrary;
use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_adapter::net::headers::{HOP_BY_HOP, sanitize_response, value_text};
use lambda_adapter::response::meta::ResponseMeta;
use libfuzzer_sys::fuzz_target;

/// Names that matter to the sanitiser, mixed with arbitrary ones.
const NAMES: [&str; 10] = [
    "connection", "transfer-encoding", "content-length", "keep-alive", "x-secret", "x-other", "upgrade", "te",
    "content-type", "set-cookie",
];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    headers: Vec<(Name, Vec<u8>)>,
}

/// `text` as the bytes it stands for: UTF-8 text's own bytes, or one byte per Latin-1 character.
fn bytes_of(text: &str, original: &[u8]) -> Vec<u8> {
    if std::str::from_utf8(original).is_ok() {
        text.as_bytes().to_vec()
    } else {
        text.chars().map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character")).collect()
    }
}

fuzz_target!(|input: Input| {
    let mut headers = HeaderMap::new();
    for (name, value) in input.headers.iter().take(24) {
        let name = match name {
            Name::Known(i) => NAMES[*i as usize % NAMES.len()].to_string(),
            Name::Raw(text) => text.clone(),
        };
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value)) else {
            continue;
        };
        headers.append(name, value);
    }
    let nominated: Vec<HeaderName> = headers
        .get_all("connection")
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .filter_map(|token| HeaderName::from_bytes(token.trim_ascii()).ok())
        .collect();
    let chunked = headers.contains_key("transfer-encoding");
    let mut sanitized = headers.clone();
    sanitize_response(&mut sanitized);
    for name in sanitized.keys() {
        assert!(!HOP_BY_HOP.contains(&name.as_str()), "{name} survived: {sanitized:?}");
        assert!(!nominated.contains(name), "{name}, named by Connection, survived: {sanitized:?}");
        assert!(!(chunked && name == "content-length"), "a length beside chunked framing survived");
    }
    for name in headers.keys() {
        let dropped = HOP_BY_HOP.contains(&name.as_str()) || nominated.contains(name) || (chunked && name == "content-length");
        if !dropped {
            let before: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
            let after: Vec<&HeaderValue> = sanitized.get_all(name).iter().collect();
            assert_eq!(before, after, "{name} changed");
        }
    }
    let meta = ResponseMeta::new(200, &sanitized);
    for (name, texts) in meta.headers.iter().map(|(n, t)| (n.as_str(), t)).chain(std::iter::once(("set-cookie", &meta.cookies))) {
        let values: Vec<&HeaderValue> = sanitized.get_all(name).iter().collect();
        assert_eq!(values.len(), texts.len(), "{name}");
        for (value, text) in values.iter().zip(texts) {
            assert_eq!(*text, value_text(value.as_bytes()));
            assert_eq!(bytes_of(text, value.as_bytes()), value.as_bytes(), "{name}: {text:?} lost bytes");
        }
    }
});
