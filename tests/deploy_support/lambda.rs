//! Lambda's start-up order, emulated around the embedded Runtime API: the function's processes get Lambda's
//! environment and nothing of the test's; every extension (the executables of /opt/extensions) starts first
//! and registers, then the runtime starts (a zip function's bootstrap or exec wrapper, or an image's CMD),
//! and the function is ready once something polls `invocation/next`.

use crate::common::Process;
use lambda_adapter::dev::emulator::{Emulator, FunctionInfo, Outcome};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Sandbox {
    pub emulator: Emulator,
    processes: Vec<Process>,
}

impl Sandbox {
    pub async fn new() -> Sandbox {
        let emulator = Emulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), FunctionInfo::default())
            .await
            .unwrap();
        Sandbox {
            emulator,
            processes: Vec::new(),
        }
    }

    /// What Lambda sets for a function's processes, then `function` (the template's Environment).
    pub fn environment(&self, task_root: &Path, handler: &str, function: &[(&str, &str)]) -> Vec<(String, String)> {
        let lambda = [
            ("AWS_LAMBDA_RUNTIME_API", self.emulator.runtime_api()),
            ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
            ("_HANDLER", handler.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", "deploy-test".to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("TZ", ":UTC".to_string()),
            // The test's PATH stands in for Lambda's, so that run.sh finds python3.
            ("PATH", std::env::var("PATH").unwrap_or_default()),
        ];
        let lambda = lambda.into_iter().map(|(name, value)| (name.to_string(), value));
        let function = function.iter().map(|(name, value)| (name.to_string(), value.to_string()));
        lambda.chain(function).collect()
    }

    /// Starts each extension and waits until all have registered, then starts the runtime, if any (a test may
    /// start the app itself), and waits until the function polls for invocations. Commands come with a name
    /// for their logs and their environment set.
    pub async fn start(&mut self, extensions: Vec<(String, Command)>, runtime: Option<(&str, Command)>) {
        let count = extensions.len();
        assert!(count > 0, "no extension to start");
        for (name, command) in extensions {
            self.processes.push(Process::spawn(command, &name));
        }
        let started = Instant::now();
        while self.emulator.extensions().len() < count {
            if started.elapsed() > Duration::from_secs(20) {
                panic!(
                    "{count} extension(s) were started but {} registered\n{}",
                    self.emulator.extensions().len(),
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if let Some((name, command)) = runtime {
            self.processes.push(Process::spawn(command, name));
        }
        if tokio::time::timeout(Duration::from_secs(30), self.emulator.wait_polling())
            .await
            .is_err()
        {
            panic!("nothing polled for an invocation within 30 s\n{}", self.logs());
        }
    }

    /// Invokes with `event`, panicking with every process's log if the invocation fails.
    pub async fn invoke(&self, event: &Value) -> Outcome {
        match self.emulator.invoke(event.to_string().into(), Duration::from_secs(30)).await {
            Ok(outcome) => outcome,
            Err(error) => panic!("invocation failed: {error:?}\n{}", self.logs()),
        }
    }

    /// Invokes and returns the buffered response document, whose body is JSON.
    pub async fn invoke_json(&self, event: &Value) -> (Value, Value) {
        match self.invoke(event).await {
            Outcome::Response(payload) => {
                let document: Value = serde_json::from_slice(&payload).unwrap();
                let body = serde_json::from_str(document["body"].as_str().unwrap_or_default())
                    .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {document}\n{}", self.logs()));
                (document, body)
            }
            other => panic!(
                "expected a buffered response, got {}\n{}",
                crate::common::describe(&other),
                self.logs()
            ),
        }
    }

    /// Every process's output so far.
    pub fn logs(&self) -> String {
        self.processes
            .iter()
            .map(|p| format!("--- pid {} ---\n{}", p.pid(), p.output()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Every executable in `dir` (a layer's or an image's `extensions/`), in name order, as Lambda starts them.
pub fn extensions(dir: &Path, environment: &[(String, String)]) -> Vec<(String, Command)> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions());
            path.is_file() && mode & 0o111 != 0
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            (
                format!("extension-{}", path.file_name().unwrap().to_string_lossy()),
                command(&path, environment),
            )
        })
        .collect()
}

/// `program` with exactly `environment`, as Lambda starts it.
pub fn command(program: impl AsRef<std::ffi::OsStr>, environment: &[(String, String)]) -> Command {
    let mut command = Command::new(program);
    command.env_clear().envs(environment.iter().map(|(name, value)| (name, value)));
    command
}
