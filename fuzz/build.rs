//! Embeds the repository's real Lambda event samples (`../tests/fixtures/events/*.json`) so the invariant
//! targets can start from them; a fixture added or renamed there is picked up on the next build.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../tests/fixtures/events");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    names.sort();
    let mut out =
        String::from("/// The real event samples, `(file name, bytes)`, sorted by name.\npub const FIXTURES: &[(&str, &[u8])] = &[\n");
    for path in &names {
        let canonical = path.canonicalize().expect("a listed fixture exists");
        let name = path.file_name().expect("a file name").to_string_lossy();
        writeln!(out, "    ({name:?}, include_bytes!({:?})),", canonical.display().to_string()).unwrap();
        println!("cargo::rerun-if-changed={}", canonical.display());
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("fixtures.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
