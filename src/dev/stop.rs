//! The last phase of `dev`: why it stopped, the exit status that follows, and stopping everything in
//! Lambda's order (SHUTDOWN to the extension, SIGTERM to the app's group, SIGKILL to what is left).

use super::start::Running;

/// Why `dev` stopped serving.
pub(super) enum Stop {
    Signal(&'static str),
    AppExited(String),
    AdapterExited(String),
    InitError(String),
}

impl Stop {
    /// The 503's reason for requests that waited for an init this ended.
    pub(super) fn during_init(&self) -> String {
        match self {
            Stop::Signal(name) => format!("dev is shutting down ({name}) before the app was ready"),
            Stop::AppExited(status) => format!("the app exited before it was ready ({status}); see dev's log"),
            Stop::AdapterExited(status) => format!("the adapter exited before the app was ready ({status})"),
            Stop::InitError(message) => format!("the adapter's init failed: {message}"),
        }
    }

    /// Logs why `dev` stops; returns its exit status: 0 for a signal, 1 when a child failed.
    fn report(&self) -> i32 {
        match self {
            Stop::Signal(name) => {
                tracing::info!("{name}: shutting down (SHUTDOWN to the adapter, SIGTERM to the app)");
                0
            }
            Stop::AppExited(status) => {
                tracing::error!("the app exited by itself ({status}); nothing can answer requests, so dev stops");
                1
            }
            Stop::AdapterExited(status) => {
                tracing::error!("the adapter exited unexpectedly ({status})");
                1
            }
            Stop::InitError(message) => {
                // The adapter printed the error itself (it shares dev's stderr); once is enough.
                tracing::error!("the adapter's init failed (its error is above), so dev stops");
                tracing::debug!("init error: {message}");
                1
            }
        }
    }
}

/// Stops the servers, then the function (SHUTDOWN through the emulator) and both children; returns `dev`'s
/// exit status.
pub(super) async fn shut_down(dev: Running, stop: Stop) -> i32 {
    for server in &dev.servers {
        server.abort();
    }
    let code = stop.report();
    dev.emulator.shutdown("spindown");
    dev.children.stop().await;
    code
}
