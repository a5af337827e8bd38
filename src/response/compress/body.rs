//! The compressing body: the app's body with each data frame compressed, flushed, and sent on as one frame.
//!
//! It polls the app's body only when it is polled itself, so backpressure is kept end to end and memory
//! stays flat whatever the size: at any time it holds one frame of the app's and its compressed bytes, plus
//! the encoder's window. A frame in is a frame out, so a server-sent event leaves as soon as the app writes
//! it, whole and decodable. At the end comes the stream's closing bytes, then the app's trailers, if any.

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::codec::Encoder;
use crate::net::body::{Body, BoxError};

/// See the module documentation.
pub(crate) struct CompressedBody {
    inner: Body,
    /// `None` once the stream is finished (or failed).
    encoder: Option<Encoder>,
    /// The app's trailers, sent after the closing bytes.
    trailers: Option<HeaderMap>,
}

impl CompressedBody {
    /// `inner`, compressed by `encoder`.
    pub(crate) fn new(inner: Body, encoder: Encoder) -> CompressedBody {
        CompressedBody {
            inner,
            encoder: Some(encoder),
            trailers: None,
        }
    }

    /// Ends the compressed stream: its closing bytes, if any.
    fn finish(&mut self) -> Option<Result<Frame<Bytes>, BoxError>> {
        let encoder = self.encoder.take()?;
        match encoder.finish() {
            Ok(end) if end.is_empty() => None,
            Ok(end) => Some(Ok(Frame::data(end))),
            Err(error) => {
                self.trailers = None;
                Some(Err(failed(error)))
            }
        }
    }
}

fn failed(error: std::io::Error) -> BoxError {
    format!("compressing the response failed: {error}").into()
}

impl http_body::Body for CompressedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(this.trailers.take().map(|trailers| Ok(Frame::trailers(trailers))));
            };
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => match encoder.compress(&data) {
                        Ok(compressed) if compressed.is_empty() => continue,
                        Ok(compressed) => return Poll::Ready(Some(Ok(Frame::data(compressed)))),
                        Err(error) => {
                            this.encoder = None;
                            return Poll::Ready(Some(Err(failed(error))));
                        }
                    },
                    // Trailers end the body: the stream is closed before they go on.
                    Err(frame) => {
                        this.trailers = frame.into_trailers().ok();
                        if let Some(end) = this.finish() {
                            return Poll::Ready(Some(end));
                        }
                    }
                },
                Some(Err(error)) => {
                    this.encoder = None;
                    return Poll::Ready(Some(Err(error)));
                }
                None => {
                    if let Some(end) = this.finish() {
                        return Poll::Ready(Some(end));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.encoder.is_none() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        if self.is_end_stream() {
            SizeHint::with_exact(0)
        } else {
            SizeHint::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::compress::codec::Encoding;
    use crate::response::compress::codec::tests::{Decoder, decode};
    use futures::{StreamExt, stream};
    use http_body_util::{BodyExt, StreamBody};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    type Frames = Vec<Result<Frame<Bytes>, BoxError>>;

    fn body(frames: Frames) -> Body {
        StreamBody::new(stream::iter(frames)).boxed_unsync()
    }

    fn compressed(inner: Body, encoding: Encoding) -> CompressedBody {
        CompressedBody::new(inner, Encoder::new(encoding).unwrap())
    }

    async fn all_frames(body: CompressedBody) -> (Vec<Bytes>, Option<HeaderMap>, Option<String>) {
        let mut body = std::pin::pin!(body);
        let (mut data, mut trailers, mut error) = (Vec::new(), None, None);
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => match frame.into_data() {
                    Ok(bytes) => data.push(bytes),
                    Err(frame) => trailers = frame.into_trailers().ok(),
                },
                Err(e) => error = Some(e.to_string()),
            }
        }
        (data, trailers, error)
    }

    #[tokio::test]
    async fn one_frame_in_one_decodable_frame_out_then_the_end() {
        for encoding in Encoding::PREFERENCE {
            let events = ["id: 1\ndata: one\n\n", "id: 2\ndata: two\n\n", "id: 3\ndata: three\n\n"];
            let mut frames: Frames = events.iter().map(|e| Ok(Frame::data(Bytes::from(*e)))).collect();
            frames.insert(1, Ok(Frame::data(Bytes::new())));
            let body = compressed(body(frames), encoding);
            let (data, trailers, error) = all_frames(body).await;
            assert!(error.is_none() && trailers.is_none());
            // Three frames for three events, and the end.
            assert_eq!(data.len(), 4, "{encoding:?}");
            let mut decoder = Decoder::new(encoding);
            let mut sent = String::new();
            for (frame, event) in data.iter().zip(events) {
                sent.push_str(event);
                assert_eq!(decoder.feed(frame), sent.as_bytes(), "{encoding:?}");
            }
            assert_eq!(decode(encoding, &data.concat()), sent.as_bytes());
        }
    }

    #[tokio::test]
    async fn an_empty_body_is_an_empty_stream() {
        for encoding in Encoding::PREFERENCE {
            let (data, _, _) = all_frames(compressed(body(vec![]), encoding)).await;
            assert_eq!(decode(encoding, &data.concat()), b"");
        }
    }

    #[tokio::test]
    async fn trailers_come_after_the_end() {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", "abc".parse().unwrap());
        let frames: Frames = vec![Ok(Frame::data(Bytes::from("hello"))), Ok(Frame::trailers(trailers.clone()))];
        let (data, seen, error) = all_frames(compressed(body(frames), Encoding::Gzip)).await;
        assert!(error.is_none());
        assert_eq!(seen, Some(trailers));
        assert_eq!(decode(Encoding::Gzip, &data.concat()), b"hello");
    }

    #[tokio::test]
    async fn an_error_passes_through_and_ends_the_body() {
        let frames: Frames = vec![Ok(Frame::data(Bytes::from("partial"))), Err("the app failed".into())];
        let mut body = std::pin::pin!(compressed(body(frames), Encoding::Brotli));
        assert!(body.frame().await.unwrap().is_ok());
        assert_eq!(body.frame().await.unwrap().unwrap_err().to_string(), "the app failed");
        assert!(body.frame().await.is_none());
        assert!(http_body::Body::is_end_stream(&*body));
    }

    /// The app's body is polled only when the compressed body is: nothing is read ahead.
    #[tokio::test]
    async fn reads_the_app_only_on_demand() {
        let polled = Arc::new(AtomicUsize::new(0));
        let counter = polled.clone();
        let frames = stream::iter(0..100).map(move |i| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, BoxError>(Frame::data(Bytes::from(format!("frame {i}\n"))))
        });
        let inner = StreamBody::new(frames).boxed_unsync();
        let mut body = std::pin::pin!(compressed(inner, Encoding::Zstd));
        body.frame().await.unwrap().unwrap();
        body.frame().await.unwrap().unwrap();
        assert_eq!(polled.load(Ordering::SeqCst), 2);
    }
}
