//! SSE keep-alive (`LWA_SSE_KEEPALIVE=SECS`): while a streamed `text/event-stream` response has sent nothing
//! for SECS, a comment line (`:` and a blank line) goes out, so CloudFront (30 s origin response timeout by
//! default) and other proxies keep the stream open; `EventSource` ignores comments.
//!
//! A comment is written only at an event boundary, after a blank line the app wrote, never inside an event
//! the app is still writing: a comment there would end the event early. It sits before compression, on the
//! app's own bytes, so a compressed stream carries it compressed like the rest.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Response, header};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::time::{Instant, Sleep};

use super::{Layer, RequestHead};
use crate::net::body::{Body, BoxError};

/// What goes out when the stream is idle: an SSE comment.
const COMMENT: &[u8] = b":\n\n";

/// The layer: wraps streamed event streams.
pub(crate) struct SseKeepAlive {
    pub every: Duration,
}

impl Layer for SseKeepAlive {
    fn apply(&self, request: &RequestHead, response: Response<Body>) -> Response<Body> {
        let is_event_stream = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"));
        if !request.streaming || !is_event_stream {
            return response;
        }
        response.map(|body| KeepAliveBody::new(body, self.every).boxed_unsync())
    }
}

/// The app's event stream with comments in its idle times.
struct KeepAliveBody {
    inner: Pin<Box<Body>>,
    every: Duration,
    idle: Pin<Box<Sleep>>,
    /// The bytes sent so far end with a blank line (or nothing was sent): a comment may go here.
    at_boundary: bool,
    /// The last bytes sent (at most four), to find a boundary that spans two frames.
    tail: Vec<u8>,
}

impl KeepAliveBody {
    fn new(inner: Body, every: Duration) -> Self {
        KeepAliveBody {
            inner: Box::pin(inner),
            every,
            idle: Box::pin(tokio::time::sleep(every)),
            at_boundary: true,
            tail: Vec::with_capacity(8),
        }
    }

    fn restart_timer(&mut self) {
        let next = Instant::now().checked_add(self.every).unwrap_or_else(Instant::now);
        self.idle.as_mut().reset(next);
    }

    /// Notes `data` as sent: whether the stream now stands at an event boundary.
    fn sent(&mut self, data: &[u8]) {
        self.tail
            .extend_from_slice(data.get(data.len().saturating_sub(4)..).unwrap_or_default());
        let keep = self.tail.len().saturating_sub(4);
        self.tail.drain(..keep);
        self.at_boundary = self.tail.ends_with(b"\n\n") || self.tail.ends_with(b"\r\n\r\n");
    }
}

impl HttpBody for KeepAliveBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.sent(data);
                    this.restart_timer();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                if this.idle.as_mut().poll(cx).is_ready() {
                    this.restart_timer();
                    // Poll the new timer so this task is woken when it fires.
                    let _ = this.idle.as_mut().poll(cx);
                    if this.at_boundary {
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(COMMENT)))));
                    }
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use http_body_util::StreamBody;

    /// A body that sends `parts`, each after its own pause.
    fn paced(parts: Vec<(u64, &'static str)>) -> Body {
        let stream = futures::stream::iter(parts).then(|(ms, text)| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, BoxError>(Frame::data(Bytes::from_static(text.as_bytes())))
        });
        StreamBody::new(stream).boxed_unsync()
    }

    async fn collect(body: Body) -> String {
        let bytes = body.collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn streaming() -> RequestHead {
        RequestHead {
            method: http::Method::GET,
            headers: http::HeaderMap::new(),
            streaming: true,
        }
    }

    fn event_stream(body: Body) -> Response<Body> {
        let mut response = Response::new(body);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, "text/event-stream; charset=utf-8".parse().unwrap());
        response
    }

    #[tokio::test(start_paused = true)]
    async fn comments_fill_idle_time_between_events_only() {
        let layer = SseKeepAlive {
            every: Duration::from_secs(1),
        };
        // An idle gap between events, then an event written in two parts with an idle gap inside it.
        let body = paced(vec![(0, "data: 1\n\n"), (2500, "data: 2"), (2500, "\n\n")]);
        let text = collect(layer.apply(&streaming(), event_stream(body)).into_body()).await;
        assert_eq!(text, "data: 1\n\n:\n\n:\n\ndata: 2\n\n");
    }

    #[tokio::test(start_paused = true)]
    async fn other_responses_and_buffered_answers_are_untouched() {
        let layer = SseKeepAlive {
            every: Duration::from_secs(1),
        };
        let mut buffered = streaming();
        buffered.streaming = false;
        let body = paced(vec![(0, "data: 1\n\n"), (2500, "data: 2\n\n")]);
        let text = collect(layer.apply(&buffered, event_stream(body)).into_body()).await;
        assert_eq!(text, "data: 1\n\ndata: 2\n\n");
        let body = paced(vec![(0, "a"), (2500, "b")]);
        let text = collect(layer.apply(&streaming(), Response::new(body)).into_body()).await;
        assert_eq!(text, "ab");
    }
}
