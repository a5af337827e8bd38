//! `lambda-adapter deploy` and `init` (issue 23), end to end against moto's server, a real AWS API emulator:
//! each test runs the command as a user would, reads back with the AWS SDK what it made (function, layer,
//! role, Function URL, policy), takes the uploaded zips back from the emulator and runs them the way Lambda
//! runs a zip function, on the project's Runtime API emulator, and asks the app.
//!
//! Needs moto[server] and aws-sam-cli (scripts/test.sh installs both into target/test-peers/venv), go, node,
//! npm and python3; built only with `--features deploy`. The static adapter comes from
//! tests/deploy_support (scripts/build-static.sh, once per run), the same build `deploy` finds in this tree.
//! (Gated here rather than by `required-features` in Cargo.toml, which would name this file in the manifest
//! that the Dockerfile builds from without tests/.)
#![cfg(feature = "deploy")]

mod common;
mod deploy_cli_support;
mod deploy_support;

#[path = "deploy_cli/errors.rs"]
mod errors;
#[path = "deploy_cli/init.rs"]
mod init;

use common::{function_url, receive};
use deploy_cli_support::moto::{code_sha256, moto};
use deploy_cli_support::{app_with, clients, copy_app, deploy};
use deploy_support::{TempDir, repo, static_binary};
use lambda_adapter::dev::emulator::Outcome;
use serde_json::Value;
use std::collections::BTreeMap;

/// What `deploy` made, read back from the emulator.
struct Deployed {
    runtime: String,
    handler: String,
    package_type: String,
    env: BTreeMap<String, String>,
    layers: Vec<String>,
    role: String,
    memory: i32,
    timeout: i32,
    code_sha256: String,
    url: String,
    auth_type: String,
    invoke_mode: String,
    /// The resource policy's statements, by Sid.
    statements: BTreeMap<String, Value>,
}

