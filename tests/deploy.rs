//! Deploying where users deploy: the static binary in an empty root (FROM scratch, distroless/static), the
//! layer run the way Lambda runs a zip function (extensions from the layer, then the exec wrapper or the
//! function's own bootstrap), the container image's layout, the CloudFront chain, and the deployment files
//! themselves (templates through cfn-lint, Dockerfiles against the build context).
//!
//! The static binary is built once per run by scripts/build-static.sh (the first build of its target
//! directory takes minutes). The chroots and the DNS server on port 53 need root, which these machines give
//! the tests. Tools: go (golang-go), node, python3, cfn-lint (PyPI); scripts/test.sh installs them.

mod common;
mod deploy_support;

use common::{command_output, describe, free_port, function_url, receive, start_app};
use deploy_support::dns::{Dns, HelloSink};
use deploy_support::lambda::{Sandbox, command, extensions};
use deploy_support::*;
use lambda_adapter::dev::emulator::Outcome;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

/// The execute-api host name a WebSocket push goes to.
const EXECUTE_API: &str = "abc123def4.execute-api.us-east-1.amazonaws.com";

#[test]
fn the_static_binary_needs_no_loader_and_no_libraries() {
    let linking = elf::linking(static_binary());
    assert_eq!(linking.interpreter, None, "{} asks for a dynamic loader", static_binary().display());
    assert_eq!(linking.needed, 0, "{} needs shared libraries", static_binary().display());
    // The same check on the development build, which is dynamic, finds both.
    let dynamic = elf::linking(&common::adapter_binary());
    assert!(dynamic.interpreter.as_ref().is_some_and(|i| i.contains("ld-linux")), "{dynamic:?}");
    assert!(dynamic.needed > 0, "{dynamic:?}");
}

#[tokio::test]
async fn the_static_binary_serves_both_modes_from_an_empty_root() {
    let root = Root::new("empty-root");
    root.copy("/lambda-adapter", static_binary())
        // A host name for the app: resolved by the static C library from /etc/hosts, with no NSS modules.
        .write("/etc/hosts", "127.0.0.1 localhost\n127.0.0.1 app.internal\n");
    assert_eq!(root.files(), ["/etc/hosts", "/lambda-adapter"]);
    let app_port = free_port();
    let _app = start_app(app_port);
    for mode in ["buffered", "response_stream"] {
        let mut sandbox = Sandbox::new().await;
        let env = sandbox.environment(
            std::path::Path::new("/var/task"),
            "bootstrap",
            &[
                ("PORT", &app_port.to_string()),
                ("LWA_HOST", "app.internal"),
                ("LWA_INVOKE_MODE", mode),
            ],
        );
        // The app runs outside the root, started once for both modes.
        sandbox
            .start(vec![("static-adapter".into(), root.command("/lambda-adapter", &env))], None)
            .await;
        let event = function_url("GET", "/echo/deploy", "mode=1");
        let echoed: Value = match sandbox.invoke(&event).await {
            Outcome::Response(payload) if mode == "buffered" => {
                let document: Value = serde_json::from_slice(&payload).unwrap();
                assert_eq!(document["statusCode"], 200, "{document}");
                serde_json::from_str(document["body"].as_str().unwrap()).unwrap()
            }
            outcome @ Outcome::Streaming(_) if mode == "response_stream" => {
                let received = receive(outcome).await;
                assert_eq!(received.prelude["statusCode"], 200);
                serde_json::from_slice(&received.body()).unwrap()
            }
            other => panic!("{mode}: unexpected {}\n{}", describe(&other), sandbox.logs()),
        };
        assert_eq!(echoed["path"], "/echo/deploy", "{mode}");
        assert_eq!(echoed["query"], "mode=1", "{mode}");
        assert_eq!(echoed["headers"]["host"], json!(["id.lambda-url.eu-west-2.on.aws"]), "{mode}");
        if mode == "response_stream" {
            // Chunks still leave as the app writes them.
            let received = receive(sandbox.invoke(&function_url("GET", "/sse", "n=3&interval_ms=200")).await).await;
            let text = String::from_utf8(received.body()).unwrap();
            assert_eq!(text.matches("data: ").count(), 3, "{text}");
            let spread = received.chunks.last().unwrap().0 - received.chunks[0].0;
            assert!(spread >= Duration::from_millis(300), "the events arrived together ({spread:?})");
        }
    }
}

