//! The guardian: when `dev` is killed (SIGKILL gives it no chance to clean up), `PR_SET_PDEATHSIG` only
//! reaches its direct children, and the grandchild of `sh -c 'app & wait'` or of `npm start` would live on.
//! So `dev` starts a [`Guardian`]: a copy of this binary (`lambda-adapter __dev-guard`) in a process group of
//! its own, reading a pipe from `dev`. `dev` writes the process groups to guard into the pipe; when the pipe
//! reaches its end, because `dev` exited or died, the guardian sends SIGTERM to every group still there,
//! SIGKILL after 2 s to what is left, and exits. After a normal exit `dev` has stopped and released its groups
//! already, so the guardian finds nothing and exits at once.

use std::collections::BTreeSet;
use std::io;
use std::process::Stdio;
use std::time::Duration;

/// The hidden subcommand that runs the guardian: `lambda-adapter __dev-guard [PGID...]`.
pub const GUARD_COMMAND: &str = "__dev-guard";

/// How long the guardian gives the groups to exit after SIGTERM before it sends SIGKILL.
const GUARD_GRACE: Duration = Duration::from_secs(2);

/// `dev`'s end of the guardian: a child process and the pipe to it. Dropping it (or `dev` dying) closes the
/// pipe, and the guardian stops every group it still guards, then exits.
pub(crate) struct Guardian {
    child: std::process::Child,
    pipe: Option<std::process::ChildStdin>,
}

impl Guardian {
    /// Starts `program` (this binary) as the guardian, in a process group of its own so that neither a
    /// Ctrl-C at the terminal nor a kill of `dev`'s group reaches it.
    pub(crate) fn spawn(program: &std::path::Path) -> io::Result<Guardian> {
        let mut command = std::process::Command::new(program);
        command
            .arg(GUARD_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn()?;
        let pipe = child.stdin.take();
        Ok(Guardian { child, pipe })
    }

    /// The guardian's pid.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the guardian to stop the process group `pgid` if `dev` ends without doing it.
    pub(crate) fn guard(&mut self, pgid: Option<u32>) {
        if let Some(pgid) = pgid {
            self.send(&format!("{pgid}\n"));
        }
    }

    /// `dev` stopped the group itself: the guardian forgets it (its number may be reused later).
    pub(crate) fn release(&mut self, pgid: Option<u32>) {
        if let Some(pgid) = pgid {
            self.send(&format!("-{pgid}\n"));
        }
    }

    fn send(&mut self, line: &str) {
        use std::io::Write;
        // A line of a few bytes into an empty pipe does not block. Should the guardian be gone, there is
        // nothing better to do than go on without it.
        if let Some(pipe) = self.pipe.as_mut()
            && let Err(error) = pipe.write_all(line.as_bytes())
        {
            tracing::debug!("the guardian does not read any more: {error}");
            self.pipe = None;
        }
    }

    /// Closes the pipe and waits up to `wait` for the guardian to exit (at once, when every group it guarded
    /// was released or is gone).
    pub(crate) async fn finish(mut self, wait: Duration) {
        self.pipe = None;
        let start = std::time::Instant::now();
        while start.elapsed() < wait && matches!(self.child.try_wait(), Ok(None)) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Guardian {
    fn drop(&mut self) {
        self.pipe = None;
        let _ = self.child.try_wait();
    }
}

/// The guardian's main: `args` are process groups to guard, and so is each `PGID` line read from stdin
/// (`-PGID` forgets one). At the end of stdin (`dev` exited or died), it stops every guarded group that
/// still has a live process: SIGTERM, up to 2 s, then SIGKILL. Returns the exit code.
pub fn guard_main(args: &[String]) -> i32 {
    #[cfg(unix)]
    {
        use std::io::BufRead;
        // The guardian must outlive a hang-up or Ctrl-C that ends dev, to clean up after it; and write
        // errors on a closed terminal are to be ignored, not fatal.
        // SAFETY: signal(2) with SIG_IGN installs no handler code; it runs before any other thread exists.
        unsafe {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        let mut groups = BTreeSet::new();
        for arg in args {
            apply(&mut groups, arg);
        }
        let mut stdin = std::io::stdin().lock();
        let mut line = String::new();
        loop {
            line.clear();
            match stdin.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => apply(&mut groups, &line),
            }
        }
        stop_groups(&groups, GUARD_GRACE);
        0
    }
    #[cfg(not(unix))]
    {
        let _ = args;
        0
    }
}

/// Applies one guardian instruction: `PGID` adds a group, `-PGID` removes it. Groups 0 and 1 (which
/// `kill` would read as "my own group" and "every process") and anything unparsable are ignored.
pub(crate) fn apply(groups: &mut BTreeSet<u32>, instruction: &str) {
    let instruction = instruction.trim();
    let (remove, number) = match instruction.strip_prefix('-') {
        Some(number) => (true, number),
        None => (false, instruction),
    };
    let Some(pgid) = number.parse::<u32>().ok().filter(|pgid| *pgid > 1) else {
        return;
    };
    if remove {
        groups.remove(&pgid);
    } else {
        groups.insert(pgid);
    }
}

/// SIGTERM to every group with a live process, up to `grace` for them to go, SIGKILL to what is left.
#[cfg(unix)]
fn stop_groups(groups: &BTreeSet<u32>, grace: Duration) {
    use std::io::Write;
    let own = std::process::id();
    let live: Vec<u32> = groups.iter().copied().filter(|pgid| *pgid != own && group_alive(*pgid)).collect();
    if live.is_empty() {
        return;
    }
    for pgid in &live {
        signal_group(*pgid, libc::SIGTERM);
    }
    let start = std::time::Instant::now();
    while start.elapsed() < grace && live.iter().any(|pgid| group_alive(*pgid)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed: Vec<String> = live
        .iter()
        .filter(|pgid| group_alive(**pgid))
        .map(|pgid| {
            signal_group(*pgid, libc::SIGKILL);
            pgid.to_string()
        })
        .collect();
    let groups: Vec<String> = live.iter().map(u32::to_string).collect();
    let killed = if killed.is_empty() {
        String::new()
    } else {
        format!(" (SIGKILL to {} after {} s)", killed.join(", "), grace.as_secs())
    };
    let _ = writeln!(
        std::io::stderr(),
        "lambda-adapter dev ended without stopping its processes: SIGTERM sent to process groups {}{killed}",
        groups.join(", ")
    );
}

/// Whether process group `pgid` has a process that is not a zombie.
#[cfg(unix)]
fn group_alive(pgid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        super::listening::all_stats().iter().any(|s| s.pgid == pgid && !s.zombie)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let Ok(group) = libc::pid_t::try_from(pgid) else { return false };
        // SAFETY: kill(2) with signal 0 only checks that the group exists; no memory is involved.
        unsafe { libc::kill(group.saturating_neg(), 0) == 0 }
    }
}

#[cfg(unix)]
fn signal_group(pgid: u32, signal: libc::c_int) {
    let Some(group) = libc::pid_t::try_from(pgid).ok().filter(|g| *g > 1) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers and has no memory effects; the negative pid names a process group
    // dev started (never 0 or -1, filtered above). ESRCH (already gone) is harmless.
    unsafe {
        libc::kill(group.saturating_neg(), signal);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn guardian_instructions() {
        let mut groups = BTreeSet::new();
        for line in ["4242\n", " 4343 ", "-4242", "0", "1", "-1", "x", "", "99999999999"] {
            apply(&mut groups, line);
        }
        assert_eq!(groups.into_iter().collect::<Vec<_>>(), [4343]);
    }
}
