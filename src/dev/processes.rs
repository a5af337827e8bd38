//! The processes of `dev`: starting and stopping its two children (the user's app and the adapter itself),
//! watching which ports the app's processes listen on, and the guardian that stops them all if `dev` dies.
//!
//! Each child leads its own process group. Ctrl-C in a terminal signals the whole foreground group, and
//! Lambda's order must hold anyway: the extension gets SHUTDOWN and the app gets SIGTERM from `dev`, not an
//! early SIGINT from the terminal. Stopping signals the group, not just the leader, so an app started
//! through a shell or a package manager (`sh -c`, `npm start`) leaves no grandchild behind: SIGTERM, a grace
//! period, then SIGKILL to whatever is left of the group.
//!
//! When `dev` itself is killed (SIGKILL gives it no chance to clean up), `PR_SET_PDEATHSIG` only reaches its
//! direct children: the grandchild of `sh -c 'app & wait'` or of `npm start` would live on. So `dev` starts a
//! [`Guardian`]: a copy of this binary (`lambda-adapter __dev-guard`) in a process group of its own, reading
//! a pipe from `dev`. `dev` writes the process groups to guard into the pipe; when the pipe reaches its end,
//! because `dev` exited or died, the guardian sends SIGTERM to every group still there, SIGKILL after 2 s to
//! what is left, and exits. After a normal exit `dev` has stopped and released its groups already, so the
//! guardian finds nothing and exits at once.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running child and its process group.
pub struct Process {
    child: Child,
    pid: Option<u32>,
    status: Option<ExitStatus>,
}

/// What went wrong starting a child.
#[derive(Debug)]
pub struct SpawnError {
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

impl std::error::Error for SpawnError {}

impl Process {
    /// Starts `command` (program and arguments) with `env` added to the inherited environment, in its own
    /// process group, sharing `dev`'s stdout and stderr.
    pub fn spawn(
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
        // at once; the rest of its group (what a shell or npm started) is the [`Guardian`]'s.
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
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Waits for the child to exit. Cancel-safe; once it has exited, returns the same status again.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait().await?;
        self.status = Some(status);
        Ok(status)
    }

    /// Stops the whole process group: SIGTERM, up to `grace` for the leader to exit, then SIGKILL to every
    /// process left in the group. Returns the leader's exit status when it could be read.
    pub async fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
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
pub fn describe(status: ExitStatus) -> String {
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

/// The fields of `/proc/<pid>/stat` that `dev` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: u32,
    pub ppid: u32,
    /// The process group.
    pub pgid: u32,
    /// A zombie (or dead) process, waiting for its parent: it holds no sockets and takes no signals.
    pub zombie: bool,
}

/// Parses `/proc/<pid>/stat`: `pid (comm) state ppid pgrp ...`. The command name may hold spaces and
/// parentheses, so the fields are read after its last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let (head, rest) = text.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgid = fields.next()?.parse().ok()?;
    Some(Stat {
        pid,
        ppid,
        pgid,
        zombie: state == "Z" || state == "X",
    })
}

/// The app's processes: every process of the group `root` leads, and every descendant of `root` (by parent
/// pid), even one that moved to a group of its own.
pub fn tree(stats: &[Stat], root: u32) -> BTreeSet<u32> {
    let mut members: BTreeSet<u32> = stats.iter().filter(|s| s.pid == root || s.pgid == root).map(|s| s.pid).collect();
    loop {
        let before = members.len();
        let children: Vec<u32> = stats
            .iter()
            .filter(|s| members.contains(&s.ppid) && !members.contains(&s.pid))
            .map(|s| s.pid)
            .collect();
        members.extend(children);
        if members.len() == before {
            return members;
        }
    }
}

/// The inode of a `/proc/<pid>/fd/<n>` link that names a socket: `socket:[12345]`.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// The listening sockets of a `/proc/<pid>/net/tcp` or `tcp6` table, with their inodes. Each line is
/// `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`, the
/// addresses `HEXIP:HEXPORT`, and state `0A` is LISTEN.
pub fn parse_listeners(table: &str) -> Vec<(SocketAddr, u64)> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&"0A") {
                return None;
            }
            let address = parse_address(fields.get(1)?)?;
            let inode = fields.get(9)?.parse().ok()?;
            Some((address, inode))
        })
        .collect()
}

