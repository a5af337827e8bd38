//! The Lambda Runtime API and Extensions API, as the adapter uses them.

mod client;
mod endpoint;
pub(crate) mod requests;

pub use client::{ExtensionEvent, Invocation, RuntimeClient, RuntimeError, parse_extension_event};
pub use endpoint::Endpoint;
