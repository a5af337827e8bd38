//! What can be checked of a Dockerfile without Docker (image builds cannot run on these machines): that every
//! file its COPY lines name exists in the build context (the repository root), and that a build stage's own
//! view of the sources (only what it copied, where it copied it) is enough for its build. Cargo needs the path
//! of every target Cargo.toml declares, so a stage that leaves out benches/ fails before compiling anything;
//! Go needs its module.

use super::{build_go_app, repo, run};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// One `FROM` section.
#[derive(Debug, Default)]
pub struct Stage {
    pub from: String,
    pub workdir: String,
    /// `COPY` lines from the build context (not `--from` another stage): sources and destination.
    pub copies: Vec<(Vec<String>, String)>,
    pub runs: Vec<String>,
}

/// The stages of a Dockerfile, continuation lines joined and comments dropped.
pub fn stages(text: &str) -> Vec<Stage> {
    let joined = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\n", " ");
    let mut stages: Vec<Stage> = Vec::new();
    for line in joined.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (instruction, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match instruction.to_ascii_uppercase().as_str() {
            "FROM" => stages.push(Stage {
                from: rest.trim().to_string(),
                workdir: "/".into(),
                ..Stage::default()
            }),
            "WORKDIR" => stages.last_mut().expect("WORKDIR before FROM").workdir = rest.trim().to_string(),
            "RUN" => stages.last_mut().expect("RUN before FROM").runs.push(rest.trim().to_string()),
            "COPY" | "ADD" if !rest.contains("--from=") => {
                let mut words: Vec<String> = rest.split_whitespace().filter(|w| !w.starts_with("--")).map(String::from).collect();
                let destination = words.pop().expect("COPY without a destination");
                stages.last_mut().expect("COPY before FROM").copies.push((words, destination));
            }
            _ => {}
        }
    }
    stages
}

/// Lays out in `dir` what `stage` copies from the repository, `dir` standing for its WORKDIR. Panics when a
/// source is missing from the repository.
pub fn lay_out(stage: &Stage, dir: &Path) {
    for (sources, destination) in &stage.copies {
        let relative = destination
            .strip_prefix(stage.workdir.as_str())
            .unwrap_or(destination)
            .trim_start_matches('/');
        let base = dir.join(relative);
        let into_directory = destination.ends_with('/') || destination == "." || sources.len() > 1;
        for source in sources {
            let from = repo().join(source.trim_end_matches('/'));
            assert!(
                from.exists(),
                "COPY {source}: {} does not exist in the build context",
                from.display()
            );
            let to = if from.is_dir() {
                std::fs::create_dir_all(&base).unwrap();
                base.clone()
            } else if into_directory {
                std::fs::create_dir_all(&base).unwrap();
                base.join(from.file_name().unwrap())
            } else {
                std::fs::create_dir_all(base.parent().unwrap()).unwrap();
                base.clone()
            };
            // A directory's contents go into the destination, as Docker copies them.
            let from_arg = if from.is_dir() { from.join(".") } else { from.clone() };
            run(Command::new("cp").arg("-a").arg(&from_arg).arg(&to), "cp", Duration::from_secs(60));
        }
    }
}

/// Checks that `stage`'s build finds what it needs in what it copied (laid out in `dir`).
pub fn check_build(dockerfile: &str, stage: &Stage, dir: &Path) {
    let runs = stage.runs.join("\n");
    if runs.contains("build-static.sh") {
        let script = dir.join("scripts/build-static.sh");
        assert!(
            script.is_file(),
            "{dockerfile}: the stage FROM {} runs scripts/build-static.sh without copying it",
            stage.from
        );
    }
    if runs.contains("cargo") || runs.contains("build-static.sh") {
        // Reads the manifest, every target included, and the lock file, as the build's first step does.
        let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
        let mut fetch = Command::new("cargo");
        fetch.args(["fetch", "--offline", "--locked", "--target", &target]).current_dir(dir);
        run(
            &mut fetch,
            &format!("{dockerfile}: cargo fetch in what the stage FROM {} copied", stage.from),
            Duration::from_secs(120),
        );
    }
    if runs.contains("go build") {
        assert!(
            dir.join("go.mod").is_file(),
            "{dockerfile}: the stage FROM {} builds Go without a go.mod",
            stage.from
        );
        build_go_app(dir, &dir.join("go-build-check"));
    }
}
