//! Why `dev` could not run: each step of starting it that can fail is a variant, with the system's error as
//! its source. The messages are what `dev` prints before it exits (status 2 for the app's port, a usage
//! error; 1 for the rest); they say which step failed, since an `io::Error` alone ("Address already in
//! use") would not.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use super::processes::SpawnError;
use crate::config::ConfigError;

/// `dev` could not start (or start serving).
#[derive(Debug)]
pub(crate) enum DevError {
    /// `LWA_PORT`, `AWS_LWA_PORT` or `PORT` is not a port.
    AppPort(ConfigError),
    /// No port was free for the app.
    AppFreePort(io::Error),
    /// `--listen` could not be bound.
    Listen { address: SocketAddr, source: io::Error },
    /// The default address was taken and no free port on its IP could be bound either.
    ListenAnywhere { address: SocketAddr, source: io::Error },
    /// The front door's bound address could not be read.
    FrontDoorAddress(io::Error),
    /// Ctrl-C and SIGTERM could not be watched.
    Signals(io::Error),
    /// The embedded Runtime API did not start.
    Emulator(io::Error),
    /// `dev`'s `@connections` API could not listen.
    ManagementListen(io::Error),
    /// The `@connections` API's bound address could not be read.
    ManagementAddress(io::Error),
    /// No port was free for the adapter's own `@connections` server.
    CallbackPort(io::Error),
    /// Every free port offered was the app's.
    CallbackPortIsApp,
    /// This program's path, which the adapter child runs, could not be found.
    OwnPath(io::Error),
    /// The app or the adapter could not be started.
    Spawn(SpawnError),
}

impl fmt::Display for DevError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevError::AppPort(e) => e.fmt(f),
            DevError::AppFreePort(e) => write!(f, "cannot find a free port for the app: {e}"),
            DevError::Listen { address, source } => write!(f, "cannot listen on {address} (--listen): {source}"),
            DevError::ListenAnywhere { address, source } => write!(f, "cannot listen on {address} or on a free port: {source}"),
            DevError::FrontDoorAddress(e) => write!(f, "cannot read the front door's address: {e}"),
            DevError::Signals(e) => write!(f, "cannot watch for signals: {e}"),
            DevError::Emulator(e) => write!(f, "cannot start the Runtime API emulator: {e}"),
            DevError::ManagementListen(e) => write!(f, "cannot listen for dev's @connections API: {e}"),
            DevError::ManagementAddress(e) => write!(f, "cannot read the @connections API's address: {e}"),
            DevError::CallbackPort(e) => write!(f, "cannot find a free port for the adapter's @connections server: {e}"),
            DevError::CallbackPortIsApp => {
                f.write_str("cannot find a free port for the adapter's @connections server: no free port other than the app's was found")
            }
            DevError::OwnPath(e) => write!(f, "cannot find this program's own path to start the adapter: {e}"),
            DevError::Spawn(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DevError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DevError::AppPort(e) => Some(e),
            DevError::Listen { source, .. } | DevError::ListenAnywhere { source, .. } => Some(source),
            DevError::AppFreePort(e)
            | DevError::FrontDoorAddress(e)
            | DevError::Signals(e)
            | DevError::Emulator(e)
            | DevError::ManagementListen(e)
            | DevError::ManagementAddress(e)
            | DevError::CallbackPort(e)
            | DevError::OwnPath(e) => Some(e),
            DevError::Spawn(e) => Some(e),
            DevError::CallbackPortIsApp => None,
        }
    }
}

impl From<SpawnError> for DevError {
    fn from(error: SpawnError) -> Self {
        DevError::Spawn(error)
    }
}
