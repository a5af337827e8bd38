//! The streamed request body sent to the Runtime API: prelude, separator, the app's body frames as they
//! arrive, and error trailers if the app's body fails or the deadline comes.
//!
//! It wraps the app's body instead of copying it through a channel, so backpressure is end to end: the
//! app's connection is read only as fast as the Runtime API connection takes the bytes, and memory stays
//! flat whatever the size. Each data frame becomes its own chunk on the wire; hyper flushes as soon as the
//! app has nothing more ready, with no coalescing timer. Dropping this body (the Runtime API side went away)
//! drops the app's body, which closes the app's connection so the app stops producing.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::time::{Instant, Sleep};

use super::prelude::{self, SEPARATOR};
use crate::error::{AdapterError, ErrorKind, chain};
use crate::net::body::{Body as AppBody, BoxError};

enum State {
    Prelude(Bytes),
    Separator,
    Body,
    Done,
}

/// See the module documentation.
pub(crate) struct StreamingBody {
    state: State,
    inner: Pin<Box<AppBody>>,
    deadline: Pin<Box<Sleep>>,
    span: tracing::Span,
    sent: u64,
}

impl StreamingBody {
    /// A body that sends `prelude`, the separator, then `inner` until it ends or `deadline` comes.
    pub(crate) fn new(prelude: Bytes, inner: AppBody, deadline: Instant) -> Self {
        StreamingBody {
            state: State::Prelude(prelude),
            inner: Box::pin(inner),
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            span: tracing::Span::current(),
            sent: 0,
        }
    }

    fn fail(&mut self, error: AdapterError) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.span
            .in_scope(|| tracing::warn!(bytes_sent = self.sent, "the stream ends with an error: {error}"));
        self.state = State::Done;
        Poll::Ready(Some(Ok(Frame::trailers(prelude::error_trailers(&error.diagnostic())))))
    }
}

impl Body for StreamingBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, State::Body) {
                State::Prelude(bytes) => {
                    this.state = State::Separator;
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                State::Separator => return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(SEPARATOR))))),
                State::Done => {
                    this.state = State::Done;
                    return Poll::Ready(None);
                }
                State::Body => {}
            }
            if this.deadline.as_mut().poll(cx).is_ready() {
                let error = AdapterError::new(
                    ErrorKind::DeadlineReached,
                    format!(
                        "the invocation's deadline came after {} bytes of the app's body; the stream was ended before Lambda's timeout",
                        this.sent
                    ),
                );
                return this.fail(error);
            }
            match ready!(this.inner.as_mut().poll_frame(cx)) {
                None => {
                    this.state = State::Done;
                    this.span.in_scope(|| tracing::debug!(bytes_sent = this.sent, "stream complete"));
                    return Poll::Ready(None);
                }
                Some(Err(error)) => {
                    let message = format!("the app's response body failed after {} bytes: {}", this.sent, chain(&*error));
                    return this.fail(AdapterError::new(ErrorKind::AppBodyError, message));
                }
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => {
                        this.sent = this.sent.saturating_add(data.len() as u64);
                        tracing::trace!(len = data.len(), "chunk");
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    // The app's own trailers have no place in Lambda's format.
                    Err(_) => continue,
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;
    use http::HeaderMap;
    use http_body_util::{BodyExt, StreamBody};
    use std::time::Duration;

    type Frames = Vec<Result<Frame<Bytes>, BoxError>>;

    async fn frames(body: StreamingBody) -> (Vec<Bytes>, Option<HeaderMap>) {
        let mut body = std::pin::pin!(body);
        let (mut data, mut trailers) = (Vec::new(), None);
        while let Some(frame) = body.frame().await {
            match frame.unwrap().into_data() {
                Ok(bytes) => data.push(bytes),
                Err(frame) => trailers = frame.into_trailers().ok(),
            }
        }
        (data, trailers)
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn prelude_separator_and_chunks_each_in_their_own_frame() {
        let inner = StreamBody::new(stream::iter::<Frames>(vec![
            Ok(Frame::data(Bytes::from("a"))),
            Ok(Frame::data(Bytes::new())),
            Ok(Frame::data(Bytes::from("bc"))),
        ]));
        let (data, trailers) = frames(StreamingBody::new(Bytes::from("{}"), inner.boxed_unsync(), far())).await;
        assert_eq!(
            data,
            [Bytes::from("{}"), Bytes::from(&[0u8; 8][..]), Bytes::from("a"), Bytes::from("bc")]
        );
        assert!(trailers.is_none());
    }

    #[tokio::test]
    async fn a_body_error_becomes_trailers_not_text() {
        let inner = StreamBody::new(stream::iter::<Frames>(vec![
            Ok(Frame::data(Bytes::from("partial"))),
            Err("connection reset by peer".into()),
        ]));
        let (data, trailers) = frames(StreamingBody::new(Bytes::from("{}"), inner.boxed_unsync(), far())).await;
        assert_eq!(data.len(), 3);
        assert_eq!(data[2], "partial");
        let trailers = trailers.expect("trailers");
        assert_eq!(trailers["lambda-runtime-function-error-type"], "LambdaAdapter.AppBodyError");
    }

    #[tokio::test]
    async fn the_deadline_ends_a_stalled_stream_with_trailers() {
        let inner = StreamBody::new(stream::pending::<Result<Frame<Bytes>, BoxError>>());
        let deadline = Instant::now() + Duration::from_millis(20);
        let (data, trailers) = frames(StreamingBody::new(Bytes::from("{}"), inner.boxed_unsync(), deadline)).await;
        assert_eq!(data.len(), 2);
        assert_eq!(
            trailers.unwrap()["lambda-runtime-function-error-type"],
            "LambdaAdapter.DeadlineReached"
        );
    }

    #[tokio::test]
    async fn an_empty_body_ends_right_after_the_separator() {
        let inner = http_body_util::Empty::<Bytes>::new().map_err(|never| match never {});
        let (data, trailers) = frames(StreamingBody::new(Bytes::from("{}"), inner.boxed_unsync(), far())).await;
        assert_eq!(data.len(), 2);
        assert!(trailers.is_none());
    }
}
