//! The processes of `dev`: starting and stopping its two children (the user's app and the adapter itself).
//!
//! Each child leads its own process group. Ctrl-C in a terminal signals the whole foreground group, and
//! Lambda's order must hold anyway: the extension gets SHUTDOWN and the app gets SIGTERM from `dev`, not an
//! early SIGINT from the terminal. Stopping signals the group, not just the leader, so an app started
//! through a shell or a package manager (`sh -c`, `npm start`) leaves no grandchild behind: SIGTERM, a grace
//! period, then SIGKILL to whatever is left of the group.
//!
//! When `dev` itself is killed, the [`super::guardian`] stops what is left.

use std::ffi::OsString;
use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running child and its process group.
pub(crate) struct Process {
    child: Child,
    pid: Option<u32>,
    status: Option<ExitStatus>,
}

/// What went wrong starting a child.
#[derive(Debug)]
pub(crate) struct SpawnError {
    /// `app` or `adapter`.
    pub name: &'static str,
    pub program: String,
    pub error: io::Error,
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hint = match self.error.kind() {
            io::ErrorKind::NotFound => " (not found: check the command, or give a path)",
            io::ErrorKind::PermissionDenied => " (permission denied: is it executable?)",
            _ => "",
        };
        write!(f, "cannot start the {} `{}`: {}{hint}", self.name, self.program, self.error)
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Process {
    /// Starts `command` (program and arguments) with `env` added to the inherited environment, in its own
    /// process group, sharing `dev`'s stdout and stderr.
    pub(crate) fn spawn(
        name: &'static str,
        program: impl Into<OsString>,
        args: &[String],
        env: &[(String, String)],
    ) -> Result<Process, SpawnError> {
        let program = program.into();
        let mut command = Command::new(&program);
        command.args(args).envs(env.iter().map(|(k, v)| (k, v))).stdin(Stdio::null());
        #[cfg(unix)]
        command.process_group(0);
        // If dev itself is killed (SIGKILL leaves it no time to clean up), the kernel sends the child SIGTERM
        // at once; the rest of its group (what a shell or npm started) is the guardian's (`super::guardian`).
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command.spawn().map_err(|error| SpawnError {
            name,
            program: program.to_string_lossy().into_owned(),
            error,
        })?;
        Ok(Process {
            pid: child.id(),
            child,
            status: None,
        })
    }

    /// The child's pid (and process group id).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Waits for the child to exit. Cancel-safe; once it has exited, returns the same status again.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait().await?;
        self.status = Some(status);
        Ok(status)
    }

    /// Stops the whole process group: SIGTERM, up to `grace` for the leader to exit, then SIGKILL to every
    /// process left in the group. Returns the leader's exit status when it could be read.
    pub(crate) async fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.signal_group(Signal::Term);
            if let Ok(Ok(status)) = tokio::time::timeout(grace, self.wait()).await {
                self.status = Some(status);
            }
        }
        // The leader may be gone while children it started live on in the group.
        self.signal_group(Signal::Kill);
        if self.status.is_none() {
            let _ = self.child.start_kill();
            if let Ok(Ok(status)) = tokio::time::timeout(Duration::from_secs(2), self.wait()).await {
                self.status = Some(status);
            }
        }
        self.status
    }

    #[cfg(unix)]
    fn signal_group(&self, signal: Signal) {
        let Some(group) = self
            .pid
            .and_then(|pid| libc::pid_t::try_from(pid).ok())
            .and_then(libc::pid_t::checked_neg)
        else {
            return;
        };
        let number = match signal {
            Signal::Term => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        };
        // SAFETY: kill(2) takes plain integers and has no memory effects; a negative pid names the process
        // group this child leads (it was started with process_group(0)). ESRCH (already gone) is harmless.
        unsafe {
            libc::kill(group, number);
        }
    }

    #[cfg(not(unix))]
    fn signal_group(&mut self, _signal: Signal) {
        let _ = self.child.start_kill();
    }
}

#[derive(Clone, Copy)]
enum Signal {
    Term,
    Kill,
}

/// `exit status 3`, `killed by SIGKILL`, for messages.
pub(crate) fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGTERM => "SIGTERM",
                libc::SIGKILL => "SIGKILL",
                libc::SIGINT => "SIGINT",
                libc::SIGSEGV => "SIGSEGV",
                libc::SIGABRT => "SIGABRT",
                _ => "",
            };
            return if name.is_empty() {
                format!("killed by signal {signal}")
            } else {
                format!("killed by {name}")
            };
        }
    }
    status.to_string()
}

// ── Which ports the app listens on ─────────────────────────────────────────────────────────────────────────

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Whether `pid` is a live process (zombies waiting for a reaper count as gone).
    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().to_string()))
            .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
    }

    #[tokio::test]
    async fn stop_takes_the_whole_group_down() {
        // A shell that ignores SIGTERM with a child of its own: only SIGKILL to the group ends both.
        let pid_file = std::env::temp_dir().join(format!("lambda-adapter-dev-test-{}", std::process::id()));
        let script = format!("trap '' TERM; sleep 30 & echo $! > {}; wait", pid_file.display());
        let mut process = Process::spawn("app", "sh", &["-c".into(), script], &[]).unwrap();
        let leader = process.pid().unwrap();
        let mut grandchild = None;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            grandchild = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok());
            if grandchild.is_some() {
                break;
            }
        }
        let _ = std::fs::remove_file(&pid_file);
        let grandchild = grandchild.expect("the script wrote its child's pid");
        assert!(alive(leader) && alive(grandchild));
        let status = process.stop(Duration::from_millis(300)).await.expect("a status");
        assert_eq!(describe(status), "killed by SIGKILL");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!alive(grandchild), "the app's child survived");
    }

    #[tokio::test]
    async fn exit_status_and_missing_programs() {
        let mut process = Process::spawn("app", "sh", &["-c".into(), "exit 3".into()], &[]).unwrap();
        assert_eq!(describe(process.wait().await.unwrap()), "exit status 3");
        assert_eq!(describe(process.wait().await.unwrap()), "exit status 3");
        let error = Process::spawn("app", "/nonexistent/app", &[], &[]).err().expect("an error");
        assert!(error.to_string().contains("cannot start the app `/nonexistent/app`"), "{error}");
        assert!(error.to_string().contains("not found"), "{error}");
    }
}
