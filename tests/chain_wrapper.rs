//! The layer's exec wrapper chained to another layer's: Lambda runs one `AWS_LAMBDA_EXEC_WRAPPER`, so a zip
//! function with both our layer and the OpenTelemetry (ADOT) layer sets `AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`
//! and `LWA_CHAIN_EXEC_WRAPPER=/opt/otel-instrument`, and `/opt/bootstrap` starts the Handler as
//! `/opt/otel-instrument "${LAMBDA_TASK_ROOT}/${_HANDLER}"`.
//!
//! The layer comes from scripts/build-layer.sh (the static binary is built once per run, as in deploy.rs) and
//! runs the way Lambda runs a zip function (tests/deploy_support/lambda.rs). A stand-in for ADOT's wrapper does
//! what the real one does as far as the app can tell: it changes the environment and execs its arguments. The
//! wrapper's choices of name and its refusals are checked by running `bootstrap` directly, as Lambda would.

mod common;
mod deploy_support;

use deploy_support::lambda::{Sandbox, command, extensions};
use deploy_support::{TempDir, build_layer, http_api};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What /opt/otel-instrument does for the app: variables set, then its arguments run in its place.
const OTEL_INSTRUMENT: &str = "#!/bin/sh\nexport OTEL_INSTRUMENTED=yes OTEL_WRAPPED=\"$*\"\nexec \"$@\"\n";

/// A web app that reports what the stand-in sets: the Handler `run.sh` starts it on $PORT.
const APP: &str = r#"import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        names = ("OTEL_INSTRUMENTED", "OTEL_WRAPPED")
        body = json.dumps({name: os.environ.get(name) for name in names}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"#;

#[tokio::test]
async fn a_chained_exec_wrapper_instruments_the_app_the_way_lambda_runs_it() {
    let (work, opt) = layer_with_otel();
    let task = work.join("task");
    write_file(&task.join("app.py"), APP, 0o644);
    write_file(
        &task.join("run.sh"),
        "#!/bin/sh\nexec python3 \"$LAMBDA_TASK_ROOT/app.py\"\n",
        0o755,
    );
    let handler = task.join("run.sh").display().to_string();
    let otel = opt.join("otel-instrument").display().to_string();
    // With the setting, the app runs under the chained wrapper, which got the Handler as its argument; without
    // it, exactly as before: the wrapper runs the Handler itself.
    for (chain, instrumented, wrapped) in [(Some(otel), "yes", handler.as_str()), (None, "", "")] {
        let port = common::free_port().to_string();
        let mut function = vec![
            ("AWS_LAMBDA_EXEC_WRAPPER", opt.join("bootstrap").display().to_string()),
            ("PORT", port),
        ];
        function.extend(chain.clone().map(|otel| ("LWA_CHAIN_EXEC_WRAPPER", otel)));
        let function: Vec<(&str, &str)> = function.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let mut sandbox = Sandbox::new().await;
        let env = sandbox.environment(&task, "run.sh", &function);
        let mut wrapper = command(opt.join("bootstrap"), &env);
        wrapper.args(["/var/runtime/bootstrap", "--this-runtime-must-not-start"]);
        sandbox
            .start(extensions(&opt.join("extensions"), &env), Some(("exec-wrapper", wrapper)))
            .await;
        let (document, body) = sandbox.invoke_json(&http_api("GET", "/", "")).await;
        assert_eq!(document["statusCode"], 200, "{document}");
        let reported = |name: &str| body[name].as_str().unwrap_or_default().to_string();
        assert_eq!(
            reported("OTEL_INSTRUMENTED"),
            instrumented,
            "chain {chain:?}: {body}\n{}",
            sandbox.logs()
        );
        assert_eq!(reported("OTEL_WRAPPED"), wrapped, "chain {chain:?}: {body}");
    }
}

#[test]
fn the_chained_wrapper_answers_to_both_names_and_lwa_wins() {
    let (work, opt) = layer_with_otel();
    let other = opt.join("other-wrapper");
    write_file(&other, "#!/bin/sh\nexport OTEL_INSTRUMENTED=other\nexec \"$@\"\n", 0o755);
    let (otel, other) = (opt.join("otel-instrument").display().to_string(), other.display().to_string());
    let both_warning =
        format!("both LWA_CHAIN_EXEC_WRAPPER=\"{otel}\" and AWS_LWA_CHAIN_EXEC_WRAPPER=\"{other}\" are set; using LWA_CHAIN_EXEC_WRAPPER");
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[], ""),
        (&[("LWA_CHAIN_EXEC_WRAPPER", "")], ""),
        (&[("LWA_CHAIN_EXEC_WRAPPER", &otel)], "yes"),
        (&[("AWS_LWA_CHAIN_EXEC_WRAPPER", &otel)], "yes"),
        // An empty value counts as unset, so the other name is read.
        (&[("LWA_CHAIN_EXEC_WRAPPER", ""), ("AWS_LWA_CHAIN_EXEC_WRAPPER", &otel)], "yes"),
        (&[("LWA_CHAIN_EXEC_WRAPPER", &otel), ("AWS_LWA_CHAIN_EXEC_WRAPPER", &otel)], "yes"),
        (&[("LWA_CHAIN_EXEC_WRAPPER", &otel), ("AWS_LWA_CHAIN_EXEC_WRAPPER", &other)], "yes"),
    ];
    for (settings, instrumented) in cases {
        let (code, stdout, stderr) = run_bootstrap(&work, &opt, settings);
        assert_eq!(code, Some(0), "{settings:?}: {stderr}");
        assert_eq!(stdout.trim(), format!("instrumented={instrumented}"), "{settings:?}: {stderr}");
        let differ = settings.len() == 2 && settings[1].1 == other;
        assert_eq!(stderr.contains(&both_warning), differ, "{settings:?}: {stderr}");
        if !differ {
            assert_eq!(stderr, "", "{settings:?}");
        }
    }
}