async fn read_back(name: &str) -> Deployed {
    let (lambda, _) = clients(&moto().endpoint).await;
    let function = lambda.get_function().function_name(name).send().await.unwrap();
    let config = function.configuration().unwrap();
    let url = lambda.get_function_url_config().function_name(name).send().await.unwrap();
    let statements = match lambda.get_policy().function_name(name).send().await {
        Ok(policy) => {
            let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
            policy["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["Sid"].as_str().unwrap().to_string(), s.clone()))
                .collect()
        }
        Err(_) => BTreeMap::new(),
    };
    Deployed {
        runtime: config.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
        handler: config.handler().unwrap_or_default().to_string(),
        package_type: config.package_type().map(|p| p.as_str().to_string()).unwrap_or_default(),
        env: config
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        layers: config.layers().iter().filter_map(|l| l.arn().map(str::to_string)).collect(),
        role: config.role().unwrap_or_default().to_string(),
        memory: config.memory_size().unwrap_or_default(),
        timeout: config.timeout().unwrap_or_default(),
        code_sha256: config.code_sha256().unwrap_or_default().to_string(),
        url: url.function_url().to_string(),
        auth_type: url.auth_type().as_str().to_string(),
        invoke_mode: url.invoke_mode().map(|m| m.as_str().to_string()).unwrap_or_default(),
        statements,
    }
}

/// How many versions the adapter layer has.
async fn layer_versions() -> usize {
    let (lambda, _) = clients(&moto().endpoint).await;
    lambda
        .list_layer_versions()
        .layer_name("lambda-adapter")
        .send()
        .await
        .unwrap()
        .layer_versions()
        .len()
}

/// The uploaded zips, checked against what moto stored, run as Lambda runs them; the sandbox to invoke.
async fn run_deployed(name: &str, deployed: &Deployed, work: &TempDir) -> deploy_support::lambda::Sandbox {
    let (lambda, _) = clients(&moto().endpoint).await;
    let code = moto().function_zip(name);
    assert_eq!(
        code_sha256(&code),
        deployed.code_sha256,
        "the recorded code is not what moto stored"
    );
    let layer = moto().layer_zip();
    // arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION (moto answers GetLayerVersionByArn with a 500).
    let (layer_name, version) = deployed.layers[0].rsplit_once(':').unwrap();
    let layer_name = layer_name.rsplit_once(':').unwrap().1;
    let stored = lambda
        .get_layer_version()
        .layer_name(layer_name)
        .version_number(version.parse().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        Some(code_sha256(&layer).as_str()),
        stored.content().and_then(|c| c.code_sha256()),
        "the recorded layer is not the function's layer version"
    );
    deploy_cli_support::zip_function::start(work.path(), &layer, &code, &deployed.handler, &deployed.env).await
}

/// Invokes with a Function URL event and returns the app's JSON answer, streamed or buffered.
async fn ask(sandbox: &deploy_support::lambda::Sandbox, path: &str) -> (bool, Value) {
    match sandbox.invoke(&function_url("GET", path, "")).await {
        outcome @ Outcome::Streaming(_) => {
            let received = receive(outcome).await;
            assert_eq!(received.prelude["statusCode"], 200, "{}", sandbox.logs());
            (true, serde_json::from_slice(&received.body()).unwrap())
        }
        Outcome::Response(payload) => {
            let document: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(document["statusCode"], 200, "{document}\n{}", sandbox.logs());
            (false, serde_json::from_str(document["body"].as_str().unwrap()).unwrap())
        }
        other => panic!("unexpected {}\n{}", common::describe(&other), sandbox.logs()),
    }
}

fn assert_public_statements(deployed: &Deployed) {
    let url = &deployed.statements["FunctionURLAllowPublicAccess"];
    assert_eq!(url["Action"], "lambda:InvokeFunctionUrl", "{url}");
    assert_eq!(url["Principal"], "*", "{url}");
    // moto keeps AddPermission's condition fields as sent; AWS turns them into Condition blocks.
    assert_eq!(url["FunctionUrlAuthType"], "NONE", "{url}");
    let invoke = &deployed.statements["FunctionURLInvokeAllowPublicAccess"];
    assert_eq!(invoke["Action"], "lambda:InvokeFunction", "{invoke}");
    assert_eq!(invoke["Principal"], "*", "{invoke}");
    assert_eq!(invoke["InvokedViaFunctionUrl"], true, "{invoke}");
    assert_eq!(deployed.statements.len(), 2, "{:?}", deployed.statements);
}

#[tokio::test]
async fn a_go_app_deploys_to_a_public_streaming_url_and_redeploys_in_place() {
    static_binary();
    let (work, dir) = copy_app(&repo().join("examples/go-http"), "go-seed");
    let shown = deploy(&dir, &["--", "go", "run", "."]).await;
    shown.succeeded();
    for step in [
        "packaging a Go app (go.mod)",
        "adapter layer",
        "execution role",
        "function go-seed",
        "Function URL",
    ] {
        assert!(shown.stderr.contains(step), "no step `{step}` on stderr:\n{}", shown.stderr);
    }
    assert!(
        shown.stderr.contains("uploading the function's code"),
        "no upload progress:\n{}",
        shown.stderr
    );
    let deployed = read_back("go-seed").await;
    assert_eq!(
        shown.url(),
        deployed.url,
        "the last line of stdout is not the URL:\n{}",
        shown.stdout
    );
    assert!(deployed.url.starts_with("https://") && deployed.url.contains(".lambda-url.us-east-1.on.aws"));
    assert_eq!(
        (deployed.runtime.as_str(), deployed.handler.as_str()),
        ("provided.al2023", "bootstrap")
    );
    assert_eq!((deployed.memory, deployed.timeout), (512, 30));
    assert_eq!(deployed.env.get("PORT").map(String::as_str), Some("8080"));
    assert_eq!(deployed.env.get("AWS_LWA_INVOKE_MODE").map(String::as_str), Some("response_stream"));
    assert!(deployed.layers[0].contains(":layer:lambda-adapter:"), "{:?}", deployed.layers);
    assert_eq!(
        (deployed.auth_type.as_str(), deployed.invoke_mode.as_str()),
        ("NONE", "RESPONSE_STREAM")
    );
    assert_public_statements(&deployed);
    assert_role(&deployed.role, "lambda-adapter-go-seed").await;

    // The uploaded zips, run as Lambda runs them: the app answers, streamed.
    let code = moto().function_zip("go-seed");
    assert_eq!(deploy_cli_support::zip_function::mode_in_zip(&code, "bootstrap"), Some(0o755));
    deploy_cli_support::zip_function::extract(&code, &work.join("check"));
    let linking = deploy_support::elf::linking(&work.join("check/bootstrap"));
    assert_eq!(linking.interpreter, None, "the Go bootstrap is not static");
    let sandbox = run_deployed("go-seed", &deployed, &TempDir::new("go-run")).await;
    let (streamed, body) = ask(&sandbox, "/").await;
    assert!(streamed, "a response_stream function answered buffered");
    assert_eq!(body["app"], "go", "{body}");
    drop(sandbox);

    // Unchanged: same URL, no new layer version, no duplicate statement.
    let versions = layer_versions().await;
    let again = deploy(&dir, &[]).await;
    again.succeeded();
    assert!(again.stderr.contains("already has this adapter"), "{}", again.stderr);
    assert!(!again.stderr.contains("published lambda-adapter"), "{}", again.stderr);
    let redeployed = read_back("go-seed").await;
    assert_eq!(again.url(), deployed.url);
    assert_eq!(layer_versions().await, versions, "an unchanged layer was published again");
    assert_eq!(redeployed.code_sha256, deployed.code_sha256, "the same source built different code");
    assert_public_statements(&redeployed);

    // Changed: the new code runs, at the same URL.
    let main = dir.join("main.go");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        source.replace(r#""app":           "go","#, r#""app":           "go, changed","#),
    )
    .unwrap();
    let changed = deploy(&dir, &[]).await;
    changed.succeeded();
    let after = read_back("go-seed").await;
    assert_eq!(changed.url(), deployed.url);
    assert_ne!(after.code_sha256, deployed.code_sha256);
    let sandbox = run_deployed("go-seed", &after, &TempDir::new("go-run-changed")).await;
    assert_eq!(ask(&sandbox, "/").await.1["app"], "go, changed");
    drop(sandbox);

    // Buffered, signed requests only, and the user's variables: the public statements go.
    let options = deploy(
        &dir,
        &["--buffered", "--auth", "iam", "--env", "GREETING=hi there", "--memory", "1024"],
    )
    .await;
    options.succeeded();
    let iam = read_back("go-seed").await;
    assert_eq!(options.url(), deployed.url);
    assert_eq!(iam.auth_type, "AWS_IAM");
    // moto's UpdateFunctionUrlConfig keeps the old InvokeMode whatever it is sent: check what was sent.
    let update = moto().last_request(|path, _| path == "/2021-10-31/functions/go-seed/url").unwrap();
    assert_eq!(
        (update["AuthType"].as_str(), update["InvokeMode"].as_str()),
        (Some("AWS_IAM"), Some("BUFFERED")),
        "{update}"
    );
    assert!(
        iam.statements.is_empty(),
        "public statements left with --auth iam: {:?}",
        iam.statements
    );
    assert_eq!(iam.env.get("GREETING").map(String::as_str), Some("hi there"));
    assert_eq!(iam.env.get("AWS_LWA_INVOKE_MODE"), None, "{:?}", iam.env);
    assert_eq!(iam.memory, 1024);
    let sandbox = run_deployed("go-seed", &iam, &TempDir::new("go-run-buffered")).await;
    let (streamed, body) = ask(&sandbox, "/").await;
    assert!(!streamed, "a buffered function streamed");
    assert_eq!(body["app"], "go, changed");
}

async fn assert_role(arn: &str, name: &str) {
    let (_, iam) = clients(&moto().endpoint).await;
    assert!(arn.ends_with(&format!(":role/{name}")), "{arn}");
    let role = iam.get_role().role_name(name).send().await.unwrap();
    let document = role.role().unwrap().assume_role_policy_document().unwrap().to_string();
    let document = percent_encoding::percent_decode_str(&document).decode_utf8_lossy().into_owned();
    let trust: Value = serde_json::from_str(&document).unwrap();
    assert_eq!(trust["Statement"][0]["Principal"]["Service"], "lambda.amazonaws.com", "{trust}");
    assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole", "{trust}");
    let attached = iam.list_attached_role_policies().role_name(name).send().await.unwrap();
    let arns: Vec<_> = attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
    assert_eq!(arns, ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
}

const PYTHON_APP: &str = r#"import json, os, six
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"app": "python", "six": six.__version__, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"#;

#[tokio::test]
async fn a_python_app_deploys_with_its_dependencies_built_for_lambda() {
    static_binary();
    let (_work, dir) = app_with("py-app", &[("app.py", PYTHON_APP), ("requirements.txt", "six==1.17.0\n")]);
    let shown = deploy(&dir, &["--", "python3", "app.py"]).await;
    shown.succeeded();
    assert!(
        shown
            .stderr
            .contains("packaging a Python app (requirements.txt): python3.13, handler run.sh"),
        "{}",
        shown.stderr
    );
    let deployed = read_back("py-app").await;
    assert_eq!(shown.url(), deployed.url);
    assert_eq!((deployed.runtime.as_str(), deployed.handler.as_str()), ("python3.13", "run.sh"));
    assert_eq!(
        deployed.env.get("AWS_LAMBDA_EXEC_WRAPPER").map(String::as_str),
        Some("/opt/bootstrap")
    );
    let code = moto().function_zip("py-app");
    assert_eq!(deploy_cli_support::zip_function::mode_in_zip(&code, "run.sh"), Some(0o755));
    assert!(
        deploy_cli_support::zip_function::mode_in_zip(&code, "six.py").is_some(),
        "six was not installed"
    );
    let sandbox = run_deployed("py-app", &deployed, &TempDir::new("py-run")).await;
    let (streamed, body) = ask(&sandbox, "/hello").await;
    assert!(streamed);
    assert_eq!(
        (body["app"].as_str(), body["six"].as_str(), body["path"].as_str()),
        (Some("python"), Some("1.17.0"), Some("/hello"))
    );
}

const NODE_SERVER: &str = r#"const http = require("http");
http.createServer((req, res) => {
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ app: "node", path: req.url, env: process.env.NODE_GREETING || null }));
}).listen(Number(process.env.PORT), "127.0.0.1");
"#;

