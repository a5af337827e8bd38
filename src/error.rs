//! Errors with their Lambda meaning.
//!
//! Every failure that ends an invocation becomes a [`Diagnostic`]: an `errorType` that names the cause in a
//! way alarms can match, and an `errorMessage` a user can act on. Lambda shows both in the function's log and,
//! behind a Function URL, answers the client with 502.

use serde::Serialize;
use std::fmt;

/// What went wrong, as Lambda's error document carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Diagnostic {
    pub error_type: String,
    pub error_message: String,
}

/// The kinds of failure, each with its `errorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A setting is invalid.
    InvalidConfig,
    /// The app never became ready in time.
    AppNotReady,
    /// The event is not JSON, or looks like an HTTP event but does not parse as one.
    InvalidEvent,
    /// The app could not be reached, or its connection failed before a response head.
    AppUnreachable,
    /// The app's response failed after the head (connection reset, closed early).
    AppBodyError,
    /// The app answered with a status listed in `ERROR_STATUS_CODES`.
    AppErrorStatus,
    /// The response does not fit Lambda's buffered payload limit.
    ResponseTooLarge,
    /// The invocation's deadline came before the app finished.
    DeadlineReached,
    /// The app's response cannot be expressed in the event source's format.
    InvalidResponse,
    /// A WebSocket reply could not be sent through `@connections`.
    PushFailed,
    /// A SnapStart hook of the app failed.
    HookFailed,
}

impl ErrorKind {
    /// The `errorType` string Lambda receives.
    pub(crate) fn error_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "LambdaAdapter.InvalidConfig",
            ErrorKind::AppNotReady => "LambdaAdapter.AppNotReady",
            ErrorKind::InvalidEvent => "LambdaAdapter.InvalidEvent",
            ErrorKind::AppUnreachable => "LambdaAdapter.AppUnreachable",
            ErrorKind::AppBodyError => "LambdaAdapter.AppBodyError",
            ErrorKind::AppErrorStatus => "LambdaAdapter.AppErrorStatus",
            ErrorKind::ResponseTooLarge => "LambdaAdapter.ResponseTooLarge",
            ErrorKind::DeadlineReached => "LambdaAdapter.DeadlineReached",
            ErrorKind::InvalidResponse => "LambdaAdapter.InvalidResponse",
            ErrorKind::PushFailed => "LambdaAdapter.WebSocketPushFailed",
            ErrorKind::HookFailed => "LambdaAdapter.SnapStartHookFailed",
        }
    }
}

/// An invocation or init failure: a kind and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterError {
    pub kind: ErrorKind,
    pub message: String,
}

impl AdapterError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AdapterError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn diagnostic(&self) -> Diagnostic {
        Diagnostic {
            error_type: self.kind.error_type().into(),
            error_message: self.message.clone(),
        }
    }
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.error_type(), self.message)
    }
}

impl std::error::Error for AdapterError {}

/// Describes an error and its chain of sources in one line (`connection refused` is usually two levels
/// below hyper's `client error (Connect)`).
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_serializes_as_lambda_expects() {
        let error = AdapterError::new(ErrorKind::AppUnreachable, "connection refused");
        let json = serde_json::to_string(&error.diagnostic()).unwrap();
        assert_eq!(
            json,
            r#"{"errorType":"LambdaAdapter.AppUnreachable","errorMessage":"connection refused"}"#
        );
    }

    #[test]
    fn chain_joins_sources() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let outer = std::io::Error::other(io);
        assert_eq!(chain(&outer), "connection refused");
    }
}
