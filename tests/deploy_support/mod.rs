//! What the deployment tests build and run: the static binary users deploy (scripts/build-static.sh, built
//! once per test run), the layer (scripts/build-layer.sh), the Go example, empty roots to run them in, and the
//! tools the checks call. Nothing here installs anything: a missing tool fails with what to install.
#![allow(dead_code)]

pub mod dns;
pub mod docker;
pub mod elf;
pub mod lambda;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("lwa-deploy-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, path: &str) -> PathBuf {
        self.0.join(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `command` to completion within `timeout` and returns its standard output; panics with both outputs
/// when it fails, times out, or cannot start (naming `what`).
pub fn run(command: &mut Command, what: &str, timeout: Duration) -> String {
    let dir = TempDir::new("run");
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (
        std::fs::read_to_string(&out).unwrap_or_default(),
        std::fs::read_to_string(&err).unwrap_or_default(),
    );
    match status {
        Some(status) if status.success() => stdout,
        Some(status) => panic!("{what} failed ({status})\nstdout:\n{stdout}\nstderr:\n{stderr}"),
        None => panic!("{what} did not finish within {timeout:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"),
    }
}

/// The static binary, built once per test run from this checkout with scripts/build-static.sh (offline, from
/// the crates Cargo.lock names; the first build of its target directory takes a few minutes).
pub fn static_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let mut command = Command::new("nice");
        command.arg(repo().join("scripts/build-static.sh")).env("CARGO_NET_OFFLINE", "true");
        let printed = run(&mut command, "scripts/build-static.sh", Duration::from_secs(30 * 60));
        let path = PathBuf::from(printed.trim());
        assert!(path.is_file(), "scripts/build-static.sh printed {printed:?}, which is not a file");
        path
    })
}

/// Lays the layer out in `dir` and writes its zip to `zip`, with scripts/build-layer.sh.
pub fn build_layer(dir: &Path, zip: &Path) {
    static_binary();
    let mut command = Command::new(repo().join("scripts/build-layer.sh"));
    command.arg("--zip").arg(zip).arg(dir).env("CARGO_NET_OFFLINE", "true");
    run(&mut command, "scripts/build-layer.sh", Duration::from_secs(10 * 60));
}

/// Builds the Go example (examples/go-http) as the static binary `out`, as its Makefile and Dockerfile do:
/// standard library only, nothing downloaded, Go's caches under target/.
pub fn build_go_app(source: &Path, out: &Path) {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go");
    let mut command = Command::new("go");
    command
        .args(["build", "-trimpath", "-ldflags=-s -w", "-o"])
        .arg(out)
        .arg(".")
        .current_dir(source)
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", cache.join("cache"))
        .env("GOPATH", cache.join("path"))
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "");
    require("go", "golang-go");
    run(&mut command, "go build", Duration::from_secs(10 * 60));
}

/// Panics with what to install when `tool` is not on PATH.
pub fn require(tool: &str, package: &str) {
    // Whatever it answers to --version, it exists if it starts.
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(found, "`{tool}` is not on PATH: install {package} (scripts/test.sh installs it)");
}

/// Panics unless the tests run as root, which chroot and the ports 53 and 443 need.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the deployment tests chroot and listen on ports 53 and 443: run them as root"
    );
}

/// An empty root directory to chroot into: only the files put there.
pub struct Root(TempDir);

impl Root {
    pub fn new(name: &str) -> Root {
        require_root();
        Root(TempDir::new(name))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Copies `from` to `at` (a path inside the root), keeping its mode.
    pub fn copy(&self, at: &str, from: &Path) -> &Self {
        let to = self.0.join(at.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, &to).unwrap_or_else(|e| panic!("{} -> {}: {e}", from.display(), to.display()));
        self
    }

    pub fn write(&self, at: &str, text: &str) -> &Self {
        let to = self.0.join(at.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, text).unwrap();
        self
    }

    /// Every file in the root, relative to it.
    pub fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(format!("/{}", path.strip_prefix(root).unwrap().display()));
                }
            }
        }
        let mut files = Vec::new();
        walk(self.path(), self.path(), &mut files);
        files.sort();
        files
    }

    /// `program` (a path inside the root) run inside it with exactly `environment`: chroot, then chdir("/").
    pub fn command(&self, program: &str, environment: &[(String, String)]) -> Command {
        let mut command = lambda::command(program, environment);
        let root = CString::new(self.path().as_os_str().as_bytes()).unwrap();
        // SAFETY: only async-signal-safe calls between fork and exec; the path was allocated before.
        unsafe {
            command.pre_exec(move || {
                if libc::chroot(root.as_ptr()) != 0 || libc::chdir(c"/".as_ptr()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command
    }
}

/// One HTTP/1.1 request over a fresh connection; the status and the body.
pub fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// Runs a JavaScript program with node and returns what it printed.
pub fn node(script: &str) -> String {
    require("node", "nodejs");
    run(Command::new("node").arg("-e").arg(script), "node", Duration::from_secs(60))
}

/// The value of the first `name: value` line of a template (an environment variable, a property).
pub fn template_value(template: &str, name: &str) -> String {
    template
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix(name)?
                .strip_prefix(':')
                .map(|v| v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("the template sets no {name}"))
}

/// The block scalar under `name: |` in a template (a CloudFront function's code), unindented.
pub fn template_block(template: &str, name: &str) -> String {
    let mut lines = template.lines().skip_while(|line| line.trim() != format!("{name}: |"));
    let key = lines.next().unwrap_or_else(|| panic!("the template has no `{name}: |` block"));
    let key_indent = key.len() - key.trim_start().len();
    let block: Vec<&str> = lines
        .take_while(|line| line.trim().is_empty() || line.len() - line.trim_start().len() > key_indent)
        .collect();
    let indent = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    block.iter().map(|l| l.get(indent..).unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every file named `name` under `dir`, recursively.
pub fn find_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(find_files(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Prints "MODE NAME" for each entry of a zip, MODE being the Unix permission bits it stores.
pub const ZIP_LISTING: &str = "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist():\n    print(format((i.external_attr >> 16) & 0o777, 'o'), i.filename)";

/// The HTTP API sample (payload 2.0 on an execute-api domain) with method, path and query.
pub fn http_api(method: &str, path: &str, query: &str) -> serde_json::Value {
    let mut event = crate::common::fixture("example-apigw-v2-request-no-authorizer.json");
    event["rawPath"] = path.into();
    event["rawQueryString"] = query.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event
}