const NODE_PACKAGE: &str = r#"{"name": "node-app", "version": "1.0.0", "private": true, "scripts": {"start": "node server.js"}}"#;
const NODE_LOCK: &str = r#"{"name": "node-app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "node-app", "version": "1.0.0"}}}"#;

#[tokio::test]
async fn a_node_app_deploys_with_its_npm_start_script() {
    static_binary();
    let (_work, dir) = app_with(
        "node-app",
        &[
            ("server.js", NODE_SERVER),
            ("package.json", NODE_PACKAGE),
            ("package-lock.json", NODE_LOCK),
        ],
    );
    let shown = deploy(&dir, &["--env", "NODE_GREETING=hello"]).await;
    shown.succeeded();
    let deployed = read_back("node-app").await;
    assert_eq!((deployed.runtime.as_str(), deployed.handler.as_str()), ("nodejs22.x", "run.sh"));
    assert_eq!(
        deployed.env.get("AWS_LAMBDA_EXEC_WRAPPER").map(String::as_str),
        Some("/opt/bootstrap")
    );
    let sandbox = run_deployed("node-app", &deployed, &TempDir::new("node-run")).await;
    let (_, body) = ask(&sandbox, "/x").await;
    assert_eq!(
        (body["app"].as_str(), body["path"].as_str(), body["env"].as_str()),
        (Some("node"), Some("/x"), Some("hello"))
    );
}

