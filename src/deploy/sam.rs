//! `lambda-adapter init`: the deployment `deploy` makes, written as a SAM project for those who keep
//! infrastructure as code. The app is detected the same way (app.rs) and gets the same runtime, handler,
//! start script, environment and Function URL; the layer is built from this source tree with
//! `BuildMethod: makefile` (scripts/build-layer.sh), and the function's Makefile packages the app as
//! package.rs does (Go built static for Linux; pip's manylinux wheels; `npm ci --omit=dev`).
//!
//! Files are written only where none exists or where the existing one was written by `init` (it carries
//! [`MARKER`]); anything else is left alone and reported, so a user's own Makefile is never overwritten.

use std::path::{Path, PathBuf};

use super::adapter;
use super::app::{self, App, Kind};
use super::args::{Arch, Options};
use super::error::DeployError;
use super::package;

/// The first comment of every file `init` writes.
pub(super) const MARKER: &str = "Written by lambda-adapter init";

/// The function's logical id; SAM names its Function URL resource `AppUrl`.
const LOGICAL_ID: &str = "App";

/// Writes the SAM project for `options`.
pub(super) fn init(options: &Options) -> Result<(), DeployError> {
    let app = app::detect(&options.dir, &options.command)?;
    let mut files: Vec<(PathBuf, String)> = vec![
        (options.dir.join("template.yaml"), template(options, &app)),
        (options.dir.join("Makefile"), function_makefile(options, &app)),
        (options.dir.join("adapter-layer/Makefile"), layer_makefile(options.arch)),
        (options.dir.join("samconfig.toml"), samconfig(options)),
    ];
    if app.kind != Kind::Go {
        let script = package::script(app.kind.handler(), &app);
        let text = String::from_utf8_lossy(&script.data).replace("lambda-adapter:", &format!("{MARKER}:"));
        files.push((options.dir.join(app.kind.handler()), text));
    }
    for (path, _) in &files {
        refuse_foreign(path)?;
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| DeployError::io("create", parent, error))?;
        }
        std::fs::write(path, text).map_err(|error| DeployError::io("write", path, error))?;
        if path.file_name().is_some_and(|n| n == "run.sh" || n == "bootstrap") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
                .map_err(|error| DeployError::io("make executable", path, error))?;
        }
        eprintln!("wrote {}", path.display());
    }
    eprintln!(
        "a {} app ({}) on {}: from {}, run `sam build && sam deploy --guided`",
        app.kind.label(),
        app.found,
        app.kind.runtime(),
        options.dir.display()
    );
    Ok(())
}

/// Refuses to replace a file `init` did not write.
fn refuse_foreign(path: &Path) -> Result<(), DeployError> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.contains(MARKER) => Err(DeployError::WouldOverwrite { path: path.to_path_buf() }),
        _ => Ok(()),
    }
}

fn yaml_string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

/// template.yaml: the layer, the function and its URL.
pub(super) fn template(options: &Options, app: &App) -> String {
    let arch = options.arch.lambda_name();
    let env = super::environment(options, Some(app.kind));
    let variables: String = env.iter().map(|(k, v)| format!("          {k}: {}\n", yaml_string(v))).collect();
    let mode = if options.buffered { "BUFFERED" } else { "RESPONSE_STREAM" };
    format!(
        "# {MARKER}: the deployment `lambda-adapter deploy` makes, as a SAM project.
# sam build && sam deploy --guided (samconfig.toml keeps the answers)
AWSTemplateFormatVersion: \"2010-09-09\"
Transform: AWS::Serverless-2016-10-31
Description: {description}

Resources:
  # lambda-adapter as a layer, built from its source by adapter-layer/Makefile (scripts/build-layer.sh).
  AdapterLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: lambda-adapter
      Description: lambda-adapter, built from source (static binary and exec wrapper)
      ContentUri: adapter-layer/
      CompatibleArchitectures:
        - {arch}
      RetentionPolicy: Delete
    Metadata:
      BuildMethod: makefile
      BuildArchitecture: {arch}

  # The app: {kind} ({found}), packaged by ./Makefile.
  {LOGICAL_ID}:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Runtime: {runtime}
      Handler: {handler}
      Architectures:
        - {arch}
      MemorySize: {memory}
      Timeout: {timeout}
      Layers:
        - !Ref AdapterLayer
      Environment:
        Variables:
{variables}      # With AuthType NONE, SAM adds both resource-policy statements a public URL needs since October 2025
      # (lambda:InvokeFunctionUrl, and lambda:InvokeFunction with InvokedViaFunctionUrl) in recent SAM CLIs (1.170 does).
      FunctionUrlConfig:
        AuthType: {auth}
        InvokeMode: {mode}
    Metadata:
      BuildMethod: makefile

Outputs:
  Url:
    Description: The app's Function URL
    Value: !GetAtt {LOGICAL_ID}Url.FunctionUrl
",
        description = yaml_string(&format!("{}: a web app behind lambda-adapter, with a Function URL", options.name)),
        kind = app.kind.label(),
        found = app.found,
        runtime = app.kind.runtime(),
        handler = app.kind.handler(),
        memory = options.memory,
        timeout = options.timeout,
        auth = options.auth.auth_type(),
    )
}

