//! Paths and query strings for the app's request line.
//!
//! The sources disagree on encoding: Function URL and HTTP API give `rawPath`/`rawQueryString` as the client
//! sent them; ALB gives the path and the query values still percent-encoded; REST APIs give a decoded path
//! and decoded query values. Raw forms are kept byte for byte (only characters a request line cannot carry
//! are escaped); decoded forms are encoded again.

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters escaped in a raw path or query: whatever a URI may not contain. `%` is kept, so existing
/// escapes survive.
const RAW_UNSAFE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'#');

/// Characters escaped in a decoded path: the unsafe ones, `%` itself, and `?`, which would start a query.
const PATH_SEGMENT: &AsciiSet = &RAW_UNSAFE.add(b'%').add(b'?');

/// Characters escaped in a decoded query key or value: everything but RFC 3986's unreserved characters.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A raw path or query as the request line will carry it.
pub fn raw(text: &str) -> String {
    utf8_percent_encode(text, RAW_UNSAFE).to_string()
}

/// A decoded path, encoded again.
pub fn encode_path(decoded: &str) -> String {
    utf8_percent_encode(decoded, PATH_SEGMENT).to_string()
}

/// `k=v&k=v` from decoded pairs; repeated keys stay in order.
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    join_query(pairs.into_iter().map(|(k, v)| {
        (
            utf8_percent_encode(k, QUERY_COMPONENT).to_string(),
            utf8_percent_encode(v, QUERY_COMPONENT).to_string(),
        )
    }))
}

/// `k=v&k=v` from pairs that are already encoded (ALB).
pub fn raw_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    join_query(pairs.into_iter().map(|(k, v)| (raw(k), raw(v))))
}

fn join_query(pairs: impl Iterator<Item = (String, String)>) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&key);
        out.push('=');
        out.push_str(&value);
    }
    out
}

/// Strips `base` from the front of `path` when it ends at a segment boundary: `/api` takes `/api/users`
/// to `/users` and `/api` to `/`, and leaves `/apix` alone.
pub fn remove_base_path(path: &str, base: &str) -> String {
    match path.strip_prefix(base) {
        Some("") => "/".to_string(),
        Some(rest) if rest.starts_with('/') => rest.to_string(),
        Some(rest) if rest.starts_with('?') => format!("/{rest}"),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_keeps_escapes_and_fixes_what_a_request_line_cannot_carry() {
        assert_eq!(raw("/a%20b/c%2Fd"), "/a%20b/c%2Fd");
        assert_eq!(raw("/a b/ü"), "/a%20b/%C3%BC");
    }

    #[test]
    fn decoded_paths_are_encoded_again() {
        assert_eq!(encode_path("/files/100% done?.txt"), "/files/100%25%20done%3F.txt");
        assert_eq!(encode_path("/hello/world"), "/hello/world");
    }

    #[test]
    fn decoded_queries_are_encoded_with_repeats_in_order() {
        let q = encode_query([("q", "a b&c"), ("tag", "x"), ("tag", "y=z"), ("e", "")]);
        assert_eq!(q, "q=a%20b%26c&tag=x&tag=y%3Dz&e=");
    }

    #[test]
    fn base_path_only_at_segment_boundary() {
        assert_eq!(remove_base_path("/api/users", "/api"), "/users");
        assert_eq!(remove_base_path("/api", "/api"), "/");
        assert_eq!(remove_base_path("/apix", "/api"), "/apix");
        assert_eq!(remove_base_path("/other", "/api"), "/other");
    }
}
