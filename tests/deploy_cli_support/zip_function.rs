//! A zip function run the way Lambda runs one, from the zips `deploy` uploaded: the layer extracted as /opt
//! (here a folder standing for it), the code as /var/task, modes restored from the zip as Lambda restores
//! them; the layer's extensions start and register first, then the runtime: the code's `bootstrap` on
//! provided.al2023, or on a managed runtime the wrapper named by `AWS_LAMBDA_EXEC_WRAPPER`, given the
//! runtime's own command as Lambda gives it. The environment is the function's as moto holds it, with two
//! substitutions the shared machine needs: `PORT` becomes a free port, and `/opt` the layer's folder.

use crate::deploy_support::lambda::{Sandbox, command, extensions};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Extracts `zip` into `dir`, keeping each file's Unix mode.
pub fn extract(zip: &[u8], dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.with_extension("zip");
    std::fs::write(&file, zip).unwrap();
    let script = "import os, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n    \
                  p = z.extract(i, sys.argv[2])\n    mode = (i.external_attr >> 16) & 0o777\n    \
                  if mode: os.chmod(p, mode)";
    crate::deploy_support::run(
        Command::new("python3").arg("-c").arg(script).arg(&file).arg(dir),
        "python3 (extract a zip)",
        Duration::from_secs(120),
    );
}

/// The Unix mode of `name` in `zip`, or None when the zip lacks it.
pub fn mode_in_zip(zip: &[u8], name: &str) -> Option<u32> {
    let dir = crate::deploy_support::TempDir::new("zip-mode");
    let file = dir.join("code.zip");
    std::fs::write(&file, zip).unwrap();
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\ntry:\n    \
                  print((z.getinfo(sys.argv[2]).external_attr >> 16) & 0o777)\nexcept KeyError:\n    print('none')";
    let printed = crate::deploy_support::run(
        Command::new("python3").arg("-c").arg(script).arg(&file).arg(name),
        "python3 (zip listing)",
        Duration::from_secs(60),
    );
    printed.trim().parse().ok()
}

/// Starts the function from its layer and code zips; the sandbox to invoke.
pub async fn start(work: &Path, layer_zip: &[u8], code_zip: &[u8], handler: &str, function_env: &BTreeMap<String, String>) -> Sandbox {
    let (opt, task) = (work.join("opt"), work.join("task"));
    extract(layer_zip, &opt);
    extract(code_zip, &task);
    let port = crate::common::free_port().to_string();
    let mut env: Vec<(String, String)> = function_env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (name, value) in env.iter_mut() {
        if name == "PORT" {
            *value = port.clone();
        } else if let Some(rest) = value.strip_prefix("/opt/") {
            *value = opt.join(rest).display().to_string();
        }
    }
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut sandbox = Sandbox::new().await;
    let environment = sandbox.environment(&task, handler, &pairs);
    let wrapper = env.iter().find(|(k, _)| k == "AWS_LAMBDA_EXEC_WRAPPER").map(|(_, v)| v.clone());
    let runtime = match wrapper {
        Some(wrapper) => {
            let mut runtime = command(wrapper, &environment);
            runtime.arg("/var/runtime/bootstrap");
            ("exec-wrapper", runtime)
        }
        None => ("bootstrap", command(task.join("bootstrap"), &environment)),
    };
    sandbox
        .start(extensions(&opt.join("extensions"), &environment), Some(runtime))
        .await;
    sandbox
}

/// A zip of these text files, written by Python's zipfile (not by the code under test).
pub fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let dir = crate::deploy_support::TempDir::new("zip-of");
    let file = dir.join("made.zip");
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg("import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\nfor i in range(2, len(sys.argv), 2):\n    z.writestr(sys.argv[i], sys.argv[i + 1])\nz.close()")
        .arg(&file);
    for (name, text) in files {
        command.arg(name).arg(text);
    }
    crate::deploy_support::run(&mut command, "python3 (make a zip)", Duration::from_secs(60));
    std::fs::read(&file).unwrap()
}
