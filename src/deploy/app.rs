//! What app a folder holds, decided from its files before anything is built or any AWS call is made, and
//! what Lambda needs to run it: the runtime, the handler, and whether the layer's exec wrapper starts it.
//!
//! One descriptor per kind ([`Kind`]); the packaging (package.rs) and the SAM project (sam.rs) read the
//! same descriptors, so `deploy` and `init` cannot disagree on a runtime or a handler.

use std::path::Path;

use super::error::DeployError;

/// The kinds of app `deploy` packages as a zip function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `go.mod`: built with the local Go toolchain as a static `bootstrap` for provided.al2023.
    Go,
    /// `package.json`: nodejs22.x, started by the generated run.sh through the layer's exec wrapper.
    Node,
    /// `requirements.txt`, `pyproject.toml` or `*.py`: python3.13, the same way.
    Python,
    /// Anything else with a start command: provided.al2023 runs a generated `bootstrap` that execs it.
    Command,
}

/// What the issue's detection looked for, in the order it looks; printed when nothing matches.
pub(super) const LOOKED_FOR: &[&str] = &[
    "go.mod (Go)",
    "package.json (Node)",
    "requirements.txt, pyproject.toml or *.py (Python)",
    "a start command after `--` (anything else, on provided.al2023)",
];

impl Kind {
    /// The Lambda runtime the function gets.
    pub(super) fn runtime(self) -> &'static str {
        match self {
            Kind::Go | Kind::Command => "provided.al2023",
            Kind::Node => "nodejs22.x",
            Kind::Python => "python3.13",
        }
    }

    /// The function's `Handler`: the file Lambda (or the exec wrapper) runs from the code.
    pub(super) fn handler(self) -> &'static str {
        match self {
            Kind::Go | Kind::Command => "bootstrap",
            Kind::Node | Kind::Python => "run.sh",
        }
    }

    /// Whether a managed runtime must hand over to the layer's wrapper (`AWS_LAMBDA_EXEC_WRAPPER`).
    pub(super) fn exec_wrapper(self) -> bool {
        matches!(self, Kind::Node | Kind::Python)
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Kind::Go => "Go",
            Kind::Node => "Node",
            Kind::Python => "Python",
            Kind::Command => "command",
        }
    }
}

/// A detected app: its kind, what gave it away, and the command that starts it (none for Go, whose
/// `bootstrap` is the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct App {
    pub kind: Kind,
    pub found: String,
    pub start: Vec<String>,
}

/// Looks at `dir` and the start command given after `--`.
pub(super) fn detect(dir: &Path, command: &[String]) -> Result<App, DeployError> {
    if !dir.is_dir() {
        return Err(DeployError::io(
            "read the app's folder",
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
        ));
    }
    if dir.join("go.mod").is_file() {
        // `dev -- go run .` starts it locally; on Lambda the built binary is the start command.
        return Ok(App {
            kind: Kind::Go,
            found: "go.mod".into(),
            start: Vec::new(),
        });
    }
    if dir.join("package.json").is_file() {
        let start = if command.is_empty() {
            npm_start(dir)?
        } else {
            Some(command.to_vec())
        };
        let Some(start) = start else {
            return Err(DeployError::NoStartCommand {
                dir: dir.to_path_buf(),
                kind: "Node",
                found: "package.json, with no scripts.start".into(),
                example: "node server.js",
            });
        };
        return Ok(App {
            kind: Kind::Node,
            found: "package.json".into(),
            start,
        });
    }
    if let Some(found) = python_marker(dir)? {
        if command.is_empty() {
            return Err(DeployError::NoStartCommand {
                dir: dir.to_path_buf(),
                kind: "Python",
                found,
                example: "python3 app.py",
            });
        }
        return Ok(App {
            kind: Kind::Python,
            found,
            start: command.to_vec(),
        });
    }
    if command.is_empty() {
        return Err(DeployError::UnknownApp {
            dir: dir.to_path_buf(),
            looked_for: LOOKED_FOR,
        });
    }
    Ok(App {
        kind: Kind::Command,
        found: "a start command".into(),
        start: command.to_vec(),
    })
}

/// `scripts.start` of package.json, run through `sh -c` as npm would run it.
fn npm_start(dir: &Path) -> Result<Option<Vec<String>>, DeployError> {
    let path = dir.join("package.json");
    let text = std::fs::read_to_string(&path).map_err(|error| DeployError::io("read", &path, error))?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| DeployError::io("parse", &path, std::io::Error::new(std::io::ErrorKind::InvalidData, error)))?;
    Ok(manifest["scripts"]["start"]
        .as_str()
        .filter(|script| !script.trim().is_empty())
        .map(|script| vec!["/bin/sh".to_string(), "-c".to_string(), script.to_string()]))
}

/// The file that marks a Python app, if any.
fn python_marker(dir: &Path) -> Result<Option<String>, DeployError> {
    for name in ["requirements.txt", "pyproject.toml"] {
        if dir.join(name).is_file() {
            return Ok(Some(name.to_string()));
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|error| DeployError::io("read the app's folder", dir, error))?;
    let mut scripts: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".py"))
        .collect();
    scripts.sort();
    Ok(scripts.first().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> std::path::PathBuf {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("lwa-detect-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn each_kind_by_its_files() {
        let go = detect(&folder(&[("go.mod", "module x\n")]), &["go".into(), "run".into(), ".".into()]).unwrap();
        assert_eq!((go.kind, go.start.len()), (Kind::Go, 0));
        let node = detect(&folder(&[("package.json", r#"{"scripts":{"start":"node s.js"}}"#)]), &[]).unwrap();
        assert_eq!(node.start, ["/bin/sh", "-c", "node s.js"]);
        let python = detect(&folder(&[("main.py", "")]), &["python3".into(), "main.py".into()]).unwrap();
        assert_eq!((python.kind, python.found.as_str()), (Kind::Python, "main.py"));
        let other = detect(&folder(&[("server", "")]), &["./server".into()]).unwrap();
        assert_eq!((other.kind.runtime(), other.kind.handler()), ("provided.al2023", "bootstrap"));
    }

    #[test]
    fn what_was_looked_for_when_nothing_matches() {
        let error = detect(&folder(&[("README", "")]), &[]).unwrap_err().to_string();
        for each in LOOKED_FOR {
            assert!(error.contains(each), "{error}");
        }
        let error = detect(&folder(&[("requirements.txt", "")]), &[]).unwrap_err().to_string();
        assert!(error.contains("Python app (requirements.txt) but has no start command"), "{error}");
    }
}
