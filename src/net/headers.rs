//! Headers that describe one hop of a connection rather than the message, in one list.
//!
//! Every hop the adapter relays (event → app request, app response → Lambda, the app's `@connections` call
//! → API Gateway, a function's answer → `dev`'s client) frames the body itself, so these never cross; nor do
//! the headers a `Connection` header names (RFC 9110 § 7.6.1), in either direction.

use http::{HeaderMap, HeaderName, header};

/// RFC 9110 § 7.6.1's connection-specific headers, and the framing headers every relay sets anew.
pub const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Whether `name` (lower case) describes a hop: [`HOP_BY_HOP`] as a `match`, which compares lengths before
/// bytes.
pub(crate) fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection" | "keep-alive" | "proxy-connection" | "te" | "trailer" | "transfer-encoding" | "upgrade"
    )
}

/// Removes the hop-by-hop headers, those that `Connection` names (`Connection: close, X-Secret`), and
/// `extra` names on top (a relay that re-frames also drops `content-length`; a request relay drops `expect`).
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap, extra: &[&str]) {
    remove_hop_by_hop_and(headers, extra, |_| false);
}

/// [`remove_hop_by_hop`], and the names `also` picks (the adapter's own, for a client's request), in the
/// same pass.
///
/// The names present are scanned once for the listed ones, rather than each listed name parsed and hashed to
/// look it up: the list is longer than most requests' and responses' headers that match it (none), and the
/// lookups were 6,700 instructions per invocation (callgrind). `Connection`'s values are read only when it is
/// there.
pub(crate) fn remove_hop_by_hop_and(headers: &mut HeaderMap, extra: &[&str], also: impl Fn(&str) -> bool) {
    let mut connection = false;
    let mut doomed: Vec<HeaderName> = Vec::new();
    for name in headers.keys() {
        let text = name.as_str();
        if *name == header::CONNECTION {
            connection = true;
        } else if is_hop_by_hop(text) || extra.contains(&text) || also(text) {
            doomed.push(name.clone());
        }
    }
    if connection {
        let nominated = headers
            .get_all(header::CONNECTION)
            .iter()
            .flat_map(|value| value.as_bytes().split(|byte| *byte == b','))
            .filter_map(|token| HeaderName::from_bytes(token.trim_ascii()).ok());
        doomed.extend(nominated);
        doomed.push(header::CONNECTION);
    }
    for name in doomed {
        headers.remove(name);
    }
}

/// The app's response head as a careful proxy forwards it: a `Content-Length` beside `Transfer-Encoding` is
/// dropped (RFC 9112 § 6.3: the length is the chunked body's, and the two disagreeing is how responses are
/// smuggled), then the hop-by-hop headers and those `Connection` names.
pub fn sanitize_response(headers: &mut HeaderMap) {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        headers.remove(header::CONTENT_LENGTH);
    }
    remove_hop_by_hop(headers, &[]);
}

/// A header value as text: UTF-8 when it is, else Latin-1 (ISO-8859-1, as HTTP/1.1 has always read header
/// bytes: `r\xe9sum\xe9` is `résumé`), so no byte becomes U+FFFD.
pub fn value_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_the_list_and_the_extras() {
        let mut headers = HeaderMap::new();
        for name in ["connection", "transfer-encoding", "upgrade", "content-length", "x-keep"] {
            headers.insert(name, "x".parse().unwrap());
        }
        remove_hop_by_hop(&mut headers, &["content-length"]);
        assert_eq!(headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["x-keep"]);
        assert!(is_hop_by_hop("te") && !is_hop_by_hop("content-type"));
        assert!(HOP_BY_HOP.iter().all(|name| is_hop_by_hop(name)), "the match is the list");
    }

    #[test]
    fn names_picked_by_the_caller_go_in_the_same_pass() {
        let mut headers = HeaderMap::new();
        headers.append("connection", "x-named".parse().unwrap());
        for name in ["x-named", "x-picked", "expect", "x-keep", "keep-alive"] {
            headers.insert(name, "v".parse().unwrap());
        }
        remove_hop_by_hop_and(&mut headers, &["expect"], |name| name == "x-picked");
        assert_eq!(headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["x-keep"]);
    }

    #[test]
    fn headers_named_by_connection_go_too() {
        let mut headers = HeaderMap::new();
        headers.append("connection", "close, X-Secret".parse().unwrap());
        headers.append("connection", "x-other ,, bad name".parse().unwrap());
        for name in ["x-secret", "x-other", "x-keep"] {
            headers.insert(name, "v".parse().unwrap());
        }
        remove_hop_by_hop(&mut headers, &[]);
        assert_eq!(headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["x-keep"]);
    }

    #[test]
    fn a_length_beside_chunked_framing_is_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert("transfer-encoding", "chunked".parse().unwrap());
        headers.insert("content-length", "3".parse().unwrap());
        headers.insert("content-type", "text/plain".parse().unwrap());
        sanitize_response(&mut headers);
        assert_eq!(headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["content-type"]);
        let mut headers = HeaderMap::new();
        headers.insert("content-length", "3".parse().unwrap());
        sanitize_response(&mut headers);
        assert_eq!(headers["content-length"], "3");
    }

    #[test]
    fn header_bytes_that_are_not_utf8_read_as_latin1() {
        assert_eq!(
            value_text(b"attachment; filename=\"r\xe9sum\xe9.pdf\""),
            "attachment; filename=\"résumé.pdf\""
        );
        assert_eq!(value_text("caf\u{e9}".as_bytes()), "café");
        assert_eq!(value_text(b"plain"), "plain");
    }
}
