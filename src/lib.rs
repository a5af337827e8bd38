//! lambda-adapter: run any HTTP app on AWS Lambda, with response streaming first-class.
//!
//! The modules in the order an invocation's data flows through them:
//!
//! - [`lifecycle`]: the process as a Lambda extension and runtime: settings ([`config`]), registration,
//!   readiness, then one invocation after another from the Runtime API ([`runtime_api`]).
//! - `invoke`: one invocation's pipeline, with its own context ([`context`]), deadline and pushes.
//! - [`sources`]: the event, by source, as the app's HTTP request (one file per source).
//! - [`net`]: the HTTP plumbing every part shares: the pooled client to the app, body helpers, the accept
//!   loop, hop-by-hop headers and percent-encoding.
//! - [`response`]: the app's response head as sources want it, and the seam where layers over its body sit.
//! - [`wire`]: the response head model and document shapes both ways back share, below them both.
//! - [`buffered`] / [`stream`]: the two ways back to Lambda, each wire format's encoder beside its decoder.
//! - [`ws`]: the WebSocket bridge's I/O: the `@connections` server the app pushes to, signing, forwarding.
//! - [`dev`]: `lambda-adapter dev`, the whole path on a laptop: an embedded Runtime API, a front door per
//!   event source, and `ws://`.

// Nothing from outside (events, settings, app responses, AWS answers) may panic the process or wrap around:
// no unwrap/expect and no unchecked arithmetic outside tests; a reasoned exception is marked at its site.
// The public surface is what the tests, fuzz targets and benchmark use; everything else is pub(crate), and
// an item marked pub that nothing outside can reach is flagged.
#![warn(unreachable_pub)]
// Module docs describe and link the private modules they are made of (read with --document-private-items).
#![allow(rustdoc::private_intra_doc_links)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects))]

#[cfg(all(feature = "count-allocations", unix))]
pub mod alloc_count;
pub mod buffered;
pub mod config;
pub mod context;
pub(crate) mod dates;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod dev;
pub(crate) mod error;
pub(crate) mod invoke;
pub mod lifecycle;
pub mod logging;
pub mod net;
pub(crate) mod readiness;
pub mod response;
pub(crate) mod runtime_api;
pub(crate) mod snapstart;
pub mod sources;
pub(crate) mod status_ranges;
pub mod stream;
pub(crate) mod ticks;
pub(crate) mod trace_context;
pub(crate) mod wire;
pub(crate) mod words;
pub mod ws;