/// `0100007F:1F40` or a 32-digit IPv6 address and a port. The kernel prints each 32-bit word of the address
/// (in network order in memory) as a native-endian number, so each word's native bytes are the address's.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |hex: &[u8]| -> Option<[u8; 4]> {
        let hex = std::str::from_utf8(hex).ok()?;
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(ip.as_bytes())?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (out, hex) in bytes.chunks_exact_mut(4).zip(ip.as_bytes().chunks_exact(8)) {
                out.copy_from_slice(&word(hex)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The TCP addresses the processes of `root`'s tree ([`tree`]) listen on, sorted, from `/proc`: their
/// sockets' inodes from `/proc/<pid>/fd`, matched with the LISTEN sockets of `/proc/<root>/net/tcp` and
/// `tcp6`. Empty where there is no `/proc`.
pub fn listening(root: u32) -> Vec<SocketAddr> {
    #[cfg(target_os = "linux")]
    {
        use std::collections::HashSet;
        let members = tree(&all_stats(), root);
        let mut inodes = HashSet::new();
        for pid in &members {
            let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Some(inode) = std::fs::read_link(entry.path())
                    .ok()
                    .and_then(|link| socket_inode(&link.to_string_lossy()))
                {
                    inodes.insert(inode);
                }
            }
        }
        if inodes.is_empty() {
            return Vec::new();
        }
        // The tables of the app's network namespace; the leader's, or any member's once the leader is gone.
        let namespace = std::iter::once(root).chain(members.iter().copied());
        let Some(tables) = namespace
            .map(|pid| ["tcp", "tcp6"].map(|table| std::fs::read_to_string(format!("/proc/{pid}/net/{table}"))))
            .find(|tables| tables.iter().any(Result::is_ok))
        else {
            return Vec::new();
        };
        let mut found: Vec<SocketAddr> = tables
            .iter()
            .flatten()
            .flat_map(|text| parse_listeners(text))
            .filter(|(_, inode)| inodes.contains(inode))
            .map(|(address, _)| address)
            .collect();
        found.sort();
        found.dedup();
        found
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = root;
        Vec::new()
    }
}

/// Every process in `/proc`.
#[cfg(target_os = "linux")]
fn all_stats() -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter_map(|text| parse_stat(&text))
        .collect()
}

/// What the app's listening sockets say about where the adapter looks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// It listens on no TCP port yet.
    NotListening,
    /// It listens where the adapter connects.
    Reachable,
    /// It listens, but on other ports only: these.
    OtherPorts(Vec<SocketAddr>),
    /// It listens on the port, but on addresses the adapter's host does not reach: these.
    OtherAddresses(Vec<SocketAddr>),
}

/// Compares the addresses the app listens on with the port the adapter connects to and its host (when the
/// host is an IP address or `localhost`; a name the adapter resolves is taken on trust).
pub fn find(listening: &[SocketAddr], port: u16, host: &str) -> Finding {
    if listening.is_empty() {
        return Finding::NotListening;
    }
    let on_port: Vec<SocketAddr> = listening.iter().copied().filter(|a| a.port() == port).collect();
    if on_port.is_empty() {
        return Finding::OtherPorts(listening.to_vec());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let targets: Vec<IpAddr> = if host.eq_ignore_ascii_case("localhost") {
        vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]
    } else {
        match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => return Finding::Reachable,
        }
    };
    let reaches = |listen: &SocketAddr, target: &IpAddr| {
        let ip = match listen.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        // `[::]` takes IPv4 too, unless the socket is IPv6-only, which /proc does not tell.
        ip == *target || ip.is_unspecified() && (ip.is_ipv6() || target.is_ipv4())
    };
    if on_port.iter().any(|listen| targets.iter().any(|target| reaches(listen, target))) {
        Finding::Reachable
    } else {
        Finding::OtherAddresses(on_port)
    }
}

// ── The guardian ───────────────────────────────────────────────────────────────────────────────────────────

/// The hidden subcommand that runs the guardian: `lambda-adapter __dev-guard [PGID...]`.
pub const GUARD_COMMAND: &str = "__dev-guard";

/// How long the guardian gives the groups to exit after SIGTERM before it sends SIGKILL.
const GUARD_GRACE: Duration = Duration::from_secs(2);

/// `dev`'s end of the guardian: a child process and the pipe to it. Dropping it (or `dev` dying) closes the
/// pipe, and the guardian stops every group it still guards, then exits.
pub struct Guardian {
    child: std::process::Child,
    pipe: Option<std::process::ChildStdin>,
}