#[tokio::test]
async fn the_static_binary_resolves_execute_api_and_speaks_tls_from_an_empty_root() {
    // On Lambda the name comes from DNS: a server of our own, named by the root's /etc/resolv.conf, answers
    // it with a loopback address where a listener takes the TLS ClientHello. Getting that far means the
    // static C library resolved through DNS without NSS modules and rustls found its roots without /etc/ssl.
    // Built first: the listeners below wait a bounded time, and the first build takes minutes.
    let binary = static_binary();
    let dns = Dns::start(EXECUTE_API);
    let hello = HelloSink::start(dns.answer);
    let root = Root::new("tls-root");
    root.copy("/lambda-adapter", binary).write("/etc/resolv.conf", &dns.resolv_conf());
    let app_port = free_port();
    let _app = start_app(app_port);
    let callback_port = free_port();
    let mut sandbox = Sandbox::new().await;
    let env = sandbox.environment(
        std::path::Path::new("/var/task"),
        "bootstrap",
        &[
            ("PORT", &app_port.to_string()),
            ("LWA_WS_ENDPOINT", &format!("https://{EXECUTE_API}/prod")),
            ("LWA_WS_CALLBACK_PORT", &callback_port.to_string()),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        ],
    );
    sandbox
        .start(vec![("static-adapter".into(), root.command("/lambda-adapter", &env))], None)
        .await;
    let (status, body) = tokio::task::spawn_blocking(move || http(callback_port, "POST", "/@connections/conn-1", "hello"))
        .await
        .unwrap();
    let record = hello.received();
    let asked = dns.asked.lock().unwrap().clone();
    assert!(
        asked.iter().any(|name| name == EXECUTE_API),
        "the DNS server was never asked for {EXECUTE_API} (asked: {asked:?}); the push answered {status}: {body}\n{}",
        sandbox.logs()
    );
    assert!(
        record.len() > 6 && record[0] == 0x16 && record[5] == 0x01,
        "no TLS ClientHello reached {}:443 ({} bytes); the push answered {status}: {body}\n{}",
        dns.answer,
        record.len(),
        sandbox.logs()
    );
    assert!(
        record.windows(EXECUTE_API.len()).any(|w| w == EXECUTE_API.as_bytes()),
        "the ClientHello does not name {EXECUTE_API} (SNI)"
    );
    // The handshake then failed (no certificate for the name here), which the app hears as a 502.
    assert_eq!(status, 502, "{body}");
    assert!(body.contains(EXECUTE_API), "{body}");
}

#[tokio::test]
async fn a_zip_function_runs_with_the_layer_the_way_lambda_runs_it() {
    let work = TempDir::new("zip");
    let (opt, zip) = (work.join("opt"), work.join("layer.zip"));
    build_layer(&opt, &zip);
    for file in ["extensions/lambda-adapter", "bootstrap"] {
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(opt.join(file)).unwrap().permissions());
        assert_eq!(mode & 0o111, 0o111, "{file} is not executable ({mode:o})");
    }
    assert_eq!(elf::linking(&opt.join("extensions/lambda-adapter")).interpreter, None);
    // The zip holds the same two files, executable, at the paths Lambda extracts under /opt.
    let listing = run(
        Command::new("python3").arg("-c").arg(ZIP_LISTING).arg(&zip),
        "python3 (zip listing)",
        Duration::from_secs(60),
    );
    for entry in ["bootstrap", "extensions/lambda-adapter"] {
        assert!(
            listing.lines().any(|l| l == format!("755 {entry}")),
            "{entry} missing or not 755 in the zip:\n{listing}"
        );
    }

    // The wrapper says so when the Handler is not a start script (a managed runtime's handler, say).
    std::fs::write(work.join("app.py"), "print('never run')\n").unwrap();
    let refused = Command::new(opt.join("bootstrap"))
        .arg("/var/runtime/bootstrap")
        .env("LAMBDA_TASK_ROOT", work.path())
        .env("_HANDLER", "app.handler")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(127), "{stderr}");
    assert!(stderr.contains("app.handler") && stderr.contains("run.sh"), "{stderr}");

    // (a) A managed runtime (python3.12 in the template): Lambda runs the wrapper named by
    // AWS_LAMBDA_EXEC_WRAPPER with the runtime's own command as arguments; the wrapper runs the Handler, run.sh.
    let task = work.join("python-task");
    std::fs::create_dir_all(&task).unwrap();
    for file in ["app.py", "run.sh"] {
        std::fs::copy(repo().join("examples/zip-layer/python").join(file), task.join(file)).unwrap();
    }
    let port = free_port().to_string();
    let mut sandbox = Sandbox::new().await;
    let env = sandbox.environment(
        &task,
        "run.sh",
        &[
            ("AWS_LAMBDA_EXEC_WRAPPER", &opt.join("bootstrap").display().to_string()),
            ("PORT", &port),
        ],
    );
    let mut wrapper = command(opt.join("bootstrap"), &env);
    wrapper.args(["/var/runtime/bootstrap", "--this-runtime-must-not-start"]);
    sandbox
        .start(extensions(&opt.join("extensions"), &env), Some(("exec-wrapper", wrapper)))
        .await;
    let (document, body) = sandbox.invoke_json(&http_api("GET", "/", "")).await;
    assert_eq!(document["statusCode"], 200, "{document}");
    assert_eq!(body["app"], "python", "{body}");
    assert_eq!(body["url"], "https://aaaaaaaaaa.execute-api.us-west-2.amazonaws.com/", "{body}");
    drop(sandbox);

    // (b) provided.al2023: the function's code is the Go server itself, named bootstrap.
    let task = work.join("go-task");
    std::fs::create_dir_all(&task).unwrap();
    build_go_app(&repo().join("examples/go-http"), &task.join("bootstrap"));
    let port = free_port().to_string();
    let mut sandbox = Sandbox::new().await;
    let env = sandbox.environment(&task, "bootstrap", &[("PORT", &port)]);
    let bootstrap = command(task.join("bootstrap"), &env);
    sandbox
        .start(extensions(&opt.join("extensions"), &env), Some(("go-bootstrap", bootstrap)))
        .await;
    let (document, body) = sandbox.invoke_json(&http_api("GET", "/", "")).await;
    assert_eq!(document["statusCode"], 200, "{document}");
    assert_eq!(body["app"], "go", "{body}");
    assert_eq!(body["url"], "https://aaaaaaaaaa.execute-api.us-west-2.amazonaws.com/", "{body}");
    // An HTTP API cannot take a stream: server-sent events come back whole.
    let outcome = sandbox.invoke(&http_api("GET", "/events", "count=3&interval_ms=100")).await;
    let Outcome::Response(payload) = outcome else {
        panic!("an HTTP API event got {}", describe(&outcome))
    };
    let document: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(document["body"].as_str().unwrap().matches("data: tick").count(), 3, "{document}");
}

