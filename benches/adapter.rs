//! End-to-end benchmark of adapter binaries: `cargo bench --bench adapter -- [--short] [--adapter PATH]...`
//!
//! Each adapter runs as Lambda runs it (an extension process polling a Runtime API, here the embedded
//! emulator) in front of one app (see `adapter/app.rs`), and every figure is set beside the floor: the same
//! request made by this process directly to the app over a keep-alive connection. With `--adapter PATH`
//! other binaries following the Lambda extension conventions run the same suite, alternating with ours in
//! rounds within one run, and the table gives their figures as ratios to ours: on a shared machine
//! absolute times drift, ratios measured side by side do not. `--short` is the smoke test CI runs: small
//! sizes, a few seconds, exit status 1 if any invocation failed. `--models N` measures only the execution-model
//! figures (cold start, 8 and 64 invocations at once, CPU at 64) in N rounds, the adapters taking turns.
//!
//! `--calls N` is a fixed load for profilers, ours only (see `adapter/calls.rs`).
//!
//! `--ours PATH` measures that binary as ours instead of the one cargo builds for the bench (which uses the
//! `bench` profile, dynamically linked): `--ours target/x86_64-unknown-linux-gnu/release/lambda-adapter`
//! measures the static build users ship (`scripts/build-static.sh`). The run prints the static build's size
//! in bytes (the `--ours` binary, else that path when it exists) beside each `--adapter`'s, and writes the
//! table as an SVG chart, one group of bars per figure, to target/bench/adapter.svg (the path is printed).

#[path = "adapter/app.rs"]
mod app;
#[path = "adapter/bare.rs"]
mod bare;
#[path = "adapter/calls.rs"]
mod calls;
#[path = "adapter/measure.rs"]
mod measure;
#[path = "adapter/process.rs"]
mod process;
#[path = "adapter/report.rs"]
mod report;
#[path = "adapter/suites.rs"]
mod suites;

use process::{App, Program};
use report::Samples;
use std::path::PathBuf;
use suites::{measure_adapter, measure_floor, measure_models, measure_soak};

const GIB: u64 = 1 << 30;

/// How much each figure measures.
struct Plan {
    rounds: usize,
    small: usize,
    warmup: usize,
    stream_size: u64,
    chunk: usize,
    /// SSE responses per round (each gives one first-byte sample), of `sse_events` events each.
    sse_requests: usize,
    sse_events: u64,
    sse_interval_ms: u64,
    /// Start-ups measured per round besides the two sessions' own.
    extra_startups: usize,
    /// Soak, once per adapter after the rounds: buffered invocations, then streamed 1 MiB invocations, with
    /// the resident set read after the first 1,000 (100 streams) and after the last.
    soak_buffered: usize,
    soak_streamed: usize,
    /// Cold starts measured per round (the app starting to listen while the adapter waits).
    cold_starts: usize,
    /// Invocations each of the concurrent callers makes, for the 8- and 64-at-once figures.
    per_caller: usize,
    /// The compressed JSON stream's size, per codec.
    compressed_size: u64,
}

const FULL: Plan = Plan {
    rounds: 3,
    small: 2000,
    warmup: 200,
    stream_size: GIB,
    chunk: 64 * 1024,
    sse_requests: 10,
    sse_events: 10,
    sse_interval_ms: 10,
    extra_startups: 4,
    soak_buffered: 100_000,
    soak_streamed: 2_000,
    cold_starts: 10,
    per_caller: 50,
    compressed_size: 64 << 20,
};

const SHORT: Plan = Plan {
    rounds: 1,
    small: 200,
    warmup: 20,
    stream_size: 16 << 20,
    chunk: 64 * 1024,
    sse_requests: 2,
    sse_events: 5,
    sse_interval_ms: 5,
    extra_startups: 0,
    soak_buffered: 3_000,
    soak_streamed: 200,
    cold_starts: 3,
    per_caller: 5,
    compressed_size: 64 << 20,
};

