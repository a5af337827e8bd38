//! What the `deploy` and `init` tests share: the command run as a user runs it, against moto's server only
//! ([`moto`]), the AWS SDK's clients to read back what it made, and the uploaded zips run the way Lambda runs a
//! zip function ([`zip_function`]), on tests/deploy_support's Runtime API sandbox.
#![allow(dead_code)]

pub mod moto;
pub mod zip_function;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// What a run of the command showed the user.
#[derive(Debug)]
pub struct Shown {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Shown {
    /// The last line of stdout: the URL.
    pub fn url(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }

    pub fn succeeded(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "the command failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// `lambda-adapter ARGS` in `dir`, with an environment that reaches moto at `endpoint` and nothing of AWS:
/// fake credentials, a region, no profile files, no instance metadata. Go, pip and cargo stay offline where
/// they can (Go's caches under target/).
pub fn command(dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lambda-adapter"));
    let go = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go");
    command
        .args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_SESSION_TOKEN")
        .env("GOCACHE", go.join("cache"))
        .env("GOPATH", go.join("path"))
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("CARGO_NET_OFFLINE", "true")
        .stdin(Stdio::null());
    command
}

/// Runs a command to completion (at most 10 minutes) and returns what it showed.
pub fn run(command: &mut Command) -> Shown {
    let dir = crate::deploy_support::TempDir::new("cli-run");
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = command
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Shown {
        code: status.and_then(|s| s.code()),
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
    }
}

/// `deploy` against the shared moto, without blocking the test's runtime.
pub async fn deploy(dir: &Path, args: &[&str]) -> Shown {
    let mut full = vec!["deploy"];
    full.extend_from_slice(args);
    let mut command = command(dir, &moto::moto().endpoint, &full);
    tokio::task::spawn_blocking(move || run(&mut command)).await.unwrap()
}

/// The SDK's clients on moto at `endpoint`, with the same fake credentials.
pub async fn clients(endpoint: &str) -> (aws_sdk_lambda::Client, aws_sdk_iam::Client) {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_lambda::config::Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    (aws_sdk_lambda::Client::new(&config), aws_sdk_iam::Client::new(&config))
}

/// A copy of `source` (an example app) in a fresh folder named `name`, which becomes the function's name.
pub fn copy_app(source: &Path, name: &str) -> (crate::deploy_support::TempDir, PathBuf) {
    let work = crate::deploy_support::TempDir::new(name);
    let dir = work.join(name);
    copy_dir(source, &dir);
    (work, dir)
}

/// A folder named `name` with these files.
pub fn app_with(name: &str, files: &[(&str, &str)]) -> (crate::deploy_support::TempDir, PathBuf) {
    let work = crate::deploy_support::TempDir::new(name);
    let dir = work.join(name);
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (work, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