#[tokio::test]
async fn an_image_becomes_an_image_function_with_the_same_url_and_policy() {
    let (_work, dir) = app_with("image-app", &[("README", "built elsewhere\n")]);
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/image-app:latest";
    let shown = deploy(&dir, &["--image", image]).await;
    shown.succeeded();
    let deployed = read_back("image-app").await;
    assert_eq!(deployed.package_type, "Image");
    assert!(deployed.layers.is_empty(), "an image function got layers: {:?}", deployed.layers);
    assert_eq!(deployed.env.get("AWS_LWA_INVOKE_MODE").map(String::as_str), Some("response_stream"));
    assert_eq!(shown.url(), deployed.url);
    assert_public_statements(&deployed);
    // A zip deploy over it is refused, with what to do.
    let (_zip_work, zip_dir) = app_with("image-app", &[("main.py", "")]);
    let refused = deploy(&zip_dir, &["--", "python3", "main.py"]).await;
    assert_eq!(refused.code, Some(1));
    assert!(
        refused
            .stderr
            .contains("exists as an image function and Lambda cannot turn it into a zip function"),
        "{}",
        refused.stderr
    );
}

#[tokio::test]
async fn a_run_stopped_between_steps_is_finished_by_the_next() {
    // What a run stopped by Ctrl-C can leave: the role without its policy (stopped after CreateRole), the
    // function (after CreateFunction), its URL and one of the two statements (between the AddPermissions).
    static_binary();
    let (lambda, iam) = clients(&moto().endpoint).await;
    let role = iam
        .create_role()
        .role_name("lambda-adapter-halfway")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap();
    let old_code = deploy_cli_support::zip_function::zip_of(&[("bootstrap", "#!/bin/sh\nexit 1\n")]);
    lambda
        .create_function()
        .function_name("halfway")
        .role(role.role().unwrap().arn())
        .runtime(aws_sdk_lambda::types::Runtime::from("provided.al2023"))
        .handler("bootstrap")
        .code(aws_sdk_lambda::types::FunctionCode::builder().zip_file(old_code.into()).build())
        .send()
        .await
        .unwrap();
    let url = lambda
        .create_function_url_config()
        .function_name("halfway")
        .auth_type(aws_sdk_lambda::types::FunctionUrlAuthType::None)
        .invoke_mode(aws_sdk_lambda::types::InvokeMode::ResponseStream)
        .send()
        .await
        .unwrap();
    lambda
        .add_permission()
        .function_name("halfway")
        .statement_id("FunctionURLAllowPublicAccess")
        .action("lambda:InvokeFunctionUrl")
        .principal("*")
        .function_url_auth_type(aws_sdk_lambda::types::FunctionUrlAuthType::None)
        .send()
        .await
        .unwrap();

    let (_work, dir) = app_with("halfway", &[("app.py", PYTHON_APP), ("requirements.txt", "six==1.17.0\n")]);
    let shown = deploy(&dir, &["--", "python3", "app.py"]).await;
    shown.succeeded();
    assert!(shown.stderr.contains("role lambda-adapter-halfway exists"), "{}", shown.stderr);
    let deployed = read_back("halfway").await;
    assert_eq!(shown.url(), url.function_url(), "the URL changed");
    assert_eq!((deployed.runtime.as_str(), deployed.handler.as_str()), ("python3.13", "run.sh"));
    assert_public_statements(&deployed);
    assert_role(&deployed.role, "lambda-adapter-halfway").await;
    let sandbox = run_deployed("halfway", &deployed, &TempDir::new("halfway-run")).await;
    assert_eq!(ask(&sandbox, "/").await.1["app"], "python");
}
