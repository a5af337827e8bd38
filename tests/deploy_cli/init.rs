//! `lambda-adapter init`: the SAM project it writes passes `sam validate --lint`, and `sam build` succeeds
//! with no network at all (in a network namespace of its own, `unshare -n`) and no Docker, building the layer
//! from this source tree with the target directory the tests already built (no recompilation). SAM's own
//! translator shows what the template becomes: the Function URL and both public policy statements.

use crate::deploy_cli_support::{Shown, app_with, command, copy_app, run};
use crate::deploy_support::{elf, repo, static_binary};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tool from the test peers' virtual environment (scripts/test.sh installs it), or from PATH.
fn peer(tool: &str) -> PathBuf {
    let venv = repo().join("target/test-peers/venv/bin").join(tool);
    if venv.exists() { venv } else { PathBuf::from(tool) }
}

async fn shown(mut command: Command) -> Shown {
    tokio::task::spawn_blocking(move || run(&mut command)).await.unwrap()
}

async fn init(dir: &Path, args: &[&str]) -> Shown {
    let mut full = vec!["init"];
    full.extend_from_slice(args);
    shown(command(dir, "http://127.0.0.1:9", &full)).await
}

/// `sam ARGS` in `dir`, offline when `offline`; what it showed.
async fn sam(dir: &Path, args: &[&str], offline: bool) -> Shown {
    let mut command = if offline {
        let mut command = Command::new("unshare");
        command.arg("-n").arg(peer("sam"));
        command
    } else {
        Command::new(peer("sam"))
    };
    let go = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go");
    let venv_bin = repo().join("target/test-peers/venv/bin");
    command
        .args(args)
        .current_dir(dir)
        .env(
            "PATH",
            format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap_or_default()),
        )
        .env("SAM_CLI_TELEMETRY", "0")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CARGO_NET_OFFLINE", "true")
        .env("GOCACHE", go.join("cache"))
        .env("GOPATH", go.join("path"))
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .stdin(std::process::Stdio::null());
    shown(command).await
}

/// What SAM's translator makes of the template's Function URL and permissions.
fn translated(dir: &Path) -> Vec<Value> {
    let script = r#"
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
template = yaml_parse(open(sys.argv[1]).read())
# The translator wants the S3 locations sam deploy would have uploaded to.
for resource in template["Resources"].values():
    for key in ("CodeUri", "ContentUri"):
        if key in resource.get("Properties", {}):
            resource["Properties"][key] = "s3://bucket/key"
class NoManagedPolicies:
    def load(self):
        return {}
out = transform(template, {}, NoManagedPolicies())
print(json.dumps([dict(v["Properties"], Type=v["Type"]) for v in out["Resources"].values()
                  if v["Type"] in ("AWS::Lambda::Url", "AWS::Lambda::Permission")]))
"#;
    let printed = crate::deploy_support::run(
        Command::new(peer("python3"))
            .arg("-c")
            .arg(script)
            .arg(dir.join("template.yaml"))
            .env("AWS_DEFAULT_REGION", "us-east-1"),
        "SAM's translator",
        std::time::Duration::from_secs(120),
    );
    serde_json::from_str(printed.trim()).unwrap()
}