#[test]
fn a_missing_or_unusable_chained_wrapper_fails_the_start_naming_the_setting() {
    let (work, opt) = layer_with_otel();
    let not_executable = opt.join("not-executable");
    write_file(&not_executable, OTEL_INSTRUMENT, 0o644);
    let path = |p: &Path| p.display().to_string();
    let cases = [
        ("LWA_CHAIN_EXEC_WRAPPER", path(&opt.join("otel-instrumnet")), 127, "no such file"),
        ("LWA_CHAIN_EXEC_WRAPPER", path(&not_executable), 126, "not executable"),
        (
            "LWA_CHAIN_EXEC_WRAPPER",
            "opt/otel-instrument".to_string(),
            127,
            "not an absolute path",
        ),
        ("LWA_CHAIN_EXEC_WRAPPER", path(&opt), 127, "a directory"),
        ("LWA_CHAIN_EXEC_WRAPPER", path(&opt.join("bootstrap")), 126, "this wrapper itself"),
        // Through the reference adapter's name, the message names that variable.
        ("AWS_LWA_CHAIN_EXEC_WRAPPER", path(&not_executable), 126, "not executable"),
    ];
    for (variable, value, code, why) in cases {
        let (status, stdout, stderr) = run_bootstrap(&work, &opt, &[(variable, &value)]);
        assert_eq!(status, Some(code), "{variable}={value}: {stderr}");
        assert_eq!(stdout, "", "{variable}={value}: the handler ran");
        assert!(
            stderr.starts_with(&format!("lambda-adapter: invalid setting {variable}=\"{value}\": {why}")),
            "{stderr}"
        );
        assert!(stderr.contains("expected the absolute path of an executable file"), "{stderr}");
    }
}

/// The layer laid out by scripts/build-layer.sh in `opt` (in a fresh work directory), with the stand-in for
/// ADOT's wrapper beside `bootstrap`, where the ADOT layer puts `otel-instrument`.
fn layer_with_otel() -> (TempDir, PathBuf) {
    let work = TempDir::new("chain");
    let opt = work.join("opt");
    build_layer(&opt, &work.join("layer.zip"));
    write_file(&opt.join("otel-instrument"), OTEL_INSTRUMENT, 0o755);
    (work, opt)
}

/// Runs the layer's `bootstrap` as Lambda would, with the runtime's command as arguments and `settings` in
/// Lambda's environment; its Handler prints what the chained wrapper set. The exit code, stdout and stderr.
fn run_bootstrap(work: &TempDir, opt: &Path, settings: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let task = work.join("print-task");
    write_file(
        &task.join("print.sh"),
        "#!/bin/sh\necho \"instrumented=${OTEL_INSTRUMENTED:-}\"\n",
        0o755,
    );
    let mut env = vec![
        ("LAMBDA_TASK_ROOT".to_string(), task.display().to_string()),
        ("_HANDLER".to_string(), "print.sh".to_string()),
        ("PATH".to_string(), std::env::var("PATH").unwrap_or_default()),
    ];
    env.extend(settings.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let output = command(opt.join("bootstrap"), &env).arg("/var/runtime/bootstrap").output().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

fn write_file(path: &Path, text: &str, mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