/// Counts the bare loop's allocations, as ours counts its own (feature `count-allocations`).
#[cfg(feature = "count-allocations")]
#[global_allocator]
static ALLOCATOR: lambda_adapter::alloc_count::Counting = lambda_adapter::alloc_count::Counting;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--serve-app") => app::serve(),
        Some("--bare-runtime") => {
            #[cfg(feature = "count-allocations")]
            lambda_adapter::alloc_count::share_from_env();
            bare::serve()
        }
        _ => {}
    }
    let mut short = false;
    let mut bench = false;
    let mut models_only = None;
    let mut calls_only = None;
    let mut binaries = vec![PathBuf::from(env!("CARGO_BIN_EXE_lambda-adapter"))];
    let mut ours_given = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--short" => short = true,
            "--bench" => bench = true,
            "--models" => match args.next().and_then(|n| n.parse::<usize>().ok()).filter(|n| *n > 0) {
                Some(n) => models_only = Some(n),
                None => exit_with("--models needs a number of rounds, such as 5"),
            },
            "--calls" => match args.next().and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => calls_only = Some(n),
                None => exit_with("--calls needs a number of invocations, such as 1000"),
            },
            "--ours" => match args.next() {
                Some(path) => {
                    binaries[0] = PathBuf::from(path);
                    ours_given = true;
                }
                None => exit_with("--ours needs a path"),
            },
            "--adapter" => match args.next() {
                Some(path) => binaries.push(PathBuf::from(path)),
                None => exit_with("--adapter needs a path"),
            },
            other => exit_with(&format!(
                "unknown argument {other:?}; usage: cargo bench --bench adapter -- [--short | --models N | --calls N] [--ours PATH] [--adapter PATH]..."
            )),
        }
    }
    if !bench && !short && models_only.is_none() && calls_only.is_none() {
        // `cargo test --all-targets` runs bench targets without `--bench`: not the place for minutes of load.
        println!("adapter benchmark: run it with `cargo bench --bench adapter -- [--short] [--ours PATH] [--adapter PATH]...`");
        return;
    }
    for binary in &binaries {
        if !binary.is_file() {
            exit_with(&format!("{} is not a file", binary.display()));
        }
    }
    // The static build's size: `--ours` when given (the static build, as a rule), else the script's output.
    let static_build = if ours_given {
        Some(binaries[0].clone())
    } else {
        Some(target_dir().join(static_build()))
    };
    let sizes: Vec<(String, PathBuf)> = static_build
        .filter(|path| path.is_file())
        .map(|path| ("static build".to_string(), path))
        .into_iter()
        .chain(binaries[1..].iter().map(|path| ("--adapter".to_string(), path.clone())))
        .collect();
    let mut names: Vec<String> = match binaries.len() {
        1 => vec!["ours".into()],
        2 => vec!["ours".into(), "theirs".into()],
        n => std::iter::once("ours".to_string())
            .chain((1..n).map(|i| format!("theirs{i}")))
            .collect(),
    };
    // The bare runtime loop is a column of its own, before ours.
    let mut programs = vec![Program::this_with("--bare-runtime").unwrap_or_else(|e| exit_with(&e))];
    programs.extend(binaries.into_iter().map(Program::binary));
    names.insert(0, "bare".into());
    let plan = if short { &SHORT } else { &FULL };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| exit_with(&format!("cannot start the async runtime: {e}")));
    let app = App::spawn().unwrap_or_else(|e: String| exit_with(&e));
    if let Some(calls) = calls_only {
        if let Err(error) = runtime.block_on(calls::run(calls, &programs[1], app.port)) {
            exit_with(&error);
        }
        return;
    }
    if let Some(rounds) = models_only {
        runtime.block_on(models(rounds, &programs[1..], &names[1..], app.port));
        return;
    }
    let (floor, adapters) = runtime.block_on(run(plan, &programs, &names, app.port));

    println!();
    for (name, program) in names.iter().zip(&programs) {
        println!("{name:>8}: {}", program.display());
    }
    println!(
        "{} round(s); {} sequential GET /health per mode per round; stream: {} in {} KiB frames; SSE: {} x {} events {} ms apart",
        plan.rounds,
        plan.small,
        size_label(plan.stream_size),
        plan.chunk / 1024,
        plan.sse_requests,
        plan.sse_events,
        plan.sse_interval_ms
    );
    println!("floor = this process calling the app directly over one keep-alive HTTP/1.1 connection");
    println!("bare = a runtime loop doing only the protocol's HTTP exchanges (the least any adapter can cost)\n");
    print!("{}", report::table(&names, &floor, &adapters));
    if !sizes.is_empty() {
        println!("\nbinary size (bytes, as on disk):");
        for (what, path) in &sizes {
            match std::fs::metadata(path) {
                Ok(meta) => println!(
                    "  {what:>12}: {:>10}  ({:.2} MiB)  {}",
                    meta.len(),
                    meta.len() as f64 / (1 << 20) as f64,
                    path.display()
                ),
                Err(e) => println!("  {what:>12}: cannot read {}: {e}", path.display()),
            }
        }
    }
    if names.len() > 2 {
        println!("\nratios are theirs / ours: above 1 means theirs takes longer or uses more (for MB/s and /s: is faster)");
    }
    let chart = target_dir().join("bench").join("adapter.svg");
    let written = std::fs::create_dir_all(chart.parent().unwrap_or(&chart))
        .and_then(|()| std::fs::write(&chart, report::svg(&names, &floor, &adapters)));
    match written {
        Ok(()) => println!("\nchart: {}", chart.display()),
        Err(e) => eprintln!("\ncannot write the chart to {}: {e}", chart.display()),
    }
    let floor_name = "floor".to_string();
    let failures: Vec<(&String, &String)> = std::iter::once(&floor)
        .chain(&adapters)
        .zip(std::iter::once(&floor_name).chain(&names))
        .flat_map(|(samples, name)| samples.failures.iter().map(move |f| (name, f)))
        .collect();
    if !failures.is_empty() {
        eprintln!("\n{} failure(s):", failures.len());
        for (name, failure) in failures {
            eprintln!("  {name}: {failure}");
        }
        drop(app);
        std::process::exit(1);
    }
}

