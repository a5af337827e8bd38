//! The first hour with the tool, end to end with the real binary: `dev` finds an app on the wrong port and
//! says so at once, its front door answers 503 with the reason when the app will not come, a busy 9002 does not
//! trouble it, no process outlives it (grandchildren included, even when `dev` is SIGKILLed), the command
//! line rejects what it does not know, `--help` lists every setting of the table, and the command `dev`
//! suggests works as printed.

mod common;

use common::dev::{Dev, send};
use common::{Process, TempDir, adapter_base_command, free_port, wait_for_output, wait_for_port};
use lambda_adapter::config::table::{DefaultValue, LAMBDA_VARIABLES, Reader, SETTINGS};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[test]
fn unknown_commands_and_options_exit_2_naming_the_valid_ones() {
    for args in [&["serve"][..], &["--bogus"], &["start", "--", "node"], &["-x"]] {
        let output = adapter_base_command().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&format!("`{}`", args[0])), "{stderr}");
        for valid in ["dev", "help", "--help", "--version"] {
            assert!(stderr.contains(valid), "{args:?} should list {valid}: {stderr}");
        }
        assert_eq!(stderr.matches("unknown").count(), 1, "said once: {stderr}");
        assert!(output.stdout.is_empty());
    }
    let output = adapter_base_command().args(["dev", "--bogus", "--", "true"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown option `--bogus`"));
    // No arguments is how Lambda starts the extension: that still runs the adapter (which, outside Lambda,
    // says how to try it locally).
    let output = adapter_base_command().output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("AWS_LAMBDA_RUNTIME_API is not set"), "{stderr}");
    for help in ["--help", "-h", "help"] {
        let output = adapter_base_command().arg(help).output().unwrap();
        assert_eq!(output.status.code(), Some(0));
    }
}

/// Whitespace (and line breaks inside comma-separated lists) made uniform, to compare wrapped text.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace(", ", ",")
}

#[test]
fn help_lists_every_setting_of_the_table_with_its_default() {
    let output = adapter_base_command().arg("--help").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = flat(&String::from_utf8_lossy(&output.stdout));
    for setting in SETTINGS {
        let name = match setting.reader {
            Reader::Logging => format!("LWA_{}", setting.name),
            _ => setting.name.to_string(),
        };
        let default = match setting.default {
            DefaultValue::Value(value) => format!("`{value}`"),
            DefaultValue::Described(text) => text.to_string(),
        };
        let row = flat(&format!("{name} {} [default: {default}]", setting.what));
        assert!(help.contains(&row), "--help lacks {row:?}:\n{help}");
    }
    for variable in LAMBDA_VARIABLES {
        assert!(
            help.contains(&flat(&format!("{} {}", variable.name, variable.what))),
            "{}",
            variable.name
        );
    }
    assert!(help.contains("LWA_<NAME> or AWS_LWA_<NAME>"), "{help}");
}

/// An invalid setting under dev: the adapter reports it (as on Lambda) and dev does not repeat it.
#[tokio::test]
async fn an_invalid_setting_is_printed_once() {
    let mut dev = Dev::spawn(&[], &[("LWA_INVOKE_MODE", "streaming")]);
    let status = dev.wait_exit(Duration::from_secs(20)).expect("dev exited");
    assert_eq!(status.code(), Some(1));
    let output = dev.output();
    assert_eq!(
        output.matches("invalid setting LWA_INVOKE_MODE=\"streaming\"").count(),
        1,
        "{output}"
    );
    assert!(output.contains("init failed"), "{output}");
}

/// Runs `command` (as `dev` printed it, `lambda-adapter dev ...`) through a shell, with the binary under
/// test and `--listen` on a free port; checks that it serves the current directory.
async fn run_as_printed(command: &str, dir: &Path) {
    let rest = command
        .strip_prefix("lambda-adapter dev ")
        .unwrap_or_else(|| panic!("{command:?} is not a dev command"));
    let port = free_port();
    let binary = common::adapter_binary();
    let line = format!("exec '{}' dev --listen 127.0.0.1:{port} {rest}", binary.display());
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(&line).current_dir(dir).env("LWA_LOG", "info");
    for (name, _) in std::env::vars() {
        if name.starts_with("LWA_") && name != "LWA_LOG" || name.starts_with("AWS_") || name == "PORT" {
            shell.env_remove(name);
        }
    }
    let mut process = Process::spawn(shell, "printed");
    wait_for_output(&process, "Ctrl-C stops", Duration::from_secs(30)).await;
    wait_for_port(port, Duration::from_secs(5));
    let reply = send(port, "GET", "/", &[], vec![]).await;
    assert_eq!(reply.status, 200, "{command}:\n{}", process.output());
    assert!(reply.text().contains("marker.txt"), "{command}: {}", reply.text());
    // SAFETY: kill(2) on our own child (the shell exec'd dev); no memory is involved.
    unsafe { libc::kill(process.pid() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(process.exited(Duration::from_secs(10)).await.and_then(|s| s.code()), Some(0));
}

#[tokio::test]
async fn the_commands_dev_suggests_work_as_printed() {
    let dir = TempDir::new("printed");
    std::fs::write(dir.path("marker.txt"), "served").unwrap();
    // The suggestion of the "no app command" error.
    let output = adapter_base_command().arg("dev").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let suggested = stderr
        .split("as in `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no suggestion in {stderr}"));
    run_as_printed(suggested, &dir.0).await;

    // The examples of `dev --help`; the one with a fixed port when that port is free.
    let help = adapter_base_command().args(["dev", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let examples: Vec<&str> = help
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("lambda-adapter dev ") && !line.contains("[OPTIONS]"))
        .collect();
    assert_eq!(examples.len(), 2, "{help}");
    assert!(examples.contains(&suggested));
    for example in examples {
        if example.contains("--app-port 8000") && std::net::TcpListener::bind("127.0.0.1:8000").is_err() {
            eprintln!("skipped `{example}`: something else holds port 8000");
            continue;
        }
        run_as_printed(example, &dir.0).await;
    }
}
