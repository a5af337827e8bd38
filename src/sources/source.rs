//! What the adapter knows about one event source, declared in that source's own file as one [`Source`]
//! value: its names, how its events are told apart, how they are read, how it is answered, its limits and
//! how `dev` plays it. Everything that handles events walks the registry of these values (`registry`)
//! instead of matching on a kind, so a new source is its own file and one line in the registry.

use std::fmt;

use bytes::Bytes;
use http::Request;
use serde_json::Value;

use super::TranslateOptions;
use super::detect::{Clues, Shape};
use super::emulate::{ClientRequest, RequestIds};
use super::error::EventError;
use super::event::Event;
use super::parts::EventParts;
use super::websocket::WsEvent;
use crate::context::InvocationContext;
use crate::wire::Format;

/// One event source.
pub struct Source {
    /// A short name for logs and messages ("API Gateway REST API").
    pub(super) name: &'static str,
    /// The `dev --event` value, unique in the registry.
    pub(super) flag: &'static str,
    /// A longer name, for `dev`'s banner.
    pub(super) describe: &'static str,
    /// Whether an event is this source's, from its shape; `http_api_domains` is `LWA_HTTP_API_DOMAINS`.
    pub(super) detect: fn(&Clues, &[String]) -> bool,
    /// How its event becomes the app's request.
    pub(super) read: Read,
    /// The document a buffered answer takes; `None` when the answer is the app's body as it is.
    pub(super) format: Option<Format>,
    /// Whether and how it takes a streamed answer.
    pub(super) streams: Streams,
    pub(super) limits: Limits,
    /// How `dev --event` plays it; `None` for sources `dev` does not offer.
    pub(super) emulation: Option<Emulation>,
}

/// How a source's event is read.
pub(super) enum Read {
    /// Into method, target, headers and body; the shared code builds the request and adds the context
    /// headers from `requestContext`.
    Http(fn(&Event, &Shape) -> Result<EventParts, EventError>),
    /// Into the whole request, by the source itself (WebSocket routes, pass-through).
    Own(fn(&Event, &InvocationContext, &TranslateOptions) -> Result<OwnRequest, EventError>),
}

/// A request a source built itself.
pub(super) struct OwnRequest {
    pub(super) request: Request<Bytes>,
    pub(super) websocket: Option<WsEvent>,
}

/// Whether a source can take a streamed answer.
#[derive(Clone, Copy, Debug)]
pub(super) enum Streams {
    /// It reads only a whole document.
    Never,
    /// Whenever the function streams (Function URLs with `InvokeMode: RESPONSE_STREAM`).
    Always(Streaming),
    /// Only when the user says the integration streams, which the event does not show
    /// (`LWA_APIGW_REST_STREAMING` for REST APIs' `responseTransferMode: STREAM`).
    WhenOptedIn(Streaming),
}

/// How a source takes a streamed answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streaming {
    /// `multiValueHeaders` in the prelude (REST API streaming).
    pub multi_value: bool,
}

/// The largest request body a source delivers, and the largest buffered answer it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub request: usize,
    pub answer: usize,
}

pub(super) const MB: usize = 1024 * 1024;

impl Limits {
    /// Lambda's own: 6 MB each way.
    pub(super) const LAMBDA: Limits = Limits {
        request: 6 * MB,
        answer: 6 * MB,
    };
}

/// How `dev` plays a source: the event it sends for a client's request, and the answer the source gives
/// the client when the function fails.
pub(crate) struct Emulation {
    pub(super) event: fn(&ClientRequest, &RequestIds) -> Value,
    pub(super) failure: FailureAnswer,
}

/// The response a source sends its client when the function fails or answers with a document it cannot read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FailureAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: &'static str,
}

impl Emulation {
    /// The event this source sends for `request`.
    pub(crate) fn event(&self, request: &ClientRequest, ids: &RequestIds) -> Value {
        (self.event)(request, ids)
    }

    pub(crate) fn failure(&self) -> FailureAnswer {
        self.failure
    }
}

impl Source {
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn flag(&self) -> &'static str {
        self.flag
    }

    pub fn describe(&self) -> &'static str {
        self.describe
    }

    /// The document a buffered answer takes; `None` for pass-through events, answered with the app's body.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Whether its events are HTTP requests (every source but pass-through).
    pub(crate) fn is_http(&self) -> bool {
        self.format.is_some()
    }

    /// How this source takes a streamed answer, if it can: `rest_streaming` is the user's word that REST
    /// integrations stream.
    pub fn streaming(&self, rest_streaming: bool) -> Option<Streaming> {
        match self.streams {
            Streams::Never => None,
            Streams::Always(streaming) => Some(streaming),
            Streams::WhenOptedIn(streaming) => rest_streaming.then_some(streaming),
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// How `dev` plays it, when it does.
    pub(crate) fn emulation(&self) -> Option<&Emulation> {
        self.emulation.as_ref()
    }
}

impl PartialEq for Source {
    fn eq(&self, other: &Source) -> bool {
        self.flag == other.flag
    }
}

impl Eq for Source {}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.flag)
    }
}