impl Guardian {
    /// Starts `program` (this binary) as the guardian, in a process group of its own so that neither a
    /// Ctrl-C at the terminal nor a kill of `dev`'s group reaches it.
    pub fn spawn(program: &std::path::Path) -> io::Result<Guardian> {
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
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the guardian to stop the process group `pgid` if `dev` ends without doing it.
    pub fn guard(&mut self, pgid: Option<u32>) {
        if let Some(pgid) = pgid {
            self.send(&format!("{pgid}\n"));
        }
    }

    /// `dev` stopped the group itself: the guardian forgets it (its number may be reused later).
    pub fn release(&mut self, pgid: Option<u32>) {
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
    pub async fn finish(mut self, wait: Duration) {
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
pub fn apply(groups: &mut BTreeSet<u32>, instruction: &str) {
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
        all_stats().iter().any(|s| s.pgid == pgid && !s.zombie)
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
    #[test]
    fn stat_lines_with_awkward_command_names() {
        let stat = parse_stat("4242 (my (odd) app) S 4000 4242 4000 34816 4242 4194304 0 0").unwrap();
        assert_eq!(
            stat,
            Stat {
                pid: 4242,
                ppid: 4000,
                pgid: 4242,
                zombie: false
            }
        );
        assert!(parse_stat("77 (sh) Z 1 70 70 0").unwrap().zombie);
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("12 (x) S notanumber 1 1"), None);
    }

    #[test]
    fn the_tree_is_the_group_and_every_descendant() {
        let stat = |pid, ppid, pgid| Stat {
            pid,
            ppid,
            pgid,
            zombie: false,
        };
        let stats = [
            stat(1, 0, 1),
            stat(100, 1, 100),   // dev
            stat(200, 100, 200), // the app (npm), leading its group
            stat(201, 200, 200), // sh -c
            stat(202, 201, 200), // node server.js
            stat(300, 202, 300), // a worker that moved to a group of its own
            stat(301, 300, 300), // and its child
            stat(400, 1, 200),   // orphaned into init, still in the app's group
            stat(500, 100, 500), // the adapter: dev's child, not the app's
        ];
        let members: Vec<u32> = tree(&stats, 200).into_iter().collect();
        assert_eq!(members, [200, 201, 202, 300, 301, 400]);
        assert_eq!(tree(&stats, 999).len(), 0);
    }

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[123456]"), Some(123456));
        assert_eq!(socket_inode("pipe:[123456]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
        assert_eq!(socket_inode("socket:[]"), None);
    }

    /// Lines as Linux prints them on x86-64 and arm64 (little-endian).
    #[cfg(target_endian = "little")]
    #[test]
    fn listening_sockets_from_the_tcp_tables() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0000000000000000 100 0 0 10 0
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 51235 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 51236 1 0000000000000000 20 4 30 10 -1
   3: 0A00A8C0:AAAA 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51237 1 0000000000000000 100 0 0 10 0
";
        let found = parse_listeners(tcp);
        assert_eq!(
            found,
            [
                ("127.0.0.1:8000".parse().unwrap(), 51234),
                ("0.0.0.0:80".parse().unwrap(), 51235),
                ("192.168.0.10:43690".parse().unwrap(), 51237),
            ]
        );
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61000 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61001 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:0BB9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 61002 1 0000000000000000 100 0 0 10 0
";
        assert_eq!(
            parse_listeners(tcp6),
            [
                ("[::]:8000".parse().unwrap(), 61000),
                ("[::1]:3000".parse().unwrap(), 61001),
                ("[::ffff:127.0.0.1]:3001".parse().unwrap(), 61002),
            ]
        );
        assert!(parse_listeners("header only\n").is_empty());
        assert!(parse_listeners("h\n 0: zz:1F40 0 0A a b c d e 1\n 1: 0100007F:1F40 0 0A a b c d e x\n").is_empty());
    }

    #[test]
    fn findings() {
        let addrs = |list: &[&str]| -> Vec<SocketAddr> { list.iter().map(|a| a.parse().unwrap()).collect() };
        assert_eq!(find(&[], 3000, "127.0.0.1"), Finding::NotListening);
        assert_eq!(
            find(&addrs(&["0.0.0.0:8000"]), 3000, "127.0.0.1"),
            Finding::OtherPorts(addrs(&["0.0.0.0:8000"]))
        );
        for reachable in ["127.0.0.1:3000", "0.0.0.0:3000", "[::]:3000", "[::ffff:127.0.0.1]:3000"] {
            assert_eq!(
                find(&addrs(&[reachable, "0.0.0.0:9229"]), 3000, "127.0.0.1"),
                Finding::Reachable,
                "{reachable}"
            );
        }
        assert_eq!(
            find(&addrs(&["[::1]:3000"]), 3000, "127.0.0.1"),
            Finding::OtherAddresses(addrs(&["[::1]:3000"]))
        );
        assert_eq!(find(&addrs(&["[::1]:3000"]), 3000, "localhost"), Finding::Reachable);
        assert_eq!(find(&addrs(&["[::1]:3000"]), 3000, "[::1]"), Finding::Reachable);
        assert_eq!(
            find(&addrs(&["0.0.0.0:3000"]), 3000, "::1"),
            Finding::OtherAddresses(addrs(&["0.0.0.0:3000"]))
        );
        assert_eq!(find(&addrs(&["10.0.0.5:3000"]), 3000, "app.internal"), Finding::Reachable);
    }

    #[test]
    fn guardian_instructions() {
        let mut groups = BTreeSet::new();
        for line in ["4242\n", " 4343 ", "-4242", "0", "1", "-1", "x", "", "99999999999"] {
            apply(&mut groups, line);
        }
        assert_eq!(groups.into_iter().collect::<Vec<_>>(), [4343]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn listening_finds_this_processes_own_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        // Only the positive check: once dropped, another test in this process may bind the same port again.
        assert!(listening(std::process::id()).contains(&address), "{address} not found");
        drop(listener);
    }
}
