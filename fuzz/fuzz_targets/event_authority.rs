//! Invariant: whatever a client controls in an event (path, query, headers, cookies, body), the app's request
//! goes to the configured app (`http://127.0.0.1:8080`, nothing else in the authority), and no header the
//! adapter owns (`x-amzn-request-context`, `x-amzn-lambda-context`, `x-amzn-trace-id` when Lambda gives one,
//! `x-amz-tenant-id`, and every `x-ws-*`) carries a value the client sent, for every event kind.
//!
//! The input picks one of the real event samples and edits it structurally: string fields set to
//! fuzzer-built text (pieces of URL syntax mixed with arbitrary strings), query parameters, headers and
//! cookies added, and the adapter-owned headers added with a marker value in the header maps the event has
//! (in any case, and with `_` for `-`).
#![no_main]

use arbitrary::Arbitrary;
use fuzz_support::{FIXTURES, MARKER, api, assert_app_authority, assert_no_forged_headers, context, defuse, options};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// URL and header syntax that changes how a request line or an authority is read.
#[rustfmt::skip]
const TOKENS: [&str; 24] = [
    "@", "/", "//", "\\", "?", "#", ":", "%40", "%2F", "%2f", "..", "127.0.0.2:9", "@127.0.0.2:9/x", "evil.example",
    "[::1]", ":65536", "0", " ", "\t", "\r\n", "%", "%00", "ü", "/my",
];