#[tokio::test]
async fn init_writes_a_go_sam_project_that_lints_and_builds_offline() {
    static_binary();
    let (_work, dir) = copy_app(&repo().join("examples/go-http"), "go-sam");
    // The example has a Makefile of its own: init leaves it alone and says so.
    let refused = init(&dir, &[]).await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("Makefile exists and was not written by init: move it away"),
        "{}",
        refused.stderr
    );
    assert!(!dir.join("template.yaml").exists(), "init wrote files before refusing");
    std::fs::remove_file(dir.join("Makefile")).unwrap();
    init(&dir, &[]).await.succeeded();
    // Run again, it rewrites its own files.
    init(&dir, &[]).await.succeeded();
    let template = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    for line in [
        "Runtime: provided.al2023",
        "Handler: bootstrap",
        "BuildMethod: makefile",
        "AWS_LWA_INVOKE_MODE: \"response_stream\"",
        "PORT: \"8080\"",
    ] {
        assert!(template.contains(line), "no `{line}` in template.yaml:\n{template}");
    }

    let lint = sam(&dir, &["validate", "--lint"], false).await;
    assert_eq!(lint.code, Some(0), "sam validate --lint:\n{}\n{}", lint.stdout, lint.stderr);
    let build = sam(&dir, &["build"], true).await;
    assert_eq!(build.code, Some(0), "sam build (offline):\n{}\n{}", build.stdout, build.stderr);
    let built = dir.join(".aws-sam/build");
    assert_eq!(
        elf::linking(&built.join("App/bootstrap")).interpreter,
        None,
        "the Go bootstrap is not static"
    );
    let adapter = built.join("AdapterLayer/extensions/lambda-adapter");
    assert_eq!(elf::linking(&adapter).interpreter, None, "the layer's adapter is not static");
    assert_eq!(
        std::fs::read(&adapter).unwrap(),
        std::fs::read(static_binary()).unwrap(),
        "the layer is not this tree's static build"
    );
    assert!(built.join("AdapterLayer/bootstrap").is_file());

    let resources = translated(&dir);
    let url = resources.iter().find(|r| r["Type"] == "AWS::Lambda::Url").unwrap();
    assert_eq!(
        (url["AuthType"].as_str(), url["InvokeMode"].as_str()),
        (Some("NONE"), Some("RESPONSE_STREAM")),
        "{url}"
    );
    let actions: Vec<(String, Value)> = resources
        .iter()
        .filter(|r| r["Type"] == "AWS::Lambda::Permission")
        .map(|r| (r["Action"].as_str().unwrap_or_default().to_string(), r.clone()))
        .collect();
    assert!(
        actions
            .iter()
            .any(|(a, r)| a == "lambda:InvokeFunctionUrl" && r["FunctionUrlAuthType"] == "NONE"),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(a, r)| a == "lambda:InvokeFunction" && r["InvokedViaFunctionUrl"] == true),
        "{actions:?}"
    );
}

#[tokio::test]
async fn init_writes_a_python_project_with_the_same_options_as_deploy() {
    static_binary();
    let (_work, dir) = app_with("py-sam", &[("app.py", "print('the app')\n")]);
    let shown = init(
        &dir,
        &[
            "--buffered",
            "--auth",
            "iam",
            "--env",
            "MODE=sam",
            "--memory",
            "256",
            "--",
            "python3",
            "app.py",
        ],
    )
    .await;
    shown.succeeded();
    let template = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
    for line in [
        "Runtime: python3.13",
        "Handler: run.sh",
        "AWS_LAMBDA_EXEC_WRAPPER: \"/opt/bootstrap\"",
        "MODE: \"sam\"",
        "MemorySize: 256",
        "AuthType: AWS_IAM",
        "InvokeMode: BUFFERED",
    ] {
        assert!(template.contains(line), "no `{line}` in template.yaml:\n{template}");
    }
    assert!(!template.contains("AWS_LWA_INVOKE_MODE"), "{template}");
    let run_sh = std::fs::read_to_string(dir.join("run.sh")).unwrap();
    assert!(run_sh.ends_with("exec 'python3' 'app.py'\n"), "{run_sh}");
    let lint = sam(&dir, &["validate", "--lint"], false).await;
    assert_eq!(lint.code, Some(0), "sam validate --lint:\n{}\n{}", lint.stdout, lint.stderr);
    let build = sam(&dir, &["build"], true).await;
    assert_eq!(build.code, Some(0), "sam build (offline):\n{}\n{}", build.stdout, build.stderr);
    let app = dir.join(".aws-sam/build/App");
    assert!(app.join("app.py").is_file(), "the app's files are not in the build");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(app.join("run.sh")).unwrap().permissions());
    assert_eq!(mode & 0o111, 0o111, "run.sh is not executable in the build ({mode:o})");
    let resources = translated(&dir);
    assert!(
        resources.iter().all(|r| r["Type"] != "AWS::Lambda::Permission"),
        "public statements with AWS_IAM: {resources:?}"
    );
}
