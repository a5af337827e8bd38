//! Response compression (`LWA_ENABLE_COMPRESSION`): a [`Layer`] that compresses the app's body with zstd,
//! brotli or gzip, as the client's `Accept-Encoding` allows, in buffered and streaming mode alike.
//!
//! - [`negotiate`]: the coding a request accepts (q-values, `*`, refusals), or none.
//! - [`codec`]: each coding's streaming encoder, flushed after every frame of the app's body.
//! - [`body`]: the compressing body, one compressed frame per frame of the app's, polled on demand.
//!
//! A response goes as it is when compressing could break it or would not pay ([`Compression::skip`]): an
//! answer to a WebSocket event, no body (`HEAD`, 1xx, 204, 304), a range (206, `Content-Range`), a
//! `Content-Encoding` already, `Cache-Control: no-transform`, a content type not in `LWA_COMPRESSIBLE_TYPES`
//! (images, video, archives are compressed already), a known length under [`MIN_SIZE`], or a client that
//! accepts no coding. A compressed response gets `Content-Encoding`, `Vary: Accept-Encoding` (merged with the
//! app's), a weak `ETag` (the bytes differ from the identity representation's), and loses `Content-Length`
//! (unknown until the end) and `Accept-Ranges` (ranges of the identity bytes no longer apply).

pub(crate) mod body;
pub(crate) mod codec;
pub(crate) mod negotiate;

#[cfg(all(test, unix))]
mod measure;

use http::header::{ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, VARY};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body::Body as _;
use http_body_util::BodyExt;

use super::{Layer, RequestHead, has_no_body};
use crate::config::compression::{CompressibleTypes, CompressionConfig};
use crate::net::body::Body;
pub(crate) use codec::{Encoder, Encoding};

/// Bodies of a known length under this many bytes go as they are. Measured (`measure::threshold`): under 128
/// bytes, gzip and zstd make a typical JSON answer larger (gzip's header and trailer alone are 18 bytes); at
/// 256 every coding saves 13-21 % on JSON and a third on prose, about what `Content-Encoding` and `Vary`
/// cost on the wire; from 512 on, 40 % and more.
pub(crate) const MIN_SIZE: u64 = 256;

/// The layers for `config`: compression when it is enabled, else none (so the request head is not even kept).
pub(crate) fn layers(config: &CompressionConfig) -> Vec<Box<dyn Layer>> {
    if config.enabled {
        vec![Box::new(Compression::new(config.types.clone()))]
    } else {
        Vec::new()
    }
}

/// The compression layer.
pub(crate) struct Compression {
    types: CompressibleTypes,
}

impl Compression {
    pub(crate) fn new(types: CompressibleTypes) -> Self {
        Compression { types }
    }

    /// Why `response` goes as it is whatever the client accepts, if it does.
    pub(crate) fn skip(&self, request: &RequestHead, response: &Response<Body>) -> Option<&'static str> {
        let headers = response.headers();
        let status = response.status();
        if has_no_body(&request.method, status.as_u16()) {
            return Some("no body");
        }
        if status == StatusCode::PARTIAL_CONTENT || headers.contains_key(CONTENT_RANGE) {
            return Some("a range");
        }
        if headers.contains_key(CONTENT_ENCODING) {
            return Some("already encoded");
        }
        if no_transform(headers) {
            return Some("Cache-Control: no-transform");
        }
        let compressible = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|content_type| self.types.matches(content_type));
        if !compressible {
            return Some("content type not compressible");
        }
        let length = headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .or_else(|| response.body().size_hint().exact());
        if length.is_some_and(|length| length < MIN_SIZE) {
            return Some("too small");
        }
        None
    }
}

