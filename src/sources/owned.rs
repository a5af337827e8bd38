//! The headers whose meaning the adapter owns, in one list.
//!
//! The adapter tells the app facts the client cannot be trusted with: who invoked (`x-amzn-request-context`
//! carries the authorizer's claims), which invocation (`x-amzn-lambda-context`), which tenant, which trace,
//! and for WebSocket events where to push (`x-ws-callback`); and where to hold the invocation for work after
//! the response (`x-lambda-wait-until`). A client that sends a header of the same name
//! must never reach the app with it, whatever the event source: an app that trusts `x-ws-callback` on a
//! public Function URL could otherwise be made to push through the adapter's signed callback. Every event
//! source removes these from the client's headers before the adapter adds its own, so a later feature that
//! owns a header adds it here and is covered everywhere.

use http::{HeaderMap, HeaderName};

// Names made at compile time: every invocation sets several of them, and a name given as text would be parsed
// and validated again each time.
pub(crate) const REQUEST_CONTEXT: HeaderName = HeaderName::from_static("x-amzn-request-context");
pub(crate) const LAMBDA_CONTEXT: HeaderName = HeaderName::from_static("x-amzn-lambda-context");
pub(crate) const TENANT_ID: HeaderName = HeaderName::from_static("x-amz-tenant-id");
pub const TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");
pub(crate) const WAIT_UNTIL: HeaderName = HeaderName::from_static("x-lambda-wait-until");

/// Header names the adapter alone sets.
pub(crate) const NAMES: [HeaderName; 5] = [REQUEST_CONTEXT, LAMBDA_CONTEXT, TENANT_ID, TRACE_ID, WAIT_UNTIL];

/// Prefixes of header names the adapter alone sets: every `x-ws-*` header is the WebSocket bridge's.
pub(crate) const PREFIXES: [&str; 1] = ["x-ws-"];

/// Whether `name` (lower case, as `http` keeps it) is the adapter's, with `_` read as `-`: CGI-style servers
/// (Python's `wsgiref`, Rack, PHP) hand `x_ws_callback` and `x-ws-callback` to the app as the same
/// `HTTP_X_WS_CALLBACK`, so a client's underscore spelling would forge the adapter's header there.
pub(crate) fn is_owned(name: &str) -> bool {
    let name = name.as_bytes();
    // Every owned name and prefix starts with `x`: most names are told apart by their first byte.
    name.first() == Some(&b'x')
        && (NAMES.iter().any(|owned| same_name(name, owned.as_str().as_bytes()))
            || PREFIXES
                .iter()
                .any(|prefix| name.get(..prefix.len()).is_some_and(|start| same_name(start, prefix.as_bytes()))))
}

/// `a == b` with `_` and `-` as one character; both lower case. Compared as bytes first: names spelled with
/// `_` are rare, and the character-by-character comparison was most of the time spent on every request's
/// headers (callgrind).
fn same_name(a: &[u8], b: &[u8]) -> bool {
    let dash = |byte: &u8| if *byte == b'_' { b'-' } else { *byte };
    a.len() == b.len() && (a == b || a.iter().map(dash).eq(b.iter().map(dash)))
}

/// Removes every adapter-owned header from a client's `headers`, with the hop-by-hop ones and `framing` (the
/// request's framing headers, which the adapter sets anew) in the same pass.
pub(crate) fn remove(headers: &mut HeaderMap, framing: &[&str]) {
    crate::net::headers::remove_hop_by_hop_and(headers, framing, is_owned);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_owned` rejects a name by its first byte: it holds only while every owned name and prefix starts
    /// with `x`, which a later addition must keep (or change that shortcut).
    #[test]
    fn every_owned_name_and_prefix_starts_with_x() {
        assert!(NAMES.iter().all(|name| name.as_str().starts_with('x')), "{NAMES:?}");
        assert!(PREFIXES.iter().all(|prefix| prefix.starts_with('x')), "{PREFIXES:?}");
        assert!(!is_owned("wait-until") && !is_owned("lambda-context"));
    }

    #[test]
    fn removes_the_listed_names_and_prefixes_in_any_case() {
        let mut headers = HeaderMap::new();
        for name in [
            "X-Amzn-Request-Context",
            "x-amzn-lambda-context",
            "X-AMZ-TENANT-ID",
            "x-amzn-trace-id",
            "X-WS-Callback",
            "x-ws-anything",
            "x-wsx",
            "x-amzn-other",
            "x_ws_callback",
            "X_WS_CONNECTION_ID",
            "x_amzn_request_context",
            "x-amzn_lambda-context",
            "x_amz_tenant_id",
            "x_amzn_trace_id",
            "x_ws_",
            "x_wsx",
            "x_amzn_other",
            "X-Lambda-Wait-Until",
            "x_lambda_wait_until",
        ] {
            headers.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), "forged".parse().unwrap());
        }
        remove(&mut headers, &[]);
        let mut left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        left.sort();
        assert_eq!(left, ["x-amzn-other", "x-wsx", "x_amzn_other", "x_wsx"]);
    }
}
