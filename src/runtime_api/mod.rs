//! The Lambda Runtime API and Extensions API, as the adapter uses them.

mod client;
pub(crate) mod requests;

pub use crate::config::endpoint::Endpoint;
pub use client::{ExtensionEvent, Failure, Invocation, RuntimeClient, RuntimeError, parse_extension_event};
