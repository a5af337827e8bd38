//! What the fuzz targets share: the embedded event samples, a fixed invocation context and translation
//! options, and the invariants about what the app's request may carry.

use std::sync::OnceLock;

use http::{HeaderMap, Request};
use lambda_adapter::context::InvocationContext;

pub mod api;
pub use api::options;

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The app's address in every target's options (`http://127.0.0.1:8080`).
pub const APP_AUTHORITY: &str = "127.0.0.1:8080";

/// A value only a client could have put in a header: the adapter never writes it.
pub const MARKER: &str = "FORGED-by-the-client-7f3a";

/// `text` with any [`MARKER`] defused: fuzzer-built strings go through this, so that a marker the fuzzer
/// copies (it sees the comparisons) into a field the adapter legitimately forwards, such as
/// `requestContext.connectionId` (`x-ws-connection-id`), is not mistaken for a forged header.
pub fn defuse(text: String) -> String {
    if text.contains(MARKER) {
        text.replace(MARKER, "defused")
    } else {
        text
    }
}

/// Headers only the adapter may set. A client's value must never reach the app under these names (nor under
/// any `x-ws-*` name).
pub const ADAPTER_OWNED: [&str; 8] = [
    "x-amzn-request-context",
    "x-amzn-lambda-context",
    "x-amzn-trace-id",
    "x-amz-tenant-id",
    "x-ws-callback",
    "x-ws-connection-id",
    "x-ws-anything",
    "x-lambda-wait-until",
];

/// An invocation context. With `lambda_ids`, Lambda gave a trace id and a tenant id (so the adapter owns
/// `x-amzn-trace-id`); without, it gave neither (and the client's `x-amzn-trace-id` is documented to pass).
pub fn context(lambda_ids: bool) -> InvocationContext {
    // Read from the Runtime API's headers, as the adapter does, so new context fields need no change here.
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &'static str| {
        headers.insert(name, http::HeaderValue::from_static(value));
    };
    set("lambda-runtime-aws-request-id", "8f0e7c1a-fuzz");
    set("lambda-runtime-deadline-ms", "1900000000000");
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:fuzz",
    );
    if lambda_ids {
        set("lambda-runtime-trace-id", "Root=1-65f0a1b2-0123456789abcdef01234567;Sampled=1");
        set("lambda-runtime-aws-tenant-id", "tenant-fuzz");
    }
    InvocationContext::from_headers(&headers).expect("the request id is set")
}

/// Whether invariant `check` is asserted. `FUZZ_IGNORE=authority,x-ws` (a comma-separated list) turns known
/// violations off while triaging, so the fuzzer can look past them for other ones; `scripts/fuzz.sh` never
/// sets it. Checks: `authority` (the app request's scheme and authority), `x-ws` (client `x-ws-*` headers),
/// `x-amz` (client `x-amz*` context headers), `app-base` (the settings target's app URL checks),
/// `ws-endpoint` and `runtime-api` (the settings target's `LWA_WS_ENDPOINT` and `AWS_LAMBDA_RUNTIME_API`
/// URL checks), `ws-callback` (the `ws_event` target's `x-ws-callback` checks), `ws-empty-id` (the
/// `ws_event` target's refusal of an empty connection id).
pub fn checking(check: &str) -> bool {
    static IGNORED: OnceLock<Vec<String>> = OnceLock::new();
    let ignored = IGNORED.get_or_init(|| {
        std::env::var("FUZZ_IGNORE")
            .unwrap_or_default()
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    });
    !ignored.iter().any(|c| c == check)
}

/// The request goes to the configured app and nowhere else: scheme `http`, authority exactly
/// `127.0.0.1:8080` (no user info, no other host or port).
pub fn assert_app_authority<B>(request: &Request<B>, what: &dyn std::fmt::Debug) {
    if !checking("authority") {
        return;
    }
    let uri = request.uri();
    assert_eq!(
        uri.scheme_str(),
        Some("http"),
        "the app request's scheme changed: uri {uri:?} from {what:?}"
    );
    assert_eq!(
        uri.authority().map(|a| a.as_str()),
        Some(APP_AUTHORITY),
        "the app request's authority is not the app's: uri {uri:?} from {what:?}"
    );
}

/// No client-sent [`MARKER`] survives under an adapter-owned name. `trace_owned` says whether the adapter
/// owns `x-amzn-trace-id` for this invocation (Lambda gave a trace id).
pub fn assert_no_forged_headers(headers: &HeaderMap, trace_owned: bool, what: &dyn std::fmt::Debug) {
    for (name, value) in headers {
        // `x_ws_callback` is `x-ws-callback` to a CGI-style server, so it counts as the owned header.
        let name = name.as_str().replace('_', "-");
        let name = name.as_str();
        let owned = if name.starts_with("x-ws-") {
            checking("x-ws")
        } else {
            ADAPTER_OWNED.contains(&name) && (trace_owned || name != "x-amzn-trace-id") && checking("x-amz")
        };
        assert!(
            !(owned && value.as_bytes() == MARKER.as_bytes()),
            "a client's `{name}` header reached the app: {headers:?} from {what:?}"
        );
    }
}
