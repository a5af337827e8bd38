//! `lambda-adapter dev`: the whole Lambda path on a laptop, with no Docker and any language.
//!
//! `dev` starts an embedded Runtime API and Extensions API ([`emulator`]), the user's app, and this very
//! binary as the adapter pointed at the emulator (so the code under test is the code that runs in Lambda,
//! settings included), then serves a front door ([`front_door`]) that turns each HTTP request into the chosen
//! source's event and the function's answer back into HTTP. The end-to-end tests and the benchmark use the
//! same emulator.
//!
//! Lifecycle, as in Lambda: init ends when the adapter polls `invocation/next` (then the banner prints the
//! URL); a request arriving before waits for it like a cold start, at most the init phase (10 s, or the
//! adapter's `LWA_READINESS_CHECK_TIMEOUT`), and gets `503` with the reason at once when `dev` knows the app
//! will not come ([`front_door::cold_start`]): `dev` watches which ports the app's processes listen on, to say
//! at once when the app listens somewhere the adapter does not look ([`app_watch::AppWatch`]). `dev`'s own
//! APIs answer only loopback callers that are not web pages ([`loopback`]). An `init/error` from the adapter
//! ends `dev` (the adapter has printed it); Ctrl-C or SIGTERM sends SHUTDOWN to the extension and SIGTERM to
//! the app's process group, then SIGKILL to whatever is left; an app that exits on its own ends `dev` with a
//! non-zero status, since nothing could answer requests any more. If `dev` itself is killed, its guardian
//! ([`guardian::Guardian`]) stops both process groups, so no process outlives `dev`.
//!
//! [`run`] goes through the phases in order, one module each: [`start`] (the emulator, the `@connections`
//! API, the [`children`] and the front door), [`supervise`] (init, then serving) and [`stop`]; [`signals`]
//! watches for what stops `dev` at any phase, and why it could not start at all is a [`DevError`].

mod app_watch;
mod banner;
mod children;
pub(crate) mod cli;
pub mod emulator;
pub(crate) mod environment;
mod error;
mod free_port;
use free_port::free_port;
pub(crate) mod front_door;
pub(crate) mod guardian;
pub(crate) mod listening;
pub(crate) mod loopback;
pub(crate) mod processes;
mod signals;
mod start;
mod stop;
mod supervise;
pub mod websocket;

pub use cli::EXAMPLE;
pub(crate) use error::DevError;
pub use guardian::{GUARD_COMMAND, guard_main};

use std::ffi::OsString;

use cli::{CliError, DevArgs};
use environment::PortSource;

/// Runs `dev` with the arguments after `dev`; returns the process exit code.
pub async fn main(args: Vec<OsString>) -> i32 {
    let args = match cli::parse(args) {
        Ok(args) => args,
        Err(CliError::Help) => {
            print!("{}", cli::USAGE);
            return 0;
        }
        Err(error) => {
            eprintln!("{error}");
            return 2;
        }
    };
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (app_port, port_source) = match environment::app_port(&args, lookup, free_port) {
        Ok(port) => port,
        Err(error) => {
            eprintln!("lambda-adapter dev: {error}");
            return 2;
        }
    };
    match run(args, app_port, port_source).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error}");
            1
        }
    }
}

/// Starts everything, waits for init, serves until something stops `dev`, then stops everything; returns the
/// exit status.
async fn run(args: DevArgs, app_port: u16, port_source: PortSource) -> Result<i32, DevError> {
    let mut dev = start::start(&args, app_port, &port_source).await?;
    let stop = match supervise::init(&mut dev).await {
        Some(stop) => supervise::init_failed(&dev, stop).await,
        None => supervise::serve(&mut dev, &args, app_port, &port_source).await,
    };
    Ok(stop::shut_down(dev, stop).await)
}
