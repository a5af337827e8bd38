//! Child processes: the bench app, and adapter binaries started the way Lambda starts an extension, each
//! against its own embedded Runtime API.

use lambda_adapter::dev::emulator::{Emulator, FunctionInfo};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `lambda_adapter::alloc_count::FILE_VARIABLE`, which exists only in builds with the feature: the file a
/// counting build keeps its allocation count in.
const ALLOCATIONS_VARIABLE: &str = "LAMBDA_ADAPTER_COUNT_ALLOCATIONS";

/// How the adapter answers: `AWS_LWA_INVOKE_MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Buffered,
    Streaming,
}

impl Mode {
    fn env_value(self) -> &'static str {
        match self {
            Mode::Buffered => "buffered",
            Mode::Streaming => "response_stream",
        }
    }
}

/// A program to start as an adapter: a binary, or this bench binary with `--bare-runtime`.
#[derive(Clone, Debug)]
pub struct Program {
    pub path: PathBuf,
    pub args: Vec<String>,
}

impl Program {
    pub fn binary(path: PathBuf) -> Program {
        Program { path, args: Vec::new() }
    }

    /// This bench binary, re-executed with `flag`.
    pub fn this_with(flag: &str) -> Result<Program, String> {
        let path = std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))?;
        Ok(Program {
            path,
            args: vec![flag.to_string()],
        })
    }

    pub fn display(&self) -> String {
        std::iter::once(self.path.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The bench app, killed when dropped.
pub struct App {
    child: Child,
    pub port: u16,
}

impl App {
    /// Starts this very binary with `--serve-app` and reads the port it listens on.
    pub fn spawn() -> Result<App, String> {
        let program = Program::this_with("--serve-app")?;
        let mut child = Command::new(&program.path)
            .args(&program.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the bench app: {e}"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("the bench app has no stdout")?;
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the bench app's port: {e}"))?;
        let port = line
            .trim()
            .parse()
            .map_err(|_| format!("the bench app printed {line:?}, not a port"))?;
        Ok(App { child, port })
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An adapter process polling its own emulator; killed when dropped.
pub struct Adapter {
    pub emulator: Emulator,
    child: Child,
    log: PathBuf,
    /// Where a build with the `count-allocations` feature keeps its allocation count.
    allocations: PathBuf,
    started: Instant,
    /// From spawn to the first `invocation/next`.
    pub startup: Duration,
}

impl Adapter {
    /// Starts `program` in `mode` in front of the app on `app_port`, with a clean environment holding only what
    /// Lambda sets and the two settings the suite needs, and waits for its first `invocation/next`.
    pub async fn start(program: &Program, mode: Mode, app_port: u16) -> Result<Adapter, String> {
        let mut adapter = Adapter::spawn(program, mode, app_port, 1).await?;
        adapter.wait_polling(program).await?;
        Ok(adapter)
    }

    /// Starts `program` with `AWS_LAMBDA_MAX_CONCURRENCY=concurrency` (when above 1) against an emulator taking
    /// that many invocations at once, without waiting for it. The emulator sends no invocation ids: the
    /// reference adapter measured beside ours predates them.
    pub async fn spawn(program: &Program, mode: Mode, app_port: u16, concurrency: usize) -> Result<Adapter, String> {
        Adapter::spawn_with(program, mode, app_port, concurrency, &[]).await
    }

    /// [`Adapter::spawn`] with more settings (`LWA_ENABLE_COMPRESSION=true`).
    pub async fn spawn_with(
        program: &Program,
        mode: Mode,
        app_port: u16,
        concurrency: usize,
        env: &[(&str, &str)],
    ) -> Result<Adapter, String> {
        let function = FunctionInfo {
            concurrency,
            invocation_ids: false,
            ..FunctionInfo::default()
        };
        let emulator = Emulator::start(([127, 0, 0, 1], 0).into(), function)
            .await
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let log = std::env::temp_dir().join(format!("lwa-bench-{}-{}.log", std::process::id(), emulator.addr().port()));
        let file = std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let stderr = file.try_clone().map_err(|e| e.to_string())?;
        let allocations = log.with_extension("allocations");
        let _ = std::fs::remove_file(&allocations);
        let port = app_port.to_string();
        let mut command = Command::new(&program.path);
        command
            .args(&program.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
            .env("AWS_LAMBDA_FUNCTION_NAME", "function")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/function")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_LWA_PORT", &port)
            .env("PORT", &port)
            .env("AWS_LWA_READINESS_CHECK_PATH", "/health")
            .env("AWS_LWA_INVOKE_MODE", mode.env_value())
            .env(ALLOCATIONS_VARIABLE, &allocations)
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(stderr));
        if concurrency > 1 {
            command.env("AWS_LAMBDA_MAX_CONCURRENCY", concurrency.to_string());
        }
        command.envs(env.iter().copied());
        let started = Instant::now();
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        Ok(Adapter {
            emulator,
            child,
            log,
            allocations,
            started,
            startup: Duration::ZERO,
        })
    }

    /// Waits for the first `invocation/next`, at most 10 s; sets [`Adapter::startup`].
    pub async fn wait_polling(&mut self, program: &Program) -> Result<(), String> {
        let adapter = self;
        let started = adapter.started;
        let give_up = started + Duration::from_secs(10);
        {
            let mut polling = std::pin::pin!(adapter.emulator.wait_polling());
            loop {
                tokio::select! {
                    () = &mut polling => break,
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
                if let Ok(Some(status)) = adapter.child.try_wait() {
                    return Err(format!(
                        "{} exited during init ({status}): {}",
                        program.display(),
                        adapter.log_tail()
                    ));
                }
                if Instant::now() > give_up {
                    return Err(format!(
                        "{} did not poll for invocations within 10 s: {}",
                        program.display(),
                        adapter.log_tail()
                    ));
                }
            }
        }
        adapter.startup = started.elapsed();
        Ok(())
    }

    /// Sends the SHUTDOWN event and waits up to `within` for the process to exit by itself (a profiler
    /// running it writes its profile at exit; dropping the adapter kills it instead).
    pub async fn shut_down(&mut self, within: Duration) -> Result<(), String> {
        self.emulator.shutdown("spindown");
        let give_up = Instant::now() + within;
        while Instant::now() < give_up {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!("the adapter did not exit within {within:?} of SHUTDOWN"))
    }

    /// Resets the peak resident set (VmHWM) so that the next reading covers only what follows.
    pub fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// Peak resident set (VmHWM) in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        self.status_kib("VmHWM:")
    }

    /// Resident set now (VmRSS) in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        self.status_kib("VmRSS:")
    }

    fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU time the adapter has used so far, summed over its live threads (`/proc/<pid>/task/*/schedstat`).
    pub fn cpu_time(&self) -> Duration {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id()))
            .into_iter()
            .flatten()
            .flatten();
        let nanos = tasks
            .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
            .filter_map(|stat| stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()))
            .sum();
        Duration::from_nanos(nanos)
    }

    /// Allocations the adapter has made so far, when it counts them (a build with the `count-allocations`
    /// feature: src/alloc_count.rs); `None` for any other binary, which leaves the file alone.
    pub fn allocations(&self) -> Option<u64> {
        let bytes = std::fs::read(&self.allocations).ok()?;
        Some(u64::from_ne_bytes(bytes.get(..8)?.try_into().ok()?))
    }

    /// The end of what the adapter logged, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(8)..].join("\n");
        if tail.is_empty() {
            "(no output)".into()
        } else {
            format!("\n{tail}")
        }
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
        let _ = std::fs::remove_file(&self.allocations);
    }
}
