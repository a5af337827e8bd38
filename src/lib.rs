//! lambda-adapter: run any HTTP app on AWS Lambda, with response streaming first-class.
//!
//! The adapter is a Lambda extension that also plays the runtime: it polls the Runtime API, turns each
//! event into an HTTP request to the app ([`translate`]), and sends the app's response back either as one
//! JSON document ([`buffered`]) or through Lambda's response streaming protocol ([`stream`]).

// Nothing from outside (events, settings, app responses, AWS answers) may panic the process or wrap around:
// no unwrap/expect and no unchecked arithmetic outside tests; a reasoned exception is marked at its site.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects))]

pub mod buffered;
pub mod config;
pub mod context;
pub mod dates;
pub mod dev;
pub mod error;
pub mod invoke;
pub mod lifecycle;
pub mod net;
pub mod readiness;
pub mod response;
pub mod runtime_api;
pub mod sources;
pub mod status_ranges;
pub mod stream;
pub mod ws;