/// ./Makefile: `build-App`, which SAM runs with ARTIFACTS_DIR set.
fn function_makefile(options: &Options, app: &App) -> String {
    let copy = "\ttar -c --exclude=./.git --exclude=./.aws-sam --exclude=./.venv --exclude=./venv --exclude=./node_modules \
                --exclude=./adapter-layer --exclude=./__pycache__ -f - . | tar -x -C \"$(ARTIFACTS_DIR)\"\n";
    let recipe = match app.kind {
        Kind::Go => format!(
            "\tCGO_ENABLED=0 GOOS=linux GOARCH={} go build -trimpath -ldflags='-s -w' -o \"$(ARTIFACTS_DIR)/bootstrap\" .\n",
            options.arch.go_name()
        ),
        Kind::Python => format!(
            "{copy}\tif [ -f requirements.txt ]; then python3 -m pip install --quiet --disable-pip-version-check \
             --platform {} --implementation cp --python-version {} --only-binary=:all: --target \"$(ARTIFACTS_DIR)\" \
             -r requirements.txt; fi\n",
            options.arch.manylinux(),
            Kind::Python.runtime().trim_start_matches("python"),
        ),
        Kind::Node => format!(
            "{copy}\tif [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ]; then cd \"$(ARTIFACTS_DIR)\" && npm ci \
             --omit=dev --no-audit --no-fund; fi\n"
        ),
        Kind::Command => copy.to_string(),
    };
    format!(
        "# {MARKER}. `sam build` (BuildMethod: makefile) runs build-{LOGICAL_ID} with ARTIFACTS_DIR set; what it puts
# there is the function's code, /var/task on Lambda.
build-{LOGICAL_ID}:
{recipe}"
    )
}

/// adapter-layer/Makefile: the layer, from the source tree `init` was built from (ROOT=... to change it).
fn layer_makefile(arch: Arch) -> String {
    let root = adapter::source_tree()
        .map(|root| root.display().to_string())
        .unwrap_or_else(|| "/path/to/lambda-adapter".to_string());
    format!(
        "# {MARKER}. `sam build` runs build-AdapterLayer with ARTIFACTS_DIR set; what it puts there is the layer,
# which Lambda extracts into /opt: extensions/lambda-adapter (the static build) and bootstrap (the exec wrapper).
# ROOT is lambda-adapter's source: `sam build` with ROOT=/path/to/lambda-adapter in the environment changes it.
ROOT ?= {root}
ARCH ?= {arch}

build-AdapterLayer:
\t@test -x \"$(ROOT)/scripts/build-layer.sh\" || {{ echo \"lambda-adapter's source is not at $(ROOT): run sam build with ROOT=/path/to/lambda-adapter\" >&2; exit 1; }}
\t\"$(ROOT)/scripts/build-layer.sh\" --arch \"$(ARCH)\" \"$(ARTIFACTS_DIR)\"
",
        arch = arch.rust_name()
    )
}

/// samconfig.toml: the stack's name and what `sam deploy` must be allowed to do (create the role).
fn samconfig(options: &Options) -> String {
    format!(
        "# {MARKER}.
version = 0.1

[default.deploy.parameters]
stack_name = \"{name}\"
resolve_s3 = true
capabilities = \"CAPABILITY_IAM\"
confirm_changeset = true
",
        name = options.name
    )
}
