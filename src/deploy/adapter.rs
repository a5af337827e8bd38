//! The adapter that goes into the layer, and the layer itself.
//!
//! The binary running `deploy` is never uploaded: it carries the AWS SDK (the `deploy` feature) and may be
//! dynamically linked. The layer gets the static build (scripts/build-static.sh), found in this order:
//! `--adapter PATH`; else, when this binary was built from a source tree that is still there, that tree's
//! scripts/build-static.sh builds it (a no-op when it is up to date); else an error that says how to get one.
//! Whatever is found must be a static ELF for the requested architecture: a dynamic build is refused.
//!
//! The layer is laid out as scripts/build-layer.sh lays it out: `extensions/lambda-adapter` and the exec
//! wrapper `bootstrap`, from the one file both use (layer/bootstrap).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::args::Arch;
use super::error::DeployError;
use super::zip::{self, Entry};

/// The exec wrapper, layer/bootstrap, which scripts/build-layer.sh installs too.
pub(super) const WRAPPER: &str = include_str!("../../layer/bootstrap");

/// The source tree this binary was built from, if it is still there.
pub(super) fn source_tree() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    root.join("scripts/build-static.sh").is_file().then_some(root)
}

/// The static adapter for `arch`: `--adapter`, else the source tree's build.
pub(super) fn locate(explicit: Option<&Path>, arch: Arch) -> Result<PathBuf, DeployError> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => build_from_source(arch)?,
    };
    check(&path, arch)?;
    Ok(path)
}

fn build_from_source(arch: Arch) -> Result<PathBuf, DeployError> {
    let how_arm = "build it on an arm64 machine (a Graviton instance, an arm64 CI runner) with \
                   scripts/build-static.sh, or cross-build on x86_64 after `rustup target add \
                   aarch64-unknown-linux-gnu` and `apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross` with \
                   scripts/build-static.sh --arch aarch64; then pass the printed path with --adapter";
    let Some(root) = source_tree() else {
        let how = match arch {
            Arch::X86_64 => "run scripts/build-static.sh in lambda-adapter's source and pass the path it prints \
                             with --adapter"
                .to_string(),
            Arch::Arm64 => how_arm.to_string(),
        };
        return Err(DeployError::AdapterMissing {
            arch: arch.lambda_name(),
            how,
        });
    };
    if Some(arch) != Arch::host() {
        // A cross build needs a toolchain this machine may not have: use one already made, or say how.
        let built = root.join(format!("target/{}-unknown-linux-gnu/release/lambda-adapter", arch.rust_name()));
        if built.is_file() {
            return Ok(built);
        }
        return Err(DeployError::AdapterMissing {
            arch: arch.lambda_name(),
            how: how_arm.to_string(),
        });
    }
    super::progress::step(&format!(
        "building the static adapter from {} (scripts/build-static.sh --arch {})",
        root.display(),
        arch.rust_name()
    ));
    // Cargo's progress goes to the user's stderr as it comes: a first build takes minutes.
    let output = Command::new(root.join("scripts/build-static.sh"))
        .args(["--arch", arch.rust_name()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| DeployError::io("run", root.join("scripts/build-static.sh"), error))?;
    if !output.status.success() {
        return Err(DeployError::ToolFailed {
            what: "scripts/build-static.sh (the static adapter for the layer)".into(),
            output: format!("{}; its output is above", output.status),
        });
    }
    let printed = String::from_utf8_lossy(&output.stdout);
    Ok(PathBuf::from(printed.trim()))
}

/// Refuses anything but a static ELF executable for `arch`.
pub(super) fn check(path: &Path, arch: Arch) -> Result<(), DeployError> {
    let bytes = std::fs::read(path).map_err(|error| DeployError::io("read the adapter", path, error))?;
    let unfit = |why: String| DeployError::AdapterUnfit {
        path: path.to_path_buf(),
        why,
    };
    let elf = Elf::parse(&bytes).ok_or_else(|| unfit("it is not a 64-bit little-endian ELF executable".into()))?;
    let machine = match elf.machine {
        62 => Arch::X86_64,
        183 => Arch::Arm64,
        other => return Err(unfit(format!("it is built for ELF machine {other}, not x86_64 or arm64"))),
    };
    if machine != arch {
        return Err(unfit(format!(
            "it is built for {}, and the function is {} (--arch)",
            machine.lambda_name(),
            arch.lambda_name()
        )));
    }
    if elf.interpreter {
        return Err(unfit(
            "it is dynamically linked (it names a dynamic loader), so it would fail on runtimes whose glibc \
             differs; only the static build is shipped"
                .into(),
        ));
    }
    Ok(())
}

/// What the layer check needs from an ELF header.
struct Elf {
    machine: u16,
    /// Whether a `PT_INTERP` program header names a dynamic loader.
    interpreter: bool,
}

impl Elf {
    fn parse(bytes: &[u8]) -> Option<Elf> {
        let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at.checked_add(2)?)?.try_into().ok()?));
        let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?));
        let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at.checked_add(8)?)?.try_into().ok()?));
        // The magic, ELFCLASS64, little-endian.
        if bytes.get(..6)? != b"\x7fELF\x02\x01" {
            return None;
        }
        let machine = u16_at(18)?;
        let phoff = usize::try_from(u64_at(32)?).ok()?;
        let phentsize = usize::from(u16_at(54)?);
        let phnum = usize::from(u16_at(56)?);
        let mut interpreter = false;
        for index in 0..phnum {
            let at = phoff.checked_add(index.checked_mul(phentsize)?)?;
            interpreter |= u32_at(at)? == 3; // PT_INTERP
        }
        Some(Elf { machine, interpreter })
    }
}

/// The layer's zip, as scripts/build-layer.sh lays it out.
pub(super) fn layer_zip(binary: &Path) -> Result<Vec<u8>, DeployError> {
    let data = std::fs::read(binary).map_err(|error| DeployError::io("read the adapter", binary, error))?;
    let entries = vec![
        Entry {
            name: "bootstrap".into(),
            data: WRAPPER.as_bytes().to_vec(),
            mode: 0o755,
        },
        Entry {
            name: "extensions/lambda-adapter".into(),
            data,
            mode: 0o755,
        },
    ];
    zip::write(entries).map_err(|error| DeployError::io("zip", binary, std::io::Error::other(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_or_foreign_binary_is_refused() {
        // The test binary itself is dynamically linked, for this machine.
        let me = std::env::current_exe().unwrap();
        let host = Arch::host().unwrap();
        let error = check(&me, host).unwrap_err().to_string();
        assert!(error.contains("dynamically linked"), "{error}");
        let other = if host == Arch::X86_64 { Arch::Arm64 } else { Arch::X86_64 };
        let error = check(&me, other).unwrap_err().to_string();
        assert!(error.contains(&format!("and the function is {}", other.lambda_name())), "{error}");
        let error = check(Path::new("Cargo.toml"), host).unwrap_err().to_string();
        assert!(error.contains("not a 64-bit little-endian ELF"), "{error}");
    }
}
