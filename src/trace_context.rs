//! W3C trace context from Lambda's X-Ray trace header, per invocation.
//!
//! Lambda hands each invocation `Lambda-Runtime-Trace-Id: Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled=1`.
//! The app gets it as `x-amzn-trace-id`, which only X-Ray SDKs read; OpenTelemetry SDKs read W3C
//! `traceparent: 00-{trace id}-{parent id}-{flags}`. Both describe the same trace: the X-Ray root without its
//! `1-` and dashes is a 32-hex W3C trace id, and `Parent` is the span the app's spans hang from. Under
//! Managed Instances the process-wide `_X_AMZN_TRACE_ID` belongs to no request in particular, so a header
//! on each request is the only carrier that is right for concurrent invocations.
//!
//! A client that already sends a valid `traceparent` keeps it (its trace continues through the function),
//! exactly once; an invalid one is dropped. A Lambda header that is malformed or has no `Parent` gives no
//! `traceparent` and never fails the invocation.

use http::HeaderValue;

/// The `traceparent` for Lambda's trace header `xray`, when it has a well-formed `Root` and `Parent`. Read
/// and written as bytes, with the header value as the one allocation: this runs on every invocation.
pub(crate) fn from_xray(xray: &str) -> Option<HeaderValue> {
    let (mut root, mut parent, mut sampled) = (None, None, false);
    for field in xray.as_bytes().split(|byte| *byte == b';') {
        match field.trim_ascii() {
            [b'R', b'o', b'o', b't', b'=', value @ ..] => root = Some(value),
            [b'P', b'a', b'r', b'e', b'n', b't', b'=', value @ ..] => parent = Some(value),
            [b'S', b'a', b'm', b'p', b'l', b'e', b'd', b'=', value @ ..] => sampled = value == b"1",
            _ => {}
        }
    }
    // `1-{8 hex}-{24 hex}`: the W3C trace id is the two hex parts side by side.
    let (time, random) = match root? {
        [b'1', b'-', rest @ ..] if rest.len() == 33 && rest[8] == b'-' => (&rest[..8], &rest[9..]),
        _ => return None,
    };
    let parent = parent.filter(|p| is_hex(p, 16) && !all_zero(p))?;
    if !is_hex(time, 8) || !is_hex(random, 24) || (all_zero(time) && all_zero(random)) {
        return None;
    }
    let flags: &[u8] = if sampled { b"01" } else { b"00" };
    let mut value = Vec::with_capacity(55);
    for field in [b"00-", time, random, b"-", parent, b"-", flags] {
        value.extend_from_slice(field);
    }
    value.make_ascii_lowercase();
    HeaderValue::from_maybe_shared(bytes::Bytes::from(value)).ok()
}

/// Whether `value` is a `traceparent` a W3C tracer accepts: version `00` exactly as specified, or a later
/// version with at least the same fields (a tracer must read those as version `00`).
pub(crate) fn is_valid(value: &[u8]) -> bool {
    let field = |range: std::ops::Range<usize>| value.get(range).unwrap_or_default();
    let dashes = [2, 35, 52].iter().all(|&i| value.get(i) == Some(&b'-'));
    let version = field(0..2);
    let lower_hex = |bytes: &[u8], len: usize| is_hex(bytes, len) && !bytes.iter().any(u8::is_ascii_uppercase);
    let fields = lower_hex(version, 2)
        && version != b"ff"
        && lower_hex(field(3..35), 32)
        && !all_zero(field(3..35))
        && lower_hex(field(36..52), 16)
        && !all_zero(field(36..52))
        && lower_hex(field(53..55), 2);
    let length = match version {
        b"00" => value.len() == 55,
        _ => value.len() == 55 || value.get(55) == Some(&b'-'),
    };
    dashes && fields && length
}

fn is_hex(bytes: &[u8], len: usize) -> bool {
    bytes.len() == len && bytes.iter().all(u8::is_ascii_hexdigit)
}

fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| *b == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "Root=1-5759e988-bd862e3fe1be46a994272793";

    #[test]
    fn xray_headers_become_traceparents() {
        let sampled = format!("{ROOT};Parent=53995c3f42cd8ad8;Sampled=1");
        assert_eq!(
            from_xray(&sampled).unwrap(),
            "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"
        );
        let unsampled = format!("{ROOT};Parent=53995C3F42CD8AD8;Sampled=0;Lineage=a87bd80c:1|68fd508a:5");
        assert_eq!(
            from_xray(&unsampled).unwrap(),
            "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00"
        );
        let reordered = format!("Sampled=1;Parent=53995c3f42cd8ad8;{ROOT}");
        assert!(from_xray(&reordered).unwrap().as_bytes().ends_with(b"-01"));
        assert!(
            from_xray(&format!("{ROOT};Parent=53995c3f42cd8ad8"))
                .unwrap()
                .as_bytes()
                .ends_with(b"-00")
        );
    }

    #[test]
    fn malformed_or_parentless_headers_give_none() {
        for xray in [
            ROOT,
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000;Sampled=1",
            "Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e98g-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad",
            "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8é",
        ] {
            assert_eq!(from_xray(xray), None, "{xray}");
        }
    }

    #[test]
    fn valid_traceparents_by_the_w3c_rules() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(is_valid(good.as_bytes()));
        assert!(is_valid(b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"));
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
        ] {
            assert!(!is_valid(bad.as_bytes()), "{bad}");
        }
    }
}
