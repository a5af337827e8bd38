//! `dev`'s two children, the user's app and this binary as the adapter, with the [`Guardian`] that stops
//! them if `dev` is killed. Started together and stopped together, in the one order that leaves no moment
//! when a child could outlive `dev`: the guardian first, each child guarded as soon as it runs, and released
//! from the guardian only once `dev` has stopped it.

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use super::error::DevError;
use super::guardian::Guardian;
use super::processes::Process;

/// How long the app has to exit after SIGTERM before the rest of its group is killed.
const APP_GRACE: Duration = Duration::from_secs(3);
/// How long the adapter has to exit after SHUTDOWN (Lambda's whole shutdown phase is 2 s).
const ADAPTER_GRACE: Duration = Duration::from_secs(2);
/// How long dev waits for its guardian to exit, once everything is stopped and released.
const GUARDIAN_EXIT: Duration = Duration::from_secs(1);

/// The running app and adapter.
pub(super) struct Children {
    pub(super) app: Process,
    pub(super) adapter: Process,
    guardian: Option<Guardian>,
}

impl Children {
    /// Starts the guardian (a copy of `exe`), the app (`command`, with `app_env`) and the adapter (`exe`, with
    /// `adapter_env`). Without a guardian `dev` still runs, and warns. When the adapter cannot start, the app
    /// is stopped again before the error is returned.
    pub(super) async fn start(
        exe: &Path,
        command: &[String],
        app_env: &[(String, String)],
        adapter_env: &[(String, String)],
    ) -> Result<Children, DevError> {
        // Started before the children, so that no moment exists when one of them could outlive a killed dev.
        let mut guardian = match Guardian::spawn(exe) {
            Ok(guardian) => {
                tracing::debug!(pid = guardian.pid(), "the guardian is started");
                Some(guardian)
            }
            Err(error) => {
                tracing::warn!("cannot start dev's guardian ({error}): if dev is killed, what the app started may live on");
                None
            }
        };
        let (program, arguments) = command
            .split_first()
            .map_or(("", &[][..]), |(program, rest)| (program.as_str(), rest));
        let mut app = Process::spawn("app", program, arguments, app_env)?;
        if let Some(guardian) = guardian.as_mut() {
            guardian.guard(app.pid());
        }
        let adapter = match Process::spawn("adapter", exe, &[], adapter_env) {
            Ok(adapter) => adapter,
            Err(error) => {
                app.stop(APP_GRACE).await;
                if let Some(mut guardian) = guardian {
                    guardian.release(app.pid());
                    guardian.finish(GUARDIAN_EXIT).await;
                }
                return Err(error.into());
            }
        };
        if let Some(guardian) = guardian.as_mut() {
            guardian.guard(adapter.pid());
        }
        Ok(Children { app, adapter, guardian })
    }

    /// The app's and the adapter's pids, for the banner.
    pub(super) fn pids(&self) -> (Option<u32>, Option<u32>) {
        (self.app.pid(), self.adapter.pid())
    }

    /// Stops both, once the adapter has been sent SHUTDOWN: the adapter gets its grace to exit by itself,
    /// the app SIGTERM and its grace, at the same time; then the guardian is released and let go.
    pub(super) async fn stop(mut self) {
        let (adapter_status, app_status) = tokio::join!(adapter_stop(&mut self.adapter), self.app.stop(APP_GRACE));
        tracing::debug!(adapter = ?adapter_status, app = ?app_status, "children stopped");
        if let Some(mut guardian) = self.guardian {
            guardian.release(self.app.pid());
            guardian.release(self.adapter.pid());
            guardian.finish(GUARDIAN_EXIT).await;
        }
    }
}

async fn adapter_stop(adapter: &mut Process) -> Option<ExitStatus> {
    match tokio::time::timeout(ADAPTER_GRACE, adapter.wait()).await {
        Ok(Ok(status)) => Some(status),
        _ => adapter.stop(Duration::from_millis(200)).await,
    }
}
