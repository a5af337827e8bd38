//! Headers that describe one hop of a connection rather than the message, in one list.
//!
//! Every hop the adapter relays (event → app request, app response → Lambda, the app's `@connections` call
//! → API Gateway, a function's answer → `dev`'s client) frames the body itself, so these never cross.

use http::HeaderMap;

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

/// Whether `name` (lower case) describes a hop.
pub fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.contains(&name)
}

/// Removes the hop-by-hop headers, and `extra` names on top (a relay that re-frames also drops
/// `content-length`; a request relay drops `expect`).
pub fn remove_hop_by_hop(headers: &mut HeaderMap, extra: &[&str]) {
    for name in HOP_BY_HOP.iter().chain(extra) {
        headers.remove(*name);
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
    }
}
