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

#[path = "adapter/app.rs"]
mod app;
#[path = "adapter/bare.rs"]
mod bare;
#[path = "adapter/measure.rs"]
mod measure;
#[path = "adapter/process.rs"]
mod process;
#[path = "adapter/report.rs"]
mod report;

use measure::Direct;
use process::{Adapter, App, Mode, Program};
use report::Samples;
use std::path::PathBuf;

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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--serve-app") => app::serve(),
        Some("--bare-runtime") => bare::serve(),
        _ => {}
    }
    let mut short = false;
    let mut bench = false;
    let mut models_only = None;
    let mut binaries = vec![PathBuf::from(env!("CARGO_BIN_EXE_lambda-adapter"))];
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--short" => short = true,
            "--bench" => bench = true,
            "--models" => match args.next().and_then(|n| n.parse::<usize>().ok()).filter(|n| *n > 0) {
                Some(n) => models_only = Some(n),
                None => exit_with("--models needs a number of rounds, such as 5"),
            },
            "--adapter" => match args.next() {
                Some(path) => binaries.push(PathBuf::from(path)),
                None => exit_with("--adapter needs a path"),
            },
            other => exit_with(&format!(
                "unknown argument {other:?}; usage: cargo bench --bench adapter -- [--short | --models N] [--adapter PATH]..."
            )),
        }
    }
    if !bench && !short && models_only.is_none() {
        // `cargo test --all-targets` runs bench targets without `--bench`: not the place for minutes of load.
        println!("adapter benchmark: run it with `cargo bench --bench adapter -- [--short] [--adapter PATH]...`");
        return;
    }
    for binary in &binaries {
        if !binary.is_file() {
            exit_with(&format!("{} is not a file", binary.display()));
        }
    }
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
    if names.len() > 2 {
        println!("\nratios are theirs / ours: above 1 means theirs takes longer or uses more (for MB/s and /s: is faster)");
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
    let plan = Plan { ..FULL };
    let mut samples: Vec<Samples> = programs.iter().map(|_| Samples::default()).collect();
    for round in 0..rounds {
        for i in (0..programs.len()).map(|i| (i + round) % programs.len()) {
            eprintln!("round {}/{rounds}: {}", round + 1, names[i]);
            if let Err(error) = measure_models(&plan, &programs[i], port, &mut samples[i]).await {
                exit_with(&format!("{}: {error}", names[i]));
            }
        }
    }
    let p50 = |values: &[f64]| report::quantile(values, 0.5).unwrap_or(f64::NAN);
    println!(
        "{rounds} round(s) of {} cold starts, then 8 and 64 callers making {} invocations each of a 20 ms app",
        plan.cold_starts, plan.per_caller
    );
    println!(
        "{:>10}  {:>16}  {:>10}  {:>10}  {:>12}",
        "", "cold start p50", "8 at once", "64 at once", "CPU/inv @64"
    );
    for (name, s) in names.iter().zip(&samples) {
        println!(
            "{name:>10}  {:>13.0} µs  {:>8.0}/s  {:>8.0}/s  {:>9.1} µs",
            p50(&s.cold_start_us),
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
            let websocket = names[i] == "ours";
            if let Err(error) = measure_adapter(plan, &programs[i], port, websocket, &mut adapters[i]).await {
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

/// Compression, ours only (the reference compresses buffered answers only): a compressible JSON stream in each
/// codec (adapter CPU per MiB, size ratio; for zstd also app MB/s and peak RSS), and SSE with compression on.
async fn measure_compression(plan: &Plan, program: &Program, port: u16, samples: &mut Samples) -> Result<(), String> {
    let on = [("LWA_ENABLE_COMPRESSION", "true")];
    let mut adapter = Adapter::spawn_with(program, Mode::Streaming, port, 1, &on).await?;
    adapter.wait_polling(program).await?;
    let with_log = |error: String| format!("compression: {error}{}", adapter.log_tail());
    for coding in ["zstd", "br", "gzip"] {
        adapter.reset_peak_rss();
        let cpu_before = adapter.cpu_time();
        let read = measure::compressed_via(&adapter.emulator, coding, plan.compressed_size)
            .await
            .map_err(with_log)?;
        let mib = read.input as f64 / f64::from(1u32 << 20);
        let cpu_ms = adapter.cpu_time().saturating_sub(cpu_before).as_secs_f64() * 1e3 / mib;
        let ratio = read.input as f64 / read.output.max(1) as f64;
        let (cpu, size) = match coding {
            "zstd" => (&mut samples.zstd_ms_per_mib, &mut samples.zstd_ratio),
            "br" => (&mut samples.br_ms_per_mib, &mut samples.br_ratio),
            _ => (&mut samples.gzip_ms_per_mib, &mut samples.gzip_ratio),
        };
        cpu.push(cpu_ms);
        size.push(ratio);
        if coding == "zstd" {
            samples.compressed_mbs.push(read.input as f64 / read.elapsed.as_secs_f64() / 1e6);
            samples.compressed_rss_kib.extend(adapter.peak_rss_kib().map(|kib| kib as f64));
        }
    }
    settle().await;
    for _ in 0..plan.sse_requests {
        let sse = measure::sse_compressed(&adapter.emulator, "zstd", plan.sse_events, plan.sse_interval_ms)
            .await
            .map_err(with_log)?;
        samples.compressed_chunk_us.extend(sse.chunk_latency_us);
    }
    Ok(())
}

/// Cold start (the app begins to listen while the adapter waits for it; the time until the adapter's first
/// `next`), and throughput with 8 and 64 invocations at once against an app that answers in 20 ms.
async fn measure_models(plan: &Plan, program: &Program, port: u16, samples: &mut Samples) -> Result<(), String> {
    for _ in 0..plan.cold_starts {
        samples.cold_start_us.push(micros(measure::cold_start(program).await?));
    }
    let slow = measure::event("/slow?ms=20");
    for concurrency in [8, 64] {
        let mut adapter = Adapter::spawn(program, Mode::Buffered, port, concurrency).await?;
        adapter.wait_polling(program).await?;
        let with_log = |error: String| format!("{concurrency} at once: {error}{}", adapter.log_tail());
        let (emulator, slow) = (&adapter.emulator, &slow);
        let batch = |rounds: usize| {
            let callers = (0..concurrency).map(move |_| async move {
                for _ in 0..rounds {
                    measure::invoke_small(emulator, slow, Mode::Buffered).await?;
                }
                Ok::<(), String>(())
            });
            futures::future::try_join_all(callers)
        };
        batch(1).await.map_err(with_log)?;
        let cpu_before = adapter.cpu_time();
        let started = std::time::Instant::now();
        batch(plan.per_caller).await.map_err(with_log)?;
        let invocations = (concurrency * plan.per_caller) as f64;
        let rate = invocations / started.elapsed().as_secs_f64();
        let cpu = micros(adapter.cpu_time().saturating_sub(cpu_before)) / invocations;
        match concurrency {
            8 => samples.rps_8.push(rate),
            _ => {
                samples.rps_64.push(rate);
                samples.cpu_64_us.push(cpu);
            }
        }
    }
    Ok(())
}

/// Many invocations in a row on one adapter process, reading its resident set early and at the end: memory
/// that grows with the invocation count is a leak, whatever the latency figures say.
async fn measure_soak(plan: &Plan, program: &Program, port: u16, samples: &mut Samples) -> Result<(), String> {
    const EARLY_BUFFERED: usize = 1_000;
    const EARLY_STREAMED: usize = 100;
    let health = measure::event("/health");
    let adapter = Adapter::start(program, Mode::Buffered, port).await?;
    let mut early = None;
    for n in 1..=plan.soak_buffered {
        measure::invoke_small(&adapter.emulator, &health, Mode::Buffered)
            .await
            .map_err(|e| format!("buffered invocation {n}: {e}{}", adapter.log_tail()))?;
        if n == EARLY_BUFFERED {
            early = adapter.rss_kib();
        }
    }
    samples.soak_buffered_rss_kib = early.zip(adapter.rss_kib()).map(|(a, b)| (a as f64, b as f64));
    drop(adapter);

    let adapter = Adapter::start(program, Mode::Streaming, port).await?;
    let mut early = None;
    for n in 1..=plan.soak_streamed {
        measure::stream_via(&adapter.emulator, 1 << 20, plan.chunk)
            .await
            .map_err(|e| format!("streamed invocation {n}: {e}{}", adapter.log_tail()))?;
        if n == EARLY_STREAMED {
            early = adapter.rss_kib();
        }
    }
    samples.soak_streamed_rss_kib = early.zip(adapter.rss_kib()).map(|(a, b)| (a as f64, b as f64));
    Ok(())
}

async fn measure_floor(plan: &Plan, port: u16, samples: &mut Samples) -> Result<(), String> {
    let mut direct = Direct::connect(port).await?;
    for _ in 0..plan.warmup {
        direct.small().await?;
    }
    for _ in 0..plan.small {
        samples.buffered_us.push(micros(direct.small().await?));
    }
    let read = measure::stream_direct(&mut direct, plan.stream_size, plan.chunk).await?;
    samples.throughput_mbs.push(read.mb_per_s());
    settle().await;
    for _ in 0..plan.sse_requests {
        let sse = measure::sse_direct(&mut direct, plan.sse_events, plan.sse_interval_ms).await?;
        samples.first_byte_us.push(micros(sse.first_byte));
        samples.chunk_us.extend(sse.chunk_latency_us);
    }
    Ok(())
}

/// `websocket`: also time API Gateway WebSocket MESSAGE invocations (only our adapter bridges them).
async fn measure_adapter(plan: &Plan, program: &Program, port: u16, websocket: bool, samples: &mut Samples) -> Result<(), String> {
    for _ in 0..plan.extra_startups {
        samples
            .startup_us
            .push(micros(Adapter::start(program, Mode::Buffered, port).await?.startup));
    }
    let health = measure::event("/health");
    for mode in [Mode::Buffered, Mode::Streaming] {
        let adapter = Adapter::start(program, mode, port).await?;
        samples.startup_us.push(micros(adapter.startup));
        let with_log = |error: String| format!("{mode:?}: {error}{}", adapter.log_tail());
        for _ in 0..plan.warmup {
            measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?;
        }
        let (sink, cpu) = match mode {
            Mode::Buffered => (&mut samples.buffered_us, &mut samples.cpu_buffered_us),
            Mode::Streaming => (&mut samples.streaming_us, &mut samples.cpu_streaming_us),
        };
        let cpu_before = adapter.cpu_time();
        for _ in 0..plan.small {
            sink.push(micros(
                measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?,
            ));
        }
        cpu.push(micros(adapter.cpu_time().saturating_sub(cpu_before)) / plan.small as f64);
        if websocket && mode == Mode::Streaming {
            measure_compression(plan, program, port, samples).await?;
        }
        if websocket && mode == Mode::Buffered {
            let message = measure::websocket_message();
            for _ in 0..plan.small {
                samples.ws_message_us.push(micros(
                    measure::invoke_small(&adapter.emulator, &message, mode).await.map_err(with_log)?,
                ));
            }
        }
        if mode == Mode::Streaming {
            adapter.reset_peak_rss();
            let cpu_before = adapter.cpu_time();
            let read = measure::stream_via(&adapter.emulator, plan.stream_size, plan.chunk)
                .await
                .map_err(with_log)?;
            let cpu = adapter.cpu_time().saturating_sub(cpu_before);
            samples
                .cpu_stream_ms_per_gib
                .push(cpu.as_secs_f64() * 1e3 * GIB as f64 / read.bytes as f64);
            samples.throughput_mbs.push(read.mb_per_s());
            samples.rss_kib.extend(adapter.peak_rss_kib().map(|kib| kib as f64));
            settle().await;
            for _ in 0..plan.sse_requests {
                let sse = measure::sse_via(&adapter.emulator, plan.sse_events, plan.sse_interval_ms)
                    .await
                    .map_err(with_log)?;
                samples.first_byte_us.push(micros(sse.first_byte));
                samples.chunk_us.extend(sse.chunk_latency_us);
            }
        }
    }
    Ok(())
}

/// Lets the machine quiet down after the big stream (freed socket buffers, page reclaim) before timing
/// single requests.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

fn micros(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