#[tokio::test]
async fn the_container_image_layout_serves_a_function_url_in_both_modes() {
    let (root, _work) = image_root();
    for mode in ["buffered", "response_stream"] {
        let sandbox = start_image(&root, &[("LWA_INVOKE_MODE", mode)]).await;
        if mode == "buffered" {
            let (document, body) = sandbox.invoke_json(&function_url("GET", "/", "")).await;
            assert_eq!(document["statusCode"], 200, "{document}");
            assert_eq!(body["url"], "https://id.lambda-url.eu-west-2.on.aws/", "{body}");
        } else {
            let outcome = sandbox.invoke(&function_url("GET", "/events", "count=3&interval_ms=300")).await;
            let received = receive(outcome).await;
            assert_eq!(received.prelude["headers"]["content-type"], "text/event-stream");
            let ticks: Vec<_> = received
                .chunks
                .iter()
                .filter(|(_, c)| c.windows(10).any(|w| w == b"data: tick"))
                .collect();
            assert_eq!(ticks.len(), 3, "one chunk per event: {:?}", received.chunks);
            let spread = ticks[2].0 - ticks[0].0;
            assert!(spread >= Duration::from_millis(450), "the events were held back ({spread:?})");
        }
    }
}

#[tokio::test]
async fn behind_cloudfront_the_app_sees_the_viewers_host_and_its_own_credentials() {
    let template = std::fs::read_to_string(repo().join("examples/cloudfront/template.yaml")).unwrap();
    // The distribution's viewer-request function, run on what a viewer sends.
    let code = template_block(&template, "FunctionCode");
    let viewer = json!({"request": {"method": "GET", "uri": "/", "querystring": {}, "cookies": {}, "headers": {
        "host": {"value": "www.example.com"},
        "x-app-authorization": {"value": "Bearer t0ken"},
    }}});
    let forwarded: Value = serde_json::from_str(&node(&format!("{code}\nconsole.log(JSON.stringify(handler({viewer})));"))).unwrap();
    assert_eq!(forwarded["headers"]["x-forwarded-host"]["value"], "www.example.com", "{forwarded}");
    // What reaches the Function URL: every viewer header but Host (AllViewerExceptHostHeader), then OAC's
    // signature in Authorization, with Host naming the origin.
    let mut event = function_url("GET", "/", "");
    for (name, value) in forwarded["headers"].as_object().unwrap() {
        event["headers"][name] = value["value"].clone();
    }
    event["headers"]["host"] = "id.lambda-url.eu-west-2.on.aws".into();
    event["headers"]["authorization"] =
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/eu-west-2/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0".into();
    // The function's environment as the template sets it.
    let (root, _work) = image_root();
    let source = template_value(&template, "LWA_AUTHORIZATION_SOURCE");
    let mode = template_value(&template, "LWA_INVOKE_MODE");
    let sandbox = start_image(&root, &[("LWA_INVOKE_MODE", &mode), ("LWA_AUTHORIZATION_SOURCE", &source)]).await;
    let received = receive(sandbox.invoke(&event).await).await;
    let body: Value = serde_json::from_slice(&received.body()).unwrap();
    assert_eq!(body["url"], "https://www.example.com/", "{body}");
    assert_eq!(
        body["authorization"], "Bearer",
        "the app got OAC's signature, not its own credentials: {body}"
    );
}