#[derive(Arbitrary, Debug)]
enum Piece {
    Token(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Text(Vec<Piece>);

impl Text {
    fn build(&self) -> String {
        defuse(
            self.0
                .iter()
                .take(8)
                .map(|piece| match piece {
                    Piece::Token(i) => TOKENS[*i as usize % TOKENS.len()].to_string(),
                    Piece::Raw(s) => s.clone(),
                })
                .collect(),
        )
    }
}

/// String fields an event source fills from what the client sent (or that decide the event's kind).
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Field {
    RawPath,
    Path,
    HttpPath,
    RawQueryString,
    ContextPath,
    ResourcePath,
    Resource,
    HttpMethod,
    Method,
    HttpContextMethod,
    DomainName,
    Body,
    EventType,
    ConnectionId,
    RouteKey,
    SourceIp,
}

impl Field {
    fn path(self) -> &'static [&'static str] {
        match self {
            Field::RawPath => &["rawPath"],
            Field::Path => &["path"],
            Field::HttpPath => &["requestContext", "http", "path"],
            Field::RawQueryString => &["rawQueryString"],
            Field::ContextPath => &["requestContext", "path"],
            Field::ResourcePath => &["requestContext", "resourcePath"],
            Field::Resource => &["resource"],
            Field::HttpMethod => &["httpMethod"],
            Field::Method => &["method"],
            Field::HttpContextMethod => &["requestContext", "http", "method"],
            Field::DomainName => &["requestContext", "domainName"],
            Field::Body => &["body"],
            Field::EventType => &["requestContext", "eventType"],
            Field::ConnectionId => &["requestContext", "connectionId"],
            Field::RouteKey => &["requestContext", "routeKey"],
            Field::SourceIp => &["requestContext", "http", "sourceIp"],
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Set(Field, Text),
    Remove(Field),
    Query { multi: bool, key: Text, value: Text },
    Header { multi: bool, name: Text, value: Text },
    Cookie(Text),
    Base64(bool),
}

/// Where the forged adapter-owned headers go.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Spoof {
    /// Into every header map the event has (`headers` when it has none).
    Existing,
    Headers,
    MultiValueHeaders,
    Both,
    Nowhere,
}

#[derive(Arbitrary, Debug)]
struct Input {
    fixture: u8,
    edits: Vec<Edit>,
    spoof: Spoof,
    /// Bit i upper-cases the name of adapter-owned header i.
    case: u8,
    /// Bit i spells the name of adapter-owned header i with `_` for `-` (as CGI-style servers read both).
    underscores: u8,
    lambda_ids: bool,
    base_path: u8,
}

/// The object at `path` (creating objects where a key is missing); `None` when a non-object is in the way.
fn object_at<'a>(root: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    let mut here = root;
    for key in path {
        let map = here.as_object_mut()?;
        here = map.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
    }
    if here.is_null() {
        *here = Value::Object(Map::new());
    }
    here.as_object_mut()
}

fn set(root: &mut Value, path: &[&str], value: Option<Value>) {
    let (last, parents) = path.split_last().expect("paths are not empty");
    if let Some(map) = object_at(root, parents) {
        match value {
            Some(value) => {
                map.insert(last.to_string(), value);
            }
            None => {
                map.remove(*last);
            }
        }
    }
}

fn add_to_multi(root: &mut Value, field: &str, key: &str, value: &str) {
    if let Some(map) = object_at(root, &[field]) {
        match map.entry(key.to_string()).or_insert_with(|| Value::Array(vec![])) {
            Value::Array(values) => values.push(value.into()),
            other => *other = Value::Array(vec![value.into()]),
        }
    }
}

/// A value for a `headers` map: an array when the map holds arrays (VPC Lattice), else a string.
fn header_value(map: &Map<String, Value>, text: String) -> Value {
    if map.values().any(Value::is_array) {
        Value::Array(vec![text.into()])
    } else {
        text.into()
    }
}

fn apply(event: &mut Value, edit: &Edit) {
    match edit {
        Edit::Set(field, text) => set(event, field.path(), Some(text.build().into())),
        Edit::Remove(field) => set(event, field.path(), None),
        Edit::Query { multi: false, key, value } => {
            if let Some(map) = object_at(event, &["queryStringParameters"]) {
                map.insert(key.build(), value.build().into());
            }
        }
        Edit::Query { multi: true, key, value } => add_to_multi(event, "multiValueQueryStringParameters", &key.build(), &value.build()),
        Edit::Header { multi: false, name, value } => {
            if let Some(map) = object_at(event, &["headers"]) {
                let value = header_value(map, value.build());
                map.insert(name.build(), value);
            }
        }
        Edit::Header { multi: true, name, value } => add_to_multi(event, "multiValueHeaders", &name.build(), &value.build()),
        Edit::Cookie(text) => match event
            .as_object_mut()
            .map(|e| e.entry("cookies").or_insert_with(|| Value::Array(vec![])))
        {
            Some(Value::Array(cookies)) => cookies.push(text.build().into()),
            Some(other) => *other = Value::Array(vec![text.build().into()]),
            None => {}
        },
        Edit::Base64(on) => set(event, &["isBase64Encoded"], Some((*on).into())),
    }
}

fn spoof(event: &mut Value, spoof: Spoof, case: u8, underscores: u8) {
    let has = |event: &Value, field: &str| event.get(field).is_some_and(Value::is_object);
    let (single, multi) = match spoof {
        Spoof::Existing => {
            let multi = has(event, "multiValueHeaders");
            (has(event, "headers") || !multi, multi)
        }
        Spoof::Headers => (true, false),
        Spoof::MultiValueHeaders => (false, true),
        Spoof::Both => (true, true),
        Spoof::Nowhere => (false, false),
    };
    for (i, name) in fuzz_support::ADAPTER_OWNED.iter().enumerate() {
        let name = if case & (1 << i) != 0 {
            name.to_ascii_uppercase()
        } else {
            name.to_string()
        };
        let name = if underscores & (1 << i) != 0 { name.replace('-', "_") } else { name };
        if single && let Some(map) = object_at(event, &["headers"]) {
            let value = header_value(map, MARKER.into());
            map.insert(name.clone(), value);
        }
        if multi {
            add_to_multi(event, "multiValueHeaders", &name, MARKER);
        }
    }
}

fuzz_target!(|input: Input| {
    let (name, bytes) = FIXTURES[input.fixture as usize % FIXTURES.len()];
    let Ok(mut event) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    for edit in input.edits.iter().take(8) {
        apply(&mut event, edit);
    }
    spoof(&mut event, input.spoof, input.case, input.underscores);
    let base_path = [None, Some("/my"), Some("/v1")][input.base_path as usize % 3];
    let options = options(base_path);
    let ctx = context(input.lambda_ids);
    let text = serde_json::to_vec(&event).expect("a Value serialises");
    let Ok((kind, request, _)) = api::translate(&text, &ctx, &options) else {
        return;
    };
    let what = (name, kind, String::from_utf8_lossy(&text));
    assert_app_authority(&request, &what);
    assert_no_forged_headers(request.headers(), input.lambda_ids, &what);
});
