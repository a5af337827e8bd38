//! `lambda-adapter dev`: the whole Lambda path on a laptop.
//!
//! [`emulator`] is an embedded Runtime API and Extensions API; the end-to-end tests and the benchmark use it
//! too, so the same code that serves a developer's laptop is what the tests check.

pub mod emulator;
pub mod prelude_parser;
