//! Whether a response body can travel as JSON text or must be base64-encoded.
//!
//! A body is text when its content type says so (`text/*`, JSON, XML, JavaScript, form data, `+json` and
//! `+xml` suffixes), it has no content coding such as gzip, and its bytes are valid UTF-8. A body without a
//! content type is text when it is valid UTF-8: REST APIs deliver base64 to the client verbatim unless
//! binary media types are configured, so text is the safer guess where nothing says otherwise.

use http::{HeaderMap, header};

/// Whether `body`, with these response headers, goes out as text.
pub(crate) fn is_text(headers: &HeaderMap, body: &[u8]) -> bool {
    let encoded = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("identity"));
    if encoded {
        return false;
    }
    let textual_type = match headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(content_type) => is_text_type(content_type),
        None => true,
    };
    textual_type && std::str::from_utf8(body).is_ok()
}

/// Whether a content type names text.
pub(crate) fn is_text_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/ecmascript"
                | "application/x-javascript"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
                | "application/x-ndjson"
                | "application/yaml"
                | "image/svg+xml"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect()
    }

    #[test]
    fn text_types() {
        assert!(is_text(&headers(&[("content-type", "text/html; charset=utf-8")]), b"<p>"));
        assert!(is_text(&headers(&[("content-type", "application/problem+json")]), b"{}"));
        assert!(is_text(&headers(&[]), b"plain"));
    }

    #[test]
    fn binary_by_type_encoding_or_bytes() {
        assert!(!is_text(&headers(&[("content-type", "image/png")]), b"abc"));
        assert!(!is_text(
            &headers(&[("content-type", "application/json"), ("content-encoding", "gzip")]),
            b"{}"
        ));
        assert!(!is_text(&headers(&[("content-type", "text/plain")]), &[0xff, 0xfe]));
        assert!(!is_text(&headers(&[]), &[0x80]));
    }
}
