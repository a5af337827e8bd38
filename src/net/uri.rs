//! Paths, query strings and path segments, percent-encoded in one place.
//!
//! The sources disagree on encoding: Function URL and HTTP API give `rawPath`/`rawQueryString` as the client
//! sent them; ALB gives the path and the query values still percent-encoded; REST APIs give a decoded path
//! and decoded query values. Raw forms are kept byte for byte (only characters a request line cannot carry
//! are escaped); decoded forms are encoded again.

use std::fmt;

use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};
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

/// Characters escaped in a raw path: the unsafe ones and `?`, which would start a query.
const RAW_PATH_UNSAFE: &AsciiSet = &RAW_UNSAFE.add(b'?');

/// Characters escaped in a decoded path: the unsafe ones, `%` itself, and `?`, which would start a query.
const PATH_SEGMENT: &AsciiSet = &RAW_PATH_UNSAFE.add(b'%');

/// Everything but RFC 3986's unreserved characters: a decoded query key or value, a request id or a
/// WebSocket connection id as one path segment (as the AWS SDKs encode it: `=` → `%3D`, `/` → `%2F`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The encoding as a `String`, without going through `Display`'s formatter: text with nothing to escape
/// (the common case, a request id or a plain path) is one copy.
fn encoded(encoding: percent_encoding::PercentEncode<'_>) -> String {
    std::borrow::Cow::from(encoding).into_owned()
}

/// `text` as one URI component: only unreserved characters stay as they are.
pub fn component(text: &str) -> String {
    // Request ids (UUIDs) and connection ids are unreserved throughout: checked byte by byte, that is a copy.
    let unreserved = |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
    if text.bytes().all(unreserved) {
        return text.to_owned();
    }
    encoded(utf8_percent_encode(text, COMPONENT))
}

/// A raw query as the request line will carry it.
pub fn raw(text: &str) -> String {
    encoded(utf8_percent_encode(text, RAW_UNSAFE))
}

/// A raw path as the request line will carry it: like [`raw`], and a `?` in it stays part of the path.
pub fn raw_path(text: &str) -> String {
    encoded(utf8_percent_encode(text, RAW_PATH_UNSAFE))
}

/// The URI of a request to the app: `http://` and the configured `app` authority, never anything taken from
/// an event, then the event's encoded path and query as the request target.
///
/// A path that does not start with `/` is given one rather than rejected. Lambda's event sources always send
/// one, so only hand-written events (a console test, a direct invoke) lack it, and for those the request
/// still reaches the app at the path meant. What matters is that no event text can ever become an authority
/// (`@evil:9/x` or `.x` once moved the connection to another host or port): the authority is a separate,
/// configured part here, and the target is parsed on its own.
pub(crate) fn app_uri(app: &Authority, path: &str, query: &str) -> Result<Uri, InvalidTarget> {
    let mut target = String::with_capacity(path.len().saturating_add(query.len()).saturating_add(2));
    if !path.starts_with('/') {
        target.push('/');
    }
    target.push_str(path);
    if !query.is_empty() {
        target.push('?');
        target.push_str(query);
    }
    let built = PathAndQuery::try_from(target.as_str())
        .map_err(http::Error::from)
        .and_then(|path_and_query| {
            Uri::builder()
                .scheme(Scheme::HTTP)
                .authority(app.clone())
                .path_and_query(path_and_query)
                .build()
        });
    built.map_err(|error| InvalidTarget { target, error })
}

/// A path and query that make no request target (a character a request line cannot carry).
#[derive(Debug)]
pub(crate) struct InvalidTarget {
    /// The target as it was put together, `/path?query`.
    pub target: String,
    pub error: http::Error,
}

impl fmt::Display for InvalidTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the request target `{}` is not valid: {}", self.target, self.error)
    }
}

impl std::error::Error for InvalidTarget {}

/// A decoded path, encoded again.
pub(crate) fn encode_path(decoded: &str) -> String {
    encoded(utf8_percent_encode(decoded, PATH_SEGMENT))
}

/// `k=v&k=v` from decoded pairs; repeated keys stay in order.
pub(crate) fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    join_query(pairs.into_iter().map(|(k, v)| (component(k), component(v))))
}

/// `k=v&k=v` from pairs that are already encoded (ALB).
pub(crate) fn raw_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
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
    fn raw_paths_keep_a_question_mark_in_the_path() {
        assert_eq!(raw_path("/a?b"), "/a%3Fb");
        assert_eq!(raw("a?b"), "a?b");
    }

    #[test]
    fn the_app_uri_keeps_the_configured_authority_whatever_the_path() {
        let app: Authority = "127.0.0.1:8080".parse().unwrap();
        for (path, target) in [
            ("/x", "/x"),
            ("", "/"),
            ("@127.0.0.2:9/x", "/@127.0.0.2:9/x"),
            (".x", "/.x"),
            ("//evil.example:1/x", "//evil.example:1/x"),
            ("http://evil.example/x", "/http://evil.example/x"),
            ("x", "/x"),
        ] {
            let uri = app_uri(&app, path, "").unwrap();
            assert_eq!(uri.authority(), Some(&app), "{path}");
            assert_eq!(uri.scheme(), Some(&Scheme::HTTP), "{path}");
            assert_eq!(uri.path(), target, "{path}");
        }
        let uri = app_uri(&app, "/p", "a=1&b=@x:9").unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:8080/p?a=1&b=@x:9");
        assert!(
            app_uri(&app, "/a\nb", "").is_err(),
            "a target the request line cannot carry is an error"
        );
    }

    #[test]
    fn components_are_encoded_as_the_sdks_encode_them() {
        assert_eq!(component("Ya1aXeR8IAMCLnw="), "Ya1aXeR8IAMCLnw%3D");
        assert_eq!(component("a/b+c=="), "a%2Fb%2Bc%3D%3D");
        assert_eq!(component("A-z_0.9~"), "A-z_0.9~");
        assert_eq!(component("a b/c?d"), "a%20b%2Fc%3Fd");
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
