//! The benchmark's suites: what each round measures for the floor and for each adapter, and the soak.

use super::measure::{self, Direct};
use super::process::{Adapter, Mode, Program};
use super::report::Samples;
use super::{GIB, Plan};

/// Compression, ours only (the reference compresses buffered answers only): a compressible JSON stream in each
/// codec (adapter CPU per MiB, size ratio; for zstd also app MB/s and peak RSS), and SSE with compression on.
pub async fn measure_compression(plan: &Plan, program: &Program, port: u16, samples: &mut Samples) -> Result<(), String> {
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
pub async fn measure_models(plan: &Plan, program: &Program, port: u16, samples: &mut Samples) -> Result<(), String> {
    for _ in 0..plan.cold_starts {
        let (since_listening, since_accept) = measure::cold_start(program).await?;
        samples.cold_start_us.push(micros(since_listening));
        samples.cold_start_accept_us.push(micros(since_accept));
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
pub async fn measure_soak(plan: &Plan, program: &Program, port: u16, samples: &mut Samples) -> Result<(), String> {
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

pub async fn measure_floor(plan: &Plan, port: u16, samples: &mut Samples) -> Result<(), String> {
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

/// `ours`: also time API Gateway WebSocket MESSAGE invocations (only our adapter bridges them) and compression,
/// and count allocations with the bench's own build when `program` does not count them.
pub async fn measure_adapter(plan: &Plan, program: &Program, port: u16, ours: bool, samples: &mut Samples) -> Result<(), String> {
    for _ in 0..plan.extra_startups {
        samples
            .startup_us
            .push(micros(Adapter::start(program, Mode::Buffered, port).await?.startup));
    }
    let health = measure::event("/health");
    for mode in [Mode::Buffered, Mode::Streaming] {
        let adapter = Adapter::start(program, mode, port).await?;
        samples.startup_us.push(micros(adapter.startup));
        samples.idle_rss_kib.extend(adapter.rss_kib().map(|kib| kib as f64));
        let with_log = |error: String| format!("{mode:?}: {error}{}", adapter.log_tail());
        for _ in 0..plan.warmup {
            measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?;
        }
        let (sink, cpu) = match mode {
            Mode::Buffered => (&mut samples.buffered_us, &mut samples.cpu_buffered_us),
            Mode::Streaming => (&mut samples.streaming_us, &mut samples.cpu_streaming_us),
        };
        let cpu_before = adapter.cpu_time();
        let allocations_before = adapter.allocations();
        for _ in 0..plan.small {
            sink.push(micros(
                measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?,
            ));
        }
        cpu.push(micros(adapter.cpu_time().saturating_sub(cpu_before)) / plan.small as f64);
        let allocations = match (allocations_before, adapter.allocations()) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before) as f64 / plan.small as f64),
            _ if ours => count_allocations(plan, mode, port).await?,
            _ => None,
        };
        let sink = match mode {
            Mode::Buffered => &mut samples.allocations_buffered,
            Mode::Streaming => &mut samples.allocations_streaming,
        };
        sink.extend(allocations);
        if ours && mode == Mode::Streaming {
            measure_compression(plan, program, port, samples).await?;
        }
        if ours && mode == Mode::Buffered {
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

/// Allocations per small invocation in `mode` by the bench's own build of ours, when it counts them (the
/// feature `count-allocations`): for an `--ours` binary that does not, such as the static build. Allocation
/// counts depend on the code, not on its optimisation, so the two builds' counts agree.
async fn count_allocations(plan: &Plan, mode: Mode, port: u16) -> Result<Option<f64>, String> {
    if !cfg!(feature = "count-allocations") {
        return Ok(None);
    }
    let program = Program::binary(env!("CARGO_BIN_EXE_lambda-adapter").into());
    let adapter = Adapter::start(&program, mode, port).await?;
    let health = measure::event("/health");
    let with_log = |error: String| format!("counting allocations, {mode:?}: {error}{}", adapter.log_tail());
    for _ in 0..plan.warmup {
        measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?;
    }
    let before = adapter.allocations();
    for _ in 0..plan.small {
        measure::invoke_small(&adapter.emulator, &health, mode).await.map_err(with_log)?;
    }
    Ok(before
        .zip(adapter.allocations())
        .map(|(before, after)| after.saturating_sub(before) as f64 / plan.small as f64))
}

/// Lets the machine quiet down after the big stream (freed socket buffers, page reclaim) before timing
/// single requests.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

fn micros(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
