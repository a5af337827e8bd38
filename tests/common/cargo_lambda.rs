//! cargo-lambda's emulator (`cargo lambda watch --only-lambda-apis`, from PyPI): an independent Runtime API
//! and Function URL front door to run the adapter against.

use super::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// cargo-lambda's emulator, the echo app and the adapter.
pub struct Peer {
    pub port: u16,
    /// `cargo lambda watch` itself: its log tells what the emulator did with each invocation.
    pub emulator: Process,
    pub app: Process,
    pub adapter: Process,
    _dir: super::TempDir,
}

/// Starts cargo-lambda's emulator, `app` (a command that reads `PORT`) and the adapter.
pub fn start_with(app_binary: &std::path::Path, env: &[(&str, &str)]) -> Peer {
    start_watch(app_binary, env, &[])
}

/// [`start_with`], with more arguments for `cargo lambda watch` (`--concurrency 4`).
pub fn start_watch(app_binary: &std::path::Path, env: &[(&str, &str)], watch_args: &[&str]) -> Peer {
    let temp = super::TempDir::new("cargo-lambda");
    let dir = temp.0.clone();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"peer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let port = free_port();
    let mut command = Command::new("cargo");
    command
        .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()])
        .args(watch_args)
        .current_dir(&dir);
    let emulator = Process::spawn(command, "cargo-lambda");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "cargo lambda watch did not start; is cargo-lambda installed (pip install cargo-lambda)?\n{}",
            emulator.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let app_port = free_port();
    let mut app_command = Command::new(app_binary);
    app_command.env("PORT", app_port.to_string());
    let app = Process::spawn(app_command, "app");
    wait_for_port(app_port, Duration::from_secs(10));
    let runtime_api = format!("http://127.0.0.1:{port}/.rt");
    let adapter = Process::spawn(adapter_command(&runtime_api, app_port, env), "adapter");
    Peer {
        port,
        emulator,
        app,
        adapter,
        _dir: temp,
    }
}

impl Peer {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/lambda-url/_{path}", self.port)
    }

    /// `curl -s -i URL`: status line and headers, body.
    pub fn curl(&self, path: &str, extra: &[&str]) -> (String, Vec<u8>) {
        let output = Command::new("curl")
            .args(["-s", "-i", "--max-time", "60"])
            .args(extra)
            .arg(self.url(path))
            .output()
            .expect("curl runs");
        let raw = output.stdout;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no response; adapter log:\n{}", self.adapter.output()));
        (String::from_utf8_lossy(&raw[..split]).to_lowercase(), raw[split + 4..].to_vec())
    }
}

/// cargo-lambda's emulator with the echo app.
pub fn start(env: &[(&str, &str)]) -> Peer {
    start_with(&example_binary("echo"), env)
}
