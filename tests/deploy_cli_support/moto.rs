//! moto's server, the AWS API emulator `deploy` is tested against: one per test binary, shared by the tests
//! (each uses its own function names), started on a free port with AWS's managed policies loaded and its
//! request recorder on. The recorder is how the uploaded zips come back: moto keeps code but serves no
//! download of it (`Code.Location` names a bucket it does not hold), so the tests take the bytes from the
//! requests moto recorded and check them against the `CodeSha256` moto computed when it stored them.

use base64::Engine;
use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    pub endpoint: String,
    pub log: PathBuf,
}

/// The shared server, started on first use; it dies with the test process (PR_SET_PDEATHSIG, from a thread
/// that lives as long as the process).
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| start(&[]))
}

/// A Python that has moto: the test peers' virtual environment's (scripts/test.sh installs moto[server]
/// there), or the one on PATH.
fn python_with_moto() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-peers/venv/bin/python3");
    for python in [venv, PathBuf::from("python3")] {
        let has = Command::new(&python)
            .args(["-c", "import moto.server, werkzeug"])
            .stderr(Stdio::null())
            .status();
        if has.is_ok_and(|status| status.success()) {
            return python;
        }
    }
    panic!("moto[server] is not installed: scripts/test.sh installs it into target/test-peers/venv")
}

/// moto_server's own start-up, but serving one request at a time: its request recorder appends each request
/// to a file without a lock, and concurrent multi-megabyte uploads would interleave there.
const SERVER: &str = "import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
run_simple('127.0.0.1', int(sys.argv[1]), app, threaded=False, request_handler=MotoRequestHandler)
";

/// Starts a server of its own with extra environment (an auth-enforcing one, say).
pub fn start(env: &[(&str, &str)]) -> Moto {
    let port = crate::common::free_port();
    let dir = std::env::temp_dir().join(format!("lwa-moto-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("moto.log");
    let mut command = Command::new(python_with_moto());
    command
        .args(["-c", SERVER, &port.to_string()])
        .env("MOTO_PORT", port.to_string())
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .env("MOTO_ENABLE_RECORDING", "true")
        .env("MOTO_RECORDER_FILEPATH", dir.join("recording.jsonl"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.join("moto.err")).unwrap());
    // SAFETY: prctl is async-signal-safe; it only asks for SIGKILL when the spawning thread ends.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let (sent, received) = std::sync::mpsc::channel();
    // The spawning thread must outlive the tests: the death signal fires when it ends.
    std::thread::spawn(move || {
        let child = command.spawn();
        let ok = child.is_ok();
        let _ = sent.send(child.map(|c| c.id()).map_err(|e| e.to_string()));
        if ok {
            loop {
                std::thread::park();
            }
        }
    });
    if let Err(error) = received.recv().unwrap() {
        panic!("cannot start moto's server: {error}");
    }
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "moto's server did not listen on {port} within 60 s: {}",
            std::fs::read_to_string(dir.join("moto.err")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto { endpoint, log }
}

impl Moto {
    /// Every request moto recorded, through its recorder API.
    pub fn recording(&self) -> Vec<Value> {
        let text = http_get(&format!("{}/moto-api/recorder/download-recording", self.endpoint));
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The JSON body of the last request that `wanted(url path, JSON body)` picks.
    pub fn last_request(&self, wanted: impl Fn(&str, &Value) -> bool) -> Option<Value> {
        let b64 = base64::engine::general_purpose::STANDARD;
        self.recording().into_iter().rev().find_map(|entry| {
            let url = entry["url"].as_str()?;
            let path = url.split('?').next()?.trim_end_matches('/');
            let path = path.find("://").map_or(path, |at| &path[at + 3..]);
            let path = path.find('/').map_or("", |at| &path[at..]).to_string();
            let raw = entry["body"].as_str()?;
            let body = if entry["body_encoded"].as_bool() == Some(true) {
                String::from_utf8(b64.decode(raw).ok()?).ok()?
            } else {
                raw.to_string()
            };
            let json: Value = serde_json::from_str(&body).ok()?;
            wanted(&path, &json).then_some(json)
        })
    }

    /// The last zip uploaded in a request that `wanted(url path, JSON body)` picks: the bytes Lambda's API
    /// received.
    pub fn last_upload(&self, wanted: impl Fn(&str, &Value) -> bool) -> Vec<u8> {
        let json = self.last_request(wanted).unwrap_or_else(|| panic!("moto recorded no such upload"));
        let zip = json["ZipFile"]
            .as_str()
            .or(json["Code"]["ZipFile"].as_str())
            .or(json["Content"]["ZipFile"].as_str());
        base64::engine::general_purpose::STANDARD
            .decode(zip.expect("the upload has no ZipFile"))
            .unwrap()
    }

    /// The function's code as last uploaded: by CreateFunction or UpdateFunctionCode.
    pub fn function_zip(&self, name: &str) -> Vec<u8> {
        let update = format!("/2015-03-31/functions/{name}/code");
        self.last_upload(|path, body| path == update || (path == "/2015-03-31/functions" && body["FunctionName"] == name))
    }

    /// The adapter layer as last published.
    pub fn layer_zip(&self) -> Vec<u8> {
        self.last_upload(|path, _| path == "/2018-10-31/layers/lambda-adapter/versions")
    }
}

/// A GET with a plain HTTP/1.1 client, the body as text.
pub fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{url}: {head}"
    );
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// The SHA-256 of `bytes`, base64, as Lambda's `CodeSha256`.
pub fn code_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}