/// Where `scripts/build-static.sh` puts the binary users ship for this machine, under the target directory.
fn static_build() -> String {
    format!("{}-unknown-linux-gnu/release/lambda-adapter", std::env::consts::ARCH)
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, else `target/` beside Cargo.toml.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn exit_with(message: &str) -> ! {
    eprintln!("adapter benchmark: {message}");
    std::process::exit(2)
}

fn size_label(bytes: u64) -> String {
    if bytes >= GIB && bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

/// `--models N`: the execution-model figures only, in `rounds` rounds with the adapters taking turns.
async fn models(rounds: usize, programs: &[Program], names: &[String], port: u16) {
    let plan = &FULL;
    let mut samples: Vec<Samples> = programs.iter().map(|_| Samples::default()).collect();
    for round in 0..rounds {
        for i in (0..programs.len()).map(|i| (i + round) % programs.len()) {
            eprintln!("round {}/{rounds}: {}", round + 1, names[i]);
            if let Err(error) = measure_models(plan, &programs[i], port, &mut samples[i]).await {
                exit_with(&format!("{}: {error}", names[i]));
            }
        }
    }
    let p50 = |values: &[f64]| report::quantile(values, 0.5).unwrap_or(f64::NAN);
    println!(
        "{rounds} round(s) of {} cold starts, then 8 and 64 callers making {} invocations each of a 20 ms app",
        plan.cold_starts, plan.per_caller
    );
    println!("cold start p50: from the app listening, and from its first accepted connection, to the first next");
    println!(
        "{:>10}  {:>14}  {:>14}  {:>10}  {:>10}  {:>12}",
        "", "listening", "first accept", "8 at once", "64 at once", "CPU/inv @64"
    );
    for (name, s) in names.iter().zip(&samples) {
        println!(
            "{name:>10}  {:>11.0} µs  {:>11.0} µs  {:>8.0}/s  {:>8.0}/s  {:>9.1} µs",
            p50(&s.cold_start_us),
            p50(&s.cold_start_accept_us),
            p50(&s.rps_8),
            p50(&s.rps_64),
            p50(&s.cpu_64_us)
        );
    }
}

/// Every round: the floor, then each adapter, starting with a different one each round.
async fn run(plan: &Plan, programs: &[Program], names: &[String], port: u16) -> (Samples, Vec<Samples>) {
    let mut floor = Samples::default();
    let mut adapters: Vec<Samples> = programs.iter().map(|_| Samples::default()).collect();
    for round in 0..plan.rounds {
        eprintln!("round {}/{}: floor", round + 1, plan.rounds);
        if let Err(error) = measure_floor(plan, port, &mut floor).await {
            floor.failures.push(error);
        }
        for i in (0..programs.len()).map(|i| (i + round) % programs.len()) {
            eprintln!("round {}/{}: {}", round + 1, plan.rounds, names[i]);
            let ours = names[i] == "ours";
            if let Err(error) = measure_adapter(plan, &programs[i], port, ours, &mut adapters[i]).await {
                adapters[i].failures.push(error);
            }
            // The bare loop has no readiness check and serves one invocation at a time.
            if names[i] != "bare" {
                if let Err(error) = measure_models(plan, &programs[i], port, &mut adapters[i]).await {
                    adapters[i].failures.push(error);
                }
            }
        }
    }
    for (i, program) in programs.iter().enumerate() {
        eprintln!(
            "soak: {} ({} buffered, {} streamed 1 MiB invocations)",
            names[i], plan.soak_buffered, plan.soak_streamed
        );
        if let Err(error) = measure_soak(plan, program, port, &mut adapters[i]).await {
            adapters[i].failures.push(format!("soak: {error}"));
        }
    }
    (floor, adapters)
}
