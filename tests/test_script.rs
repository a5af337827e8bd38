//! `scripts/test.sh` on a Python whose global site is read-only, as on Debian and Ubuntu, where PEP 668 also
//! refuses `pip install` outside a virtual environment: the script puts its Python peers in a virtual
//! environment of its own, and an install that fails stops it with a non-zero status naming the package.
//!
//! Each test runs `scripts/test.sh --peers-only` (install what the tests need, then stop) in a private mount
//! namespace where the global interpreter's site-packages is mounted read-only, which needs root, as the
//! deployment tests' chroots do. The interpreter is the one the test peers' own virtual environment was made
//! from (`sys.base_prefix`), so it is the machine's global Python however the tests were started.

mod common;

use common::{TempDir, command_output};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The machine's global Python: the base of whatever `python3` is first on the PATH.
fn global_python() -> PathBuf {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.base_prefix)"])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let prefix = String::from_utf8(output.stdout).unwrap();
    let python = Path::new(prefix.trim()).join("bin/python3");
    assert!(python.is_file(), "no global interpreter at {}", python.display());
    python
}

/// Where `python` installs packages outside a virtual environment.
fn site_packages(python: &Path) -> String {
    let output = Command::new(python)
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Runs `scripts/test.sh --peers-only` with `PYTHON=python`, the virtual environment at `venv`, and `env`,
/// while `python`'s site-packages is read-only.
fn peers_only_with_read_only_site(python: &Path, venv: &Path, env: &[(&str, &str)]) -> Output {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test mounts the global site-packages read-only in a mount namespace: run it as root"
    );
    let script = r#"set -e
mount --bind "$SITE" "$SITE"
mount -o remount,bind,ro "$SITE"
if touch "$SITE/.lwa-write-probe" 2>/dev/null; then
  rm -f "$SITE/.lwa-write-probe"
  echo "the global site-packages $SITE is still writable" >&2
  exit 99
fi
exec scripts/test.sh --peers-only"#;
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SITE", site_packages(python))
        .env("PYTHON", python)
        .env("TEST_PEERS_VENV", venv)
        .envs(env.iter().copied())
        .output()
        .expect("unshare runs (util-linux)")
}

#[test]
fn installs_its_python_peers_into_its_own_virtual_environment() {
    let python = global_python();
    let dir = TempDir::new("venv");
    let venv = dir.path("venv");
    let output = peers_only_with_read_only_site(&python, &venv, &[]);
    assert!(output.status.success(), "{}", command_output(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains(&format!("installing Python peers into {}", venv.display())), "{text}");
    // What the tests use, from the new environment.
    for tool in ["cargo-lambda", "cfn-lint", "python3"] {
        assert!(
            venv.join("bin").join(tool).is_file(),
            "{tool} is not in {}: {}",
            venv.display(),
            command_output(&output)
        );
    }
    let imports = Command::new(venv.join("bin/python3"))
        .args(["-c", "import websockets, boto3, botocore"])
        .output()
        .unwrap();
    assert!(imports.status.success(), "{}", String::from_utf8_lossy(&imports.stderr));
}

#[test]
fn a_failed_install_stops_the_script_naming_the_package() {
    let python = global_python();
    let dir = TempDir::new("venv-offline");
    let venv = dir.path("venv");
    // A package index that refuses every connection, at once: pip cannot install the first peer.
    let offline = [
        ("PIP_INDEX_URL", "http://127.0.0.1:9/simple"),
        ("PIP_RETRIES", "0"),
        ("PIP_TIMEOUT", "2"),
    ];
    let output = peers_only_with_read_only_site(&python, &venv, &offline);
    assert_eq!(output.status.code(), Some(1), "{}", command_output(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "scripts/test.sh: pip could not install cargo-lambda into {}",
            venv.display()
        )),
        "{}",
        command_output(&output)
    );
}
