//! The first hour with the tool, end to end with the real binary: `dev` finds an app on the wrong port and
//! says so at once, its front door answers 503 with the reason when the app will not come, a busy 9002 does not
//! trouble it, no process outlives it (grandchildren included, even when `dev` is SIGKILLed), the command
//! line rejects what it does not know, `--help` lists every setting of the table, and the command `dev`
//! suggests works as printed.

mod common;

use common::dev::Dev;
use common::{TempDir, alive, free_port};
use std::time::{Duration, Instant};

/// `/proc/<pid>/stat`'s parent pid.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// The command line of `pid`, its arguments joined by spaces.
fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " ").trim().to_string())
        .unwrap_or_default()
}

/// The guardian `dev` (pid `dev`) started: its child running `__dev-guard`.
fn guardian_of(dev: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| parent(*pid) == Some(dev) && cmdline(*pid).contains("__dev-guard"));
        if let Some(pid) = found {
            return pid;
        }
        assert!(Instant::now() < deadline, "dev (pid {dev}) has no guardian");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits up to `timeout` for every pid in `pids` to be gone; returns those still alive.
async fn gone(pids: &[(&str, u32)], timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let left: Vec<String> = pids
            .iter()
            .filter(|(_, pid)| alive(*pid))
            .map(|(name, pid)| format!("{name} (pid {pid}: {})", cmdline(*pid)))
            .collect();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether something accepts connections on loopback `port`.
fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// The app's port, from the banner's `app` line: `(port 43761 from free port, pid 123)`.
fn banner_app_port(output: &str) -> u16 {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with("app "))
        .unwrap_or_else(|| panic!("no app line:\n{output}"));
    line.split("(port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// Waits for dev's front door to accept connections (it serves from the start, before the app is ready).
async fn front_door(dev: &Dev) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !listening(dev.port) {
        assert!(Instant::now() < deadline, "the front door never listened:\n{}", dev.output());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_app_on_another_port_is_named_at_once_and_the_front_door_says_why() {
    let wrong = free_port().to_string();
    let app = ["python3", "-m", "http.server", &wrong, "--bind", "127.0.0.1"];
    let dev = Dev::spawn_app(&app, &[], &[]);
    let wrong: u16 = wrong.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !listening(wrong) {
        assert!(Instant::now() < deadline, "the app never listened:\n{}", dev.output());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let app_listens = Instant::now();
    let expected = format!("your app listens on 127.0.0.1:{wrong}, not on $PORT=");
    while !dev.output().contains(&expected) {
        assert!(
            app_listens.elapsed() < Duration::from_secs(2),
            "no {expected:?} within 2 s of the app listening:\n{}",
            dev.output()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let said_after = app_listens.elapsed();
    let line = dev.output().lines().find(|l| l.contains(&expected)).unwrap().to_string();
    assert!(line.ends_with(&format!(": add --app-port {wrong} or make it read $PORT")), "{line}");

    front_door(&dev).await;
    let asked = Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(5), dev.send("GET", "/", &[], vec![]))
        .await
        .unwrap_or_else(|_| panic!("the front door hung before the app was ready:\n{}", dev.output()));
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert!(asked.elapsed() < Duration::from_secs(1), "the 503 took {:?}", asked.elapsed());
    let reason = reply.text();
    assert_eq!(reason.lines().count(), 1, "{reason}");
    assert!(
        reason.starts_with("the app is not ready yet: the adapter waits for GET http://127.0.0.1:"),
        "{reason}"
    );
    assert!(reason.contains(&format!("add --app-port {wrong}")), "{reason}");
    assert_eq!(reply.all("retry-after"), ["1"]);

    // Said once, though dev keeps looking (and the adapter keeps waiting).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let warnings = dev.output().lines().filter(|l| l.contains(&format!("WARN {expected}"))).count();
    assert_eq!(warnings, 1, "{}", dev.output());
    eprintln!("the wrong port was named {said_after:?} after the app listened");

    // The advice works: the same app with --app-port.
    let wrong_flag = wrong.to_string();
    drop(dev);
    let fixed = Dev::start_app(&app, &["--app-port", &wrong_flag], &[]).await;
    let reply = fixed.send("GET", "/", &[], vec![]).await;
    assert_eq!(reply.status, 200, "{}", fixed.output());
    assert!(!fixed.output().contains("your app listens on"), "{}", fixed.output());
}

#[tokio::test]
async fn a_busy_9002_does_not_trouble_dev() {
    // Hold 9002 (if something else holds it already, the test is the same).
    let held = std::net::TcpListener::bind("127.0.0.1:9002").ok();
    assert!(
        std::net::TcpListener::bind("127.0.0.1:9002").is_err(),
        "9002 should be busy for this test"
    );
    let dev = Dev::start(&[], &[]).await;
    let reply = dev.send("GET", "/", &[], vec![]).await;
    assert_eq!(reply.status, 200, "{}", dev.output());
    assert_eq!(reply.text(), "lambda-adapter echo app");
    let echo = dev.send("POST", "/echo", &[], b"hello".to_vec()).await;
    assert_eq!(echo.status, 200, "{}", dev.output());
    let output = dev.output();
    assert!(
        !output.contains("cannot serve @connections") && !output.contains("Address already in use"),
        "{output}"
    );
    drop(held);
}

/// `sh -c 'sleep 300 & python3 ... & wait'`: grandchildren that no `exec` makes direct children of dev.
#[tokio::test]
async fn a_killed_dev_leaves_no_grandchild_of_a_shell_app() {
    let dir = TempDir::new("shell");
    let script = format!(
        "sleep 300 & echo $! > '{}'; python3 -m http.server \"$PORT\" --bind 127.0.0.1 & wait",
        dir.path("sleep.pid").display()
    );
    let mut dev = Dev::start_app(&["sh", "-c", &script], &[], &[]).await;
    let (app, adapter, sleep) = (dev.app_pid(), dev.adapter_pid(), dir.pid("sleep.pid"));
    let port = banner_app_port(&dev.output());
    let dev_pid = parent(app).expect("the app's parent is dev");
    let guardian = guardian_of(dev_pid);
    assert!(alive(sleep) && listening(port));

    dev.signal(libc::SIGKILL);
    dev.wait_exit(Duration::from_secs(10)).expect("dev died");
    let killed = Instant::now();
    let left = gone(
        &[
            ("the sleep grandchild", sleep),
            ("the app", app),
            ("the adapter", adapter),
            ("the guardian", guardian),
        ],
        Duration::from_secs(5),
    )
    .await;
    assert!(left.is_empty(), "outlived a SIGKILLed dev: {left:?}\n{}", dev.output());
    assert!(!listening(port), "the app's http.server still listens on {port}");
    eprintln!("everything was gone {:?} after dev's SIGKILL", killed.elapsed());
}

/// `npm start` with `"start": "node server.js"`: npm, a shell, then node, none of them dev's.
#[tokio::test]
async fn a_killed_dev_leaves_no_node_behind_npm_start() {
    let dir = TempDir::new("npm");
    std::fs::write(
        dir.path("package.json"),
        r#"{"name": "first-run", "version": "1.0.0", "private": true, "scripts": {"start": "node server.js"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path("server.js"),
        "require('fs').writeFileSync('server.pid', String(process.pid));\n\
         require('http').createServer((req, res) => res.end('hello from node')).listen(Number(process.env.PORT), '127.0.0.1');\n",
    )
    .unwrap();
    let script = format!("cd '{}' && exec npm start", dir.0.display());
    let env = [("npm_config_update_notifier", "false"), ("npm_config_fund", "false")];
    let mut dev = Dev::start_app(&["sh", "-c", &script], &[], &env).await;
    let reply = dev.send("GET", "/", &[], vec![]).await;
    assert_eq!(reply.text(), "hello from node", "{}", dev.output());
    let (npm, adapter, node) = (dev.app_pid(), dev.adapter_pid(), dir.pid("server.pid"));
    let port = banner_app_port(&dev.output());
    assert!(cmdline(node).contains("node server.js"), "{}", cmdline(node));
    assert_ne!(parent(node), Some(npm), "node should be a grandchild of npm, not its child");
    let guardian = guardian_of(parent(npm).expect("npm's parent is dev"));

    dev.signal(libc::SIGKILL);
    dev.wait_exit(Duration::from_secs(10)).expect("dev died");
    let left = gone(
        &[
            ("node server.js", node),
            ("npm", npm),
            ("the adapter", adapter),
            ("the guardian", guardian),
        ],
        Duration::from_secs(5),
    )
    .await;
    assert!(left.is_empty(), "outlived a SIGKILLed dev: {left:?}\n{}", dev.output());
    assert!(!listening(port), "node still listens on {port}");
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the app's port is free again");
}

/// Ctrl-C (SIGINT) and SIGTERM, during init and once ready, stop the whole tree; the guardian then finds
/// nothing to do and exits too.
#[tokio::test]
async fn ctrl_c_and_sigterm_leave_nothing_behind() {
    for (signal, ready) in [
        (libc::SIGINT, false),
        (libc::SIGTERM, false),
        (libc::SIGINT, true),
        (libc::SIGTERM, true),
    ] {
        let dir = TempDir::new("signals");
        let listen = if ready {
            "python3 -m http.server \"$PORT\" --bind 127.0.0.1 &"
        } else {
            ""
        };
        let script = format!("sleep 300 & echo $! > '{}'; {listen} wait", dir.path("sleep.pid").display());
        let mut dev = if ready {
            Dev::start_app(&["sh", "-c", &script], &[], &[]).await
        } else {
            Dev::spawn_app(&["sh", "-c", &script], &[], &[])
        };
        let sleep = dir.pid("sleep.pid");
        let app = parent(sleep).expect("the sleep's parent is the app");
        let dev_pid = parent(app).expect("the app's parent is dev");
        let guardian = guardian_of(dev_pid);
        dev.signal(signal);
        let status = dev.wait_exit(Duration::from_secs(10)).expect("dev exited");
        assert_eq!(status.code(), Some(0), "{}", dev.output());
        let left = gone(
            &[("the sleep grandchild", sleep), ("the app", app), ("the guardian", guardian)],
            Duration::from_secs(2),
        )
        .await;
        assert!(left.is_empty(), "signal {signal} (ready: {ready}) left {left:?}\n{}", dev.output());
        assert!(!dev.output().contains("ended without stopping"), "{}", dev.output());
    }
}