#[test]
fn every_template_passes_cfn_lint() {
    let templates = find_files(&repo().join("examples"), "template.yaml");
    assert!(templates.len() >= 6, "{templates:?}");
    let venv = repo().join("target/test-peers/venv/bin/cfn-lint");
    let cfn_lint = if Command::new("cfn-lint").arg("--version").output().is_ok() {
        "cfn-lint".into()
    } else if venv.exists() {
        venv
    } else {
        panic!(
            "cfn-lint is not on PATH: scripts/test.sh installs it into target/test-peers/venv \
             (target/test-peers/venv/bin/python -m pip install cfn-lint)"
        )
    };
    let output = Command::new(&cfn_lint).args(&templates).output().unwrap();
    assert!(output.status.success(), "cfn-lint found problems: {}", command_output(&output));
}

#[test]
fn every_dockerfile_copies_what_its_build_needs() {
    let mut dockerfiles = vec![repo().join("Dockerfile")];
    dockerfiles.extend(find_files(&repo().join("examples"), "Dockerfile"));
    assert!(dockerfiles.len() >= 5, "{dockerfiles:?}");
    for dockerfile in dockerfiles {
        let name = dockerfile.strip_prefix(repo()).unwrap().display().to_string();
        let stages = docker::stages(&std::fs::read_to_string(&dockerfile).unwrap());
        assert!(!stages.is_empty(), "{name} has no FROM");
        for stage in &stages {
            let context = TempDir::new("docker-context");
            docker::lay_out(stage, context.path());
            docker::check_build(&name, stage, context.path());
        }
    }
}

/// Start-up time and size of the static binary beside the dynamic one, from spawn to the first
/// `invocation/next` with the app already up (median of 20). Run with:
/// `cargo test --test deploy -- --ignored --nocapture startup_figures`
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn startup_figures() {
    let mut build = Command::new("cargo");
    build
        .args(["build", "--release", "--locked", "--bin", "lambda-adapter"])
        .current_dir(repo());
    run(&mut build, "cargo build --release", Duration::from_secs(30 * 60));
    let dynamic = repo().join("target/release/lambda-adapter");
    let app_port = free_port();
    let _app = start_app(app_port);
    for (name, binary) in [("static", static_binary().to_path_buf()), ("dynamic", dynamic)] {
        let mut times = Vec::new();
        for _ in 0..20 {
            let sandbox = Sandbox::new().await;
            let env = sandbox.environment(std::path::Path::new("/var/task"), "bootstrap", &[("PORT", &app_port.to_string())]);
            let started = std::time::Instant::now();
            let _adapter = common::Process::spawn(command(&binary, &env), name);
            tokio::time::timeout(Duration::from_secs(20), sandbox.emulator.wait_polling())
                .await
                .unwrap();
            times.push(started.elapsed());
        }
        times.sort();
        let size = std::fs::metadata(&binary).unwrap().len();
        println!(
            "{name:>7}: {:.2} MB, start-up median {:.1} ms (min {:.1}, max {:.1}) — {}",
            size as f64 / 1e6,
            times[10].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[19].as_secs_f64() * 1e3,
            binary.display()
        );
    }
}

/// A root laid out as examples/function-url/Dockerfile's image: the static adapter in /opt/extensions and the
/// Go server, nothing else (distroless/static adds only certificates, time zones and /etc/passwd).
fn image_root() -> (Root, TempDir) {
    let work = TempDir::new("image");
    build_go_app(&repo().join("examples/go-http"), &work.join("server"));
    assert_eq!(elf::linking(&work.join("server")).interpreter, None, "the Go server is not static");
    let root = Root::new("image-root");
    root.copy("/opt/extensions/lambda-adapter", static_binary())
        .copy("/server", &work.join("server"));
    (root, work)
}

/// Starts the image as Lambda does: the extension, then the CMD, both in its root; PORT as the Dockerfile sets
/// it (a free port here, the network being shared), `env` as the template's Environment.
async fn start_image(root: &Root, env: &[(&str, &str)]) -> Sandbox {
    let port = free_port().to_string();
    let mut sandbox = Sandbox::new().await;
    let mut function = vec![("PORT", port.as_str())];
    function.extend_from_slice(env);
    let environment = sandbox.environment(std::path::Path::new("/var/task"), "", &function);
    let extension = root.command("/opt/extensions/lambda-adapter", &environment);
    let cmd = root.command("/server", &environment);
    sandbox
        .start(vec![("image-extension".into(), extension)], Some(("image-cmd", cmd)))
        .await;
    sandbox
}
