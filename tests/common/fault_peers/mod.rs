//! Scriptable peers for the fault tests (`tests/faults_runtime_api.rs`, `tests/faults_app.rs`). The embedded
//! emulator is a faithful Lambda and the echo app a well-behaved server; faults need peers a test can tell to
//! misbehave:
//! - [`FakeRuntime`] (`runtime.rs`): a Runtime and Extensions API whose every `invocation/next` answer, and
//!   every answer to the adapter's `/response` and `/error` posts, the test scripts; it records what the
//!   adapter sent.
//! - [`ScriptedApp`] (`app.rs`): an app speaking raw TCP that misbehaves on the paths of [`AppFault`] and
//!   answers everything else properly (the readiness check included), recording what it received.
//!
//! The stacks that put the real adapter between them are in `stack.rs`.

mod app;
mod runtime;

pub use app::*;
pub use runtime::*;

use bytes::Bytes;
use std::sync::Mutex;
use std::time::Duration;

/// How long any single wait on the adapter may take.
pub const WAIT: Duration = Duration::from_secs(10);
/// The deadline of invocations that stall: the adapter gives up 200 ms before it.
pub const SHORT: Duration = Duration::from_millis(1500);

/// A Function URL event for `GET path`.
pub fn get(path: &str) -> Bytes {
    super::bytes(&super::function_url("GET", path, ""))
}

/// Whether one line of `log` contains every one of `needles`.
pub fn logged(log: &str, needles: &[&str]) -> bool {
    log.lines().any(|line| needles.iter().all(|needle| line.contains(needle)))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
