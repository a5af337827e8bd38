//! The front door's log: one line per request with method, target, status and time, and why it failed when
//! it did. The line is written when the record is dropped, so a streamed response is logged when its stream
//! ends, fails, or the client goes away, with the bytes forwarded. It reports only what the client actually
//! got: a request whose client left before any answer (while it waited for its turn, say) says so, never a
//! status nobody sent.

use http::{Method, Response, StatusCode};
use std::time::Instant;

use super::ResponseBody;

/// One log line per request: method, target, status, time, and why it failed when it did.
pub(crate) struct RequestLog {
    method: Method,
    target: String,
    started: Instant,
    /// The status sent to the client; `None` until an answer is.
    status: Option<StatusCode>,
    /// Body bytes forwarded to the client (streams).
    pub bytes: u64,
    /// A stream is still being forwarded: dropped in this state, the client went away.
    streaming: bool,
    /// The function failed mid-stream, so the client's response was cut short.
    cut: bool,
    notes: Vec<String>,
}

impl RequestLog {
    pub(crate) fn new(method: &Method, uri: &http::Uri) -> Self {
        RequestLog {
            method: method.clone(),
            target: uri.path_and_query().map_or_else(|| uri.to_string(), |pq| pq.to_string()),
            started: Instant::now(),
            status: None,
            bytes: 0,
            streaming: false,
            cut: false,
            notes: Vec::new(),
        }
    }

    /// A stream with `status` starts to be forwarded.
    pub(crate) fn stream_started(&mut self, status: StatusCode) {
        self.status = Some(status);
        self.streaming = true;
    }

    pub(crate) fn stream_ended(&mut self) {
        self.streaming = false;
    }

    /// The function failed mid-stream: the client's response ends without its final chunk.
    pub(crate) fn stream_cut(&mut self, why: String) {
        self.streaming = false;
        self.cut = true;
        self.notes.push(format!("stream cut after {} bytes: {why}", self.bytes));
    }

    pub(crate) fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Logs now (the line is written on drop) and passes the response through.
    pub(crate) fn finish(mut self, response: Response<ResponseBody>) -> Response<ResponseBody> {
        self.status = Some(response.status());
        response
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        if self.streaming {
            self.notes
                .push(format!("the client went away after {} bytes of the stream", self.bytes));
        }
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let (method, target) = (&self.method, &self.target);
        let Some(status) = self.status.map(|s| s.as_u16()) else {
            tracing::info!("{method} {target} → client left before the answer ({ms:.0} ms)");
            return;
        };
        if self.notes.is_empty() {
            tracing::info!("{method} {target} → {status} ({ms:.0} ms)");
        } else if status >= 400 || self.cut {
            tracing::warn!("{method} {target} → {status} ({ms:.0} ms): {}", self.notes.join("; "));
        } else {
            tracing::info!("{method} {target} → {status} ({ms:.0} ms): {}", self.notes.join("; "));
        }
    }
}
