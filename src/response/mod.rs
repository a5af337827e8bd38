//! The app's response between the app and the mode encoders: its head as each source wants it ([`meta`]),
//! whether its body is text ([`content`]), and the seam where layers over the body sit.
//!
//! Both modes take the app's response as an `http::Response` over any body of `Bytes` frames, not only
//! hyper's `Incoming`, so a layer can wrap the body (and change the head) before either mode encodes it:
//! compression, for one, belongs here, after the app and before buffering or streaming, so that it applies
//! to both alike and the buffered size limit is checked on what is actually sent.

pub(crate) mod compress;
pub(crate) mod content;
pub(crate) mod keepalive;
pub mod meta;

use http::{Method, Response};

use crate::config::Config;
use crate::net::body::Body;

/// What a layer may know about the request the response answers.
#[derive(Clone, Debug)]
pub(crate) struct RequestHead {
    pub method: Method,
    pub headers: http::HeaderMap,
    /// The answer goes back streamed (else as one buffered document).
    pub streaming: bool,
}

/// A transformation of the app's response, applied before it is encoded in either mode.
pub(crate) trait Layer: Send + Sync {
    /// Returns the response to encode instead of `response`.
    fn apply(&self, request: &RequestHead, response: Response<Body>) -> Response<Body>;
}

/// The layers an invocation's response passes through, in order.
#[derive(Default)]
pub(crate) struct Layers(Vec<Box<dyn Layer>>);

impl Layers {
    #[cfg(test)]
    pub(crate) fn new(layers: Vec<Box<dyn Layer>>) -> Self {
        Layers(layers)
    }

    /// The layers `config` asks for, in order: SSE keep-alive on the app's own bytes, then compression.
    /// None when neither is set, so a function without them pays nothing per invocation.
    pub(crate) fn from_config(config: &Config) -> Self {
        let keepalive = config
            .sse_keepalive
            .map(|every| Box::new(keepalive::SseKeepAlive { every }) as Box<dyn Layer>);
        Layers(keepalive.into_iter().chain(compress::layers(&config.compression)).collect())
    }

    /// Whether any layer is set: without one, the request head need not be kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `response` through every layer.
    pub(crate) fn apply(&self, request: &RequestHead, response: Response<Body>) -> Response<Body> {
        self.0.iter().fold(response, |response, layer| layer.apply(request, response))
    }
}

/// Whether a response to `method` with `status` has no body (RFC 9110: HEAD, 1xx, 204, 304).
pub(crate) fn has_no_body(method: &Method, status: u16) -> bool {
    method == Method::HEAD || status == 204 || status == 304 || (100..200).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::body::full;
    use http::HeaderValue;

    struct Tag(&'static str);

    impl Layer for Tag {
        fn apply(&self, _: &RequestHead, mut response: Response<Body>) -> Response<Body> {
            response.headers_mut().append("x-layer", HeaderValue::from_static(self.0));
            response
        }
    }

    #[test]
    fn layers_apply_in_order() {
        let layers = Layers::new(vec![Box::new(Tag("first")), Box::new(Tag("second"))]);
        let head = RequestHead {
            method: Method::GET,
            headers: http::HeaderMap::new(),
            streaming: false,
        };
        let response = layers.apply(&head, Response::new(full("x")));
        let seen: Vec<_> = response.headers().get_all("x-layer").iter().collect();
        assert_eq!(seen, ["first", "second"]);
        assert!(has_no_body(&Method::HEAD, 200) && has_no_body(&Method::GET, 304) && !has_no_body(&Method::GET, 200));
    }
}
