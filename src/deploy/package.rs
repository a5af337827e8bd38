//! The function's code as Lambda wants it: a zip whose root is `/var/task`.
//!
//! Go is built here for Linux (static, `CGO_ENABLED=0`) as `bootstrap`. Python and Node ship the folder's
//! files, their dependencies installed for Lambda rather than for this machine (pip's `--platform` with
//! manylinux wheels only; `npm ci --omit=dev` in a copy, so the user's own node_modules is left alone), and a
//! generated `run.sh` that the layer's exec wrapper runs. Anything else ships the folder with a generated
//! `bootstrap` that execs the start command. The user's folder is only read: every build happens in a
//! scratch folder that is removed afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::app::{App, Kind};
use super::args::Arch;
use super::error::DeployError;
use super::zip::{self, Entry};

/// Folders never shipped: version control, build output, local environments and installed dependencies
/// (installed again for Lambda where needed).
const SKIPPED: &[&str] = &[
    ".git",
    ".hg",
    ".aws-sam",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".DS_Store",
];

/// The largest zip Lambda takes in a direct upload (CreateFunction's and PublishLayerVersion's ZipFile).
pub(super) const DIRECT_UPLOAD_LIMIT: usize = 50 * 1024 * 1024;

/// Builds the function's zip for `app` in `dir`.
pub(super) fn function_zip(app: &App, dir: &Path, arch: Arch) -> Result<Vec<u8>, DeployError> {
    let scratch = Scratch::new()?;
    let mut entries = Vec::new();
    match app.kind {
        Kind::Go => {
            let bootstrap = scratch.0.join("bootstrap");
            go_build(dir, &bootstrap, arch)?;
            entries.push(file_entry(&bootstrap, "bootstrap")?);
        }
        Kind::Python => {
            collect(dir, dir, &mut entries)?;
            let deps = scratch.0.join("python");
            pip_install(dir, &deps, arch)?;
            if deps.is_dir() {
                collect(&deps, &deps, &mut entries)?;
            }
            entries.push(script("run.sh", app));
        }
        Kind::Node => {
            let copy = scratch.0.join("node");
            let lockfile = ["package-lock.json", "npm-shrinkwrap.json"].iter().any(|f| dir.join(f).is_file());
            if lockfile {
                copy_tree(dir, &copy)?;
                run_tool(
                    Command::new("npm")
                        .args(["ci", "--omit=dev", "--no-audit", "--no-fund"])
                        .current_dir(&copy),
                    "npm",
                    "npm ci --omit=dev (the app's dependencies)",
                    "to install the Node app's dependencies; install Node.js with npm",
                )?;
                collect(&copy, &copy, &mut entries)?;
                let modules = copy.join("node_modules");
                if modules.is_dir() {
                    collect_all(&modules, &copy, &mut entries)?;
                }
            } else {
                // No lockfile: ship what the user installed, as it is.
                collect(dir, dir, &mut entries)?;
                let modules = dir.join("node_modules");
                if modules.is_dir() {
                    collect_all(&modules, dir, &mut entries)?;
                }
            }
            entries.push(script("run.sh", app));
        }
        Kind::Command => {
            collect(dir, dir, &mut entries)?;
            entries.push(script("bootstrap", app));
        }
    }
    let zip = zip::write(entries).map_err(|error| DeployError::io("zip", dir, std::io::Error::other(error)))?;
    if zip.len() > DIRECT_UPLOAD_LIMIT {
        return Err(DeployError::TooLarge {
            what: "function's",
            bytes: zip.len(),
            limit: DIRECT_UPLOAD_LIMIT,
        });
    }
    Ok(zip)
}

/// The generated start script: `run.sh` for the exec wrapper, or `bootstrap` for provided.al2023.
pub(super) fn script(name: &str, app: &App) -> Entry {
    Entry {
        name: name.to_string(),
        data: script_text(app).into_bytes(),
        mode: 0o755,
    }
}

/// The text of the start script for `app`.
pub(super) fn script_text(app: &App) -> String {
    let mut text = format!(
        "#!/bin/sh\n# Written by lambda-adapter: the function's handler on {}. It starts the web app, which listens on \
         $PORT;\n# lambda-adapter (the layer's extension) turns each invocation into a request to it.\n",
        app.kind.runtime()
    );
    text.push_str("cd \"${LAMBDA_TASK_ROOT:-$(dirname \"$0\")}\" || exit 1\n");
    match app.kind {
        Kind::Python => text.push_str(
            "# Dependencies were installed into the code's root (pip --target).\nexport \
             PYTHONPATH=\"$PWD${PYTHONPATH:+:$PYTHONPATH}\"\nexport PATH=\"$PWD/bin:$PATH\"\n",
        ),
        Kind::Node => text.push_str("export PATH=\"$PWD/node_modules/.bin:$PATH\"\n"),
        Kind::Go | Kind::Command => {}
    }
    let quoted: Vec<String> = app.start.iter().map(|arg| shell_quote(arg)).collect();
    text.push_str(&format!("exec {}\n", quoted.join(" ")));
    text
}

/// `arg` in single quotes for sh.
pub(super) fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', "'\\''"))
}

