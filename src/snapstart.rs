//! SnapStart: Lambda snapshots the environment after init and restores it, maybe much later and many
//! times, before the first invocation (`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`).
//!
//! Around the snapshot the adapter calls the app's hooks (`SNAPSTART_BEFORE_CHECKPOINT_PATH`,
//! `SNAPSTART_AFTER_RESTORE_PATH`, `POST`ed on a connection of their own), so the app can close and re-open
//! what does not survive a snapshot: database connections, open sockets, cached credentials. It then waits
//! on the Runtime API's `restore/next`; after the restore it checks the app's readiness again, and only then
//! serves. The invocation pipeline is built before the snapshot but holds nothing that a snapshot kills:
//! readiness checks and hooks each use a connection of their own, so the app's pool is still empty, and the
//! WebSocket bridge first reads credentials at its first push.
//! A hook that fails is an init error before the snapshot and a `restore/error` after it: a snapshot taken
//! with the app in the wrong state must not be served.

use std::time::Duration;

use http::{HeaderValue, Method, Request, header};
use tokio::time::Instant;

use crate::config::{Config, SnapStartHooks};
use crate::error::{AdapterError, ErrorKind, chain};
use crate::net::{body, client};
use crate::readiness::Readiness;

/// How long a hook may take.
const HOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the sequence stopped.
pub(crate) enum Stop {
    /// Before the snapshot: report through `init/error`.
    Init(AdapterError),
    /// The restore itself failed (the Runtime API): nothing to report to.
    Restore(String),
    /// After the restore: report through `restore/error`.
    Restored(AdapterError),
}

/// The app's hook before the snapshot.
pub(crate) async fn before_checkpoint(config: &Config) -> Result<(), Stop> {
    match &config.snapstart_hooks.before_checkpoint {
        Some(path) => call_hook(config, path, "SNAPSTART_BEFORE_CHECKPOINT_PATH")
            .await
            .map_err(Stop::Init),
        None => Ok(()),
    }
}

/// After `restore/next` answered: the app ready again, then its hook.
pub(crate) async fn after_restore(config: &Config) -> Result<(), Stop> {
    let readiness = Readiness::new(config);
    let until = config.readiness_timeout.and_then(|timeout| Instant::now().checked_add(timeout));
    if let Err(not_ready) = readiness.wait(until).await {
        let message = format!(
            "after the restore, the app was not ready within {:.1} s: {} → {}",
            not_ready.waited.as_secs_f64(),
            not_ready.target,
            not_ready.last
        );
        return Err(Stop::Restored(AdapterError::new(ErrorKind::AppNotReady, message)));
    }
    match &config.snapstart_hooks.after_restore {
        Some(path) => call_hook(config, path, "SNAPSTART_AFTER_RESTORE_PATH")
            .await
            .map_err(Stop::Restored),
        None => Ok(()),
    }
}

/// `POST`s a hook on a connection of its own; a 2xx answer is success.
async fn call_hook(config: &Config, path: &str, setting: &str) -> Result<(), AdapterError> {
    let url = format!("http://{}{path}", config.app_address);
    let failed = |what: String| AdapterError::new(ErrorKind::HookFailed, format!("the SnapStart hook POST {url} ({setting}) {what}"));
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(&url)
        .body(body::full(""))
        .map_err(|e| failed(format!("cannot be built: {e}")))?;
    request.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    let answer = tokio::time::timeout(HOOK_TIMEOUT, client::fresh_client().request(request)).await;
    match answer {
        Err(_) => Err(failed(format!("did not answer within {} s", HOOK_TIMEOUT.as_secs()))),
        Ok(Err(error)) => Err(failed(format!("failed: {}", chain(&error)))),
        Ok(Ok(response)) if response.status().is_success() => {
            tracing::info!("SnapStart hook POST {path} → {}", response.status().as_u16());
            Ok(())
        }
        Ok(Ok(response)) => Err(failed(format!("answered {}; a hook must answer 2xx", response.status().as_u16()))),
    }
}

/// Whether a request for `path_and_query` targets one of the app's hooks: those are the adapter's to call,
/// not a client's. Any spelling a common router would take to a hook path counts ([`crate::net::route_path`]).
pub(crate) fn is_hook(hooks: &SnapStartHooks, path_and_query: &str) -> bool {
    [&hooks.before_checkpoint, &hooks.after_restore]
        .into_iter()
        .flatten()
        .any(|hook| crate::net::route_path::same_route(path_and_query, hook))
}