impl Layer for Compression {
    fn apply(&self, request: &RequestHead, response: Response<Body>) -> Response<Body> {
        if let Some(reason) = self.skip(request, &response) {
            tracing::trace!(reason, "response not compressed");
            return response;
        }
        let Some(encoding) = negotiate::negotiate(&request.headers) else {
            tracing::trace!("response not compressed: the client accepts no coding");
            return response;
        };
        let encoder = match Encoder::new(encoding) {
            Ok(encoder) => encoder,
            Err(error) => {
                tracing::warn!(
                    "the response goes uncompressed: the {} encoder failed to start: {error}",
                    encoding.token()
                );
                return response;
            }
        };
        tracing::debug!(encoding = encoding.token(), "compressing the response");
        let (mut parts, inner) = response.into_parts();
        rewrite_headers(&mut parts.headers, encoding);
        Response::from_parts(parts, body::CompressedBody::new(inner, encoder).boxed_unsync())
    }
}

/// Whether `Cache-Control` forbids changing the body (RFC 9111 § 5.2.2.6).
fn no_transform(headers: &HeaderMap) -> bool {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|directive| {
            let name = directive.split('=').next().unwrap_or_default();
            name.trim().eq_ignore_ascii_case("no-transform")
        })
}

/// The head of a response whose body is now compressed with `encoding`.
pub(crate) fn rewrite_headers(headers: &mut HeaderMap, encoding: Encoding) {
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding.token()));
    headers.remove(CONTENT_LENGTH);
    headers.remove(ACCEPT_RANGES);
    add_vary(headers);
    weaken_etag(headers);
}

/// Adds `Accept-Encoding` to `Vary`, in one line with the app's own names; leaves `Vary: *` and a `Vary`
/// that names it already alone.
fn add_vary(headers: &mut HeaderMap) {
    let existing: Vec<&str> = headers.get_all(VARY).iter().filter_map(|value| value.to_str().ok()).collect();
    let names = || existing.iter().flat_map(|value| value.split(',')).map(str::trim);
    if names().any(|name| name == "*" || name.eq_ignore_ascii_case("accept-encoding")) {
        return;
    }
    let listed: Vec<&str> = names().filter(|name| !name.is_empty()).collect();
    let unreadable = headers.get_all(VARY).iter().count() != existing.len();
    if listed.is_empty() || unreadable {
        if listed.is_empty() && !unreadable {
            headers.remove(VARY);
        }
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
        return;
    }
    let merged = format!("{}, Accept-Encoding", listed.join(", "));
    match HeaderValue::from_str(&merged) {
        Ok(value) => {
            headers.insert(VARY, value);
        }
        Err(_) => {
            headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
        }
    }
}