fn go_build(dir: &Path, out: &Path, arch: Arch) -> Result<(), DeployError> {
    run_tool(
        Command::new("go")
            .args(["build", "-trimpath", "-ldflags=-s -w", "-o"])
            .arg(out)
            .arg(".")
            .current_dir(dir)
            .env("CGO_ENABLED", "0")
            .env("GOOS", "linux")
            .env("GOARCH", arch.go_name()),
        "go",
        "go build (the app, as bootstrap for Linux)",
        "to build the Go app; install Go (https://go.dev/dl/, or Debian's golang-go)",
    )
    .map(|_| ())
}

fn pip_install(dir: &Path, target: &Path, arch: Arch) -> Result<(), DeployError> {
    let requirements = dir.join("requirements.txt");
    let mut wanted: Vec<String> = Vec::new();
    if requirements.is_file() {
        wanted.push("-r".into());
        wanted.push(requirements.display().to_string());
    } else if dir.join("pyproject.toml").is_file() {
        // [project].dependencies, read by Python's own TOML parser.
        let listing = run_tool(
            Command::new("python3")
                .arg("-c")
                .arg("import sys, tomllib\nfor d in tomllib.load(open(sys.argv[1], 'rb')).get('project', {}).get('dependencies', []):\n    print(d)")
                .arg(dir.join("pyproject.toml")),
            "python3",
            "reading pyproject.toml's [project] dependencies",
            "to read pyproject.toml and install the app's dependencies; install Python 3.11 or later",
        )?;
        wanted.extend(listing.lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let python_version = Kind::Python.runtime().trim_start_matches("python");
    run_tool(
        Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"])
            .args([
                "--platform",
                arch.manylinux(),
                "--implementation",
                "cp",
                "--python-version",
                python_version,
            ])
            .args(["--only-binary=:all:", "--target"])
            .arg(target)
            .args(&wanted)
            .current_dir(dir),
        "python3",
        "pip install (the app's dependencies, as wheels for Lambda's platform)",
        "to install the Python app's dependencies; install Python 3 with pip",
    )?;
    Ok(())
}

/// Runs a tool; its standard output on success, its whole output in the error otherwise.
fn run_tool(command: &mut Command, tool: &'static str, what: &str, need: &'static str) -> Result<String, DeployError> {
    let output = command.stdin(Stdio::null()).output().map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => DeployError::ToolMissing { tool, need },
        _ => DeployError::io(format!("run {tool} for"), PathBuf::from(tool), error),
    })?;
    if !output.status.success() {
        return Err(DeployError::ToolFailed {
            what: what.to_string(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn file_entry(path: &Path, name: &str) -> Result<Entry, DeployError> {
    use std::os::unix::fs::PermissionsExt;
    let data = std::fs::read(path).map_err(|error| DeployError::io("read", path, error))?;
    let mode = std::fs::metadata(path)
        .map_err(|error| DeployError::io("read", path, error))?
        .permissions()
        .mode();
    Ok(Entry {
        name: name.to_string(),
        data,
        mode: if mode & 0o111 != 0 { 0o755 } else { 0o644 },
    })
}

/// Every file under `dir` except the skipped folders, named relative to `root`.
fn collect(dir: &Path, root: &Path, entries: &mut Vec<Entry>) -> Result<(), DeployError> {
    walk(dir, root, entries, true)
}

/// Every file under `dir`, skipping nothing (an installed node_modules).
fn collect_all(dir: &Path, root: &Path, entries: &mut Vec<Entry>) -> Result<(), DeployError> {
    walk(dir, root, entries, false)
}

fn walk(dir: &Path, root: &Path, entries: &mut Vec<Entry>, skip: bool) -> Result<(), DeployError> {
    let listing = std::fs::read_dir(dir).map_err(|error| DeployError::io("read", dir, error))?;
    for item in listing {
        let item = item.map_err(|error| DeployError::io("read", dir, error))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if skip && SKIPPED.contains(&name.as_str()) {
            continue;
        }
        let path = item.path();
        // Symbolic links are followed; a broken one is left out.
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            walk(&path, root, entries, skip)?;
        } else if meta.is_file() {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            entries.push(file_entry(&path, &name.join("/"))?);
        }
    }
    Ok(())
}

/// Copies `from` into `to`, leaving out the skipped folders.
fn copy_tree(from: &Path, to: &Path) -> Result<(), DeployError> {
    let mut entries = Vec::new();
    collect(from, from, &mut entries)?;
    for entry in entries {
        let path = to.join(&entry.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| DeployError::io("create", parent, error))?;
        }
        std::fs::write(&path, &entry.data).map_err(|error| DeployError::io("write", &path, error))?;
    }
    Ok(())
}

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, DeployError> {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("lambda-adapter-deploy-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|error| DeployError::io("create", &path, error))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_script_quotes_each_argument() {
        let app = App {
            kind: Kind::Python,
            found: String::new(),
            start: vec!["python3".into(), "it's.py".into()],
        };
        let text = script_text(&app);
        assert!(text.ends_with("exec 'python3' 'it'\\''s.py'\n"), "{text}");
        assert!(text.contains("export PYTHONPATH="), "{text}");
    }
}
