//! The Lambda Runtime API and Extensions API, as the adapter uses them.

mod client;
pub(crate) mod requests;

pub(crate) use crate::config::endpoint::Endpoint;
pub(crate) use client::{ExtensionEvent, Invocation, RuntimeClient, RuntimeError};