/// A strong `ETag` becomes weak: the compressed bytes are not the identity representation's, but they are
/// equivalent (RFC 9110 § 8.8.1), so `If-None-Match` still matches.
fn weaken_etag(headers: &mut HeaderMap) {
    let Some(etag) = headers.get(ETAG) else { return };
    if !etag.as_bytes().starts_with(b"\"") {
        return;
    }
    let weak = [b"W/".as_slice(), etag.as_bytes()].concat();
    match HeaderValue::from_bytes(&weak) {
        Ok(value) => {
            headers.insert(ETAG, value);
        }
        Err(_) => {
            headers.remove(ETAG);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::body::full;
    use codec::tests::decode;
    use http::Method;

    fn request(method: Method, accept: &str) -> RequestHead {
        let mut headers = HeaderMap::new();
        if !accept.is_empty() {
            headers.insert("accept-encoding", accept.parse().unwrap());
        }
        RequestHead {
            method,
            headers,
            streaming: false,
        }
    }

    fn response(status: u16, headers: &[(&str, &str)], body: Body) -> Response<Body> {
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        for (name, value) in headers {
            response
                .headers_mut()
                .append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        response
    }

    const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

    fn layer() -> Compression {
        Compression::new(CompressibleTypes::default())
    }

    fn skipped(method: Method, status: u16, headers: &[(&str, &str)], body: Body) -> Option<&'static str> {
        layer().skip(&request(method, "gzip"), &response(status, headers, body))
    }

    fn big() -> Body {
        full(vec![b'a'; 1000])
    }

    #[test]
    fn skip_rules() {
        assert_eq!(skipped(Method::GET, 200, JSON, big()), None);
        assert_eq!(skipped(Method::POST, 201, JSON, big()), None);
        assert_eq!(skipped(Method::HEAD, 200, JSON, big()), Some("no body"));
        for status in [101, 103, 204, 304] {
            assert_eq!(skipped(Method::GET, status, JSON, big()), Some("no body"), "{status}");
        }
        assert_eq!(skipped(Method::GET, 206, JSON, big()), Some("a range"));
        let range = &[("content-type", "text/plain"), ("content-range", "bytes 0-999/5000")];
        assert_eq!(skipped(Method::GET, 200, range, big()), Some("a range"));
        for coding in ["gzip", "br", "identity", "custom"] {
            let encoded = &[("content-type", "text/plain"), ("content-encoding", coding)];
            assert_eq!(skipped(Method::GET, 200, encoded, big()), Some("already encoded"));
        }
        for cache_control in ["no-transform", "public, No-Transform", "max-age=60,no-transform"] {
            let headers = &[("content-type", "text/html"), ("cache-control", cache_control)];
            assert_eq!(skipped(Method::GET, 200, headers, big()), Some("Cache-Control: no-transform"));
        }
        let headers = &[
            ("content-type", "text/html"),
            ("cache-control", "no-cache"),
            ("cache-control", "no-store"),
        ];
        assert_eq!(skipped(Method::GET, 200, headers, big()), None);
        for content_type in [
            "image/png",
            "application/octet-stream",
            "video/mp4",
            "font/woff2",
            "application/zip",
        ] {
            let headers = &[("content-type", content_type)];
            assert_eq!(skipped(Method::GET, 200, headers, big()), Some("content type not compressible"));
        }
        assert_eq!(skipped(Method::GET, 200, &[], big()), Some("content type not compressible"));
        // A known length under the threshold, from `Content-Length` or from the body.
        assert_eq!(skipped(Method::GET, 200, JSON, full("{\"ok\":true}")), Some("too small"));
        let small = &[("content-type", "application/json"), ("content-length", "255")];
        assert_eq!(skipped(Method::GET, 200, small, big()), Some("too small"));
        assert_eq!(skipped(Method::GET, 200, JSON, full(vec![b'a'; 255])), Some("too small"));
        let sized = &[("content-type", "application/json"), ("content-length", "256")];
        assert_eq!(skipped(Method::GET, 200, sized, full(vec![b'a'; 256])), None);
        // A streamed body of unknown length is compressed.
        let streamed = http_body_util::StreamBody::new(futures::stream::iter(vec![Ok::<_, crate::net::body::BoxError>(
            http_body::Frame::data(bytes::Bytes::from("{}")),
        )]))
        .boxed_unsync();
        assert_eq!(skipped(Method::GET, 200, JSON, streamed), None);
    }

    #[test]
    fn headers_of_a_compressed_response() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("content-length", "1000"),
            ("accept-ranges", "bytes"),
            ("etag", "\"v1\""),
            ("vary", "Origin"),
            ("vary", "Accept-Language, Cookie"),
        ] {
            headers.append(name, value.parse().unwrap());
        }
        rewrite_headers(&mut headers, Encoding::Brotli);
        assert_eq!(headers["content-encoding"], "br");
        assert!(!headers.contains_key("content-length") && !headers.contains_key("accept-ranges"));
        assert_eq!(headers["etag"], "W/\"v1\"");
        let vary: Vec<_> = headers.get_all("vary").iter().collect();
        assert_eq!(vary, ["Origin, Accept-Language, Cookie, Accept-Encoding"]);
    }

    #[test]
    fn vary_is_merged_never_duplicated() {
        let vary = |values: &[&[u8]]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(VARY, HeaderValue::from_bytes(value).unwrap());
            }
            add_vary(&mut headers);
            headers.get_all(VARY).iter().map(|v| v.as_bytes().to_vec()).collect::<Vec<_>>()
        };
        assert_eq!(vary(&[]), [b"Accept-Encoding".to_vec()]);
        assert_eq!(vary(&[b""]), [b"Accept-Encoding".to_vec()]);
        assert_eq!(vary(&[b"*"]), [b"*".to_vec()]);
        assert_eq!(vary(&[b"Origin, *"]), [b"Origin, *".to_vec()]);
        assert_eq!(vary(&[b"accept-encoding"]), [b"accept-encoding".to_vec()]);
        assert_eq!(
            vary(&[b"Origin", b"ACCEPT-ENCODING"]),
            [b"Origin".to_vec(), b"ACCEPT-ENCODING".to_vec()]
        );
        assert_eq!(vary(&[b"Origin,,"]), [b"Origin, Accept-Encoding".to_vec()]);
        // A value that is not text is kept as it is, and the name added beside it.
        assert_eq!(vary(&[b"X-\xff"]), [b"X-\xff".to_vec(), b"Accept-Encoding".to_vec()]);
    }

    #[test]
    fn etags_become_weak() {
        let etag = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(ETAG, value.parse().unwrap());
            weaken_etag(&mut headers);
            headers[ETAG].to_str().unwrap().to_string()
        };
        assert_eq!(etag("\"abc\""), "W/\"abc\"");
        assert_eq!(etag("W/\"abc\""), "W/\"abc\"");
        assert_eq!(etag("unquoted"), "unquoted");
        let mut headers = HeaderMap::new();
        weaken_etag(&mut headers);
        assert!(headers.is_empty());
    }

    #[tokio::test]
    async fn the_layer_compresses_what_the_client_accepts() {
        let body = "{\"message\":\"hello, hello, hello, hello, hello, hello\"}".repeat(20);
        for (accept, encoding) in [
            ("gzip", Encoding::Gzip),
            ("br", Encoding::Brotli),
            ("gzip, br, zstd", Encoding::Zstd),
        ] {
            let head = &[("content-type", "application/json"), ("etag", "\"1\"")];
            let out = layer().apply(&request(Method::GET, accept), response(200, head, full(body.clone())));
            assert_eq!(out.headers()["content-encoding"], encoding.token());
            assert_eq!(out.headers()["vary"], "Accept-Encoding");
            assert_eq!(out.headers()["etag"], "W/\"1\"");
            let compressed = out.into_body().collect().await.unwrap().to_bytes();
            assert!(compressed.len() < body.len() / 5, "{encoding:?}: {}", compressed.len());
            assert_eq!(decode(encoding, &compressed), body.as_bytes());
        }
    }

    #[tokio::test]
    async fn untouched_when_the_client_accepts_nothing_or_a_rule_says_so() {
        for accept in ["", "identity", "deflate", "gzip;q=0", "identity;q=0"] {
            let out = layer().apply(&request(Method::GET, accept), response(200, JSON, big()));
            assert!(
                out.headers().get("content-encoding").is_none() && out.headers().get("vary").is_none(),
                "{accept}"
            );
            assert_eq!(out.into_body().collect().await.unwrap().to_bytes().len(), 1000);
        }
        let image = &[("content-type", "image/png"), ("etag", "\"1\"")];
        let out = layer().apply(&request(Method::GET, "gzip"), response(200, image, big()));
        assert!(out.headers().get("content-encoding").is_none());
        assert_eq!(out.headers()["etag"], "\"1\"");
    }

    #[test]
    fn layers_only_when_enabled() {
        assert!(layers(&CompressionConfig::default()).is_empty());
        let enabled = CompressionConfig {
            enabled: true,
            ..Default::default()
        };
        assert_eq!(layers(&enabled).len(), 1);
    }
}
