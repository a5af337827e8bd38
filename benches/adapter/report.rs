//! Samples gathered per column (the floor, then each adapter) and the table printed from them.

use std::fmt::Write;

#[path = "chart.rs"]
mod chart;
#[path = "rows.rs"]
mod rows;
pub use chart::svg;
use rows::rows;

/// Every sample one column gathered over all rounds.
#[derive(Default)]
pub struct Samples {
    pub startup_us: Vec<f64>,
    /// Resident set (VmRSS) right after start-up, before any invocation: one value per session.
    pub idle_rss_kib: Vec<f64>,
    pub buffered_us: Vec<f64>,
    pub streaming_us: Vec<f64>,
    /// Adapter CPU time per small invocation, one value per session.
    pub cpu_buffered_us: Vec<f64>,
    pub cpu_streaming_us: Vec<f64>,
    /// Allocations per small invocation, one value per session; only from builds that count them (feature
    /// `count-allocations`).
    pub allocations_buffered: Vec<f64>,
    pub allocations_streaming: Vec<f64>,
    /// Adapter CPU time per GiB streamed, one value per round.
    pub cpu_stream_ms_per_gib: Vec<f64>,
    pub throughput_mbs: Vec<f64>,
    pub first_byte_us: Vec<f64>,
    pub chunk_us: Vec<f64>,
    pub rss_kib: Vec<f64>,
    /// From the app beginning to listen to the adapter's first `invocation/next`.
    pub cold_start_us: Vec<f64>,
    /// From the app's first accepted connection (the readiness check's) to the first `next`.
    pub cold_start_accept_us: Vec<f64>,
    /// Invocations per second with 8 and 64 at once, the app answering in 20 ms.
    pub rps_8: Vec<f64>,
    pub rps_64: Vec<f64>,
    /// Adapter CPU time per invocation with 64 at once.
    pub cpu_64_us: Vec<f64>,
    /// Compression (ours): adapter CPU ms per MiB of the app's JSON stream, and the size ratio, per codec.
    pub zstd_ms_per_mib: Vec<f64>,
    pub zstd_ratio: Vec<f64>,
    pub br_ms_per_mib: Vec<f64>,
    pub br_ratio: Vec<f64>,
    pub gzip_ms_per_mib: Vec<f64>,
    pub gzip_ratio: Vec<f64>,
    /// The compressed (zstd) JSON stream: app bytes per second, and the adapter's peak RSS during it.
    pub compressed_mbs: Vec<f64>,
    pub compressed_rss_kib: Vec<f64>,
    /// SSE sent → received with compression on (zstd, decoded as it arrives).
    pub compressed_chunk_us: Vec<f64>,
    /// Round trips of WebSocket MESSAGE invocations (buffered), ours only.
    pub ws_message_us: Vec<f64>,
    /// Soak: resident set (VmRSS) after the first 1,000 buffered invocations and after the last.
    pub soak_buffered_rss_kib: Option<(f64, f64)>,
    /// Soak: resident set after the first 100 streamed 1 MiB invocations and after the last.
    pub soak_streamed_rss_kib: Option<(f64, f64)>,
    pub failures: Vec<String>,
}

/// The `q` quantile (0..=1) by nearest rank; `None` without samples.
pub fn quantile(samples: &[f64], q: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

pub(super) fn max(samples: &[f64]) -> Option<f64> {
    samples.iter().copied().reduce(f64::max)
}

#[derive(Clone, Copy)]
pub(super) enum Unit {
    Micros,
    Millis,
    MegaBytesPerSecond,
    MegaBytes,
    PerSecond,
    Ratio,
    Count,
}

fn format(value: Option<f64>, unit: Unit) -> String {
    let Some(v) = value else { return "-".into() };
    match unit {
        Unit::Micros if v.abs() >= 10_000.0 => format!("{:.1} ms", v / 1000.0),
        Unit::Micros if v.abs() >= 1000.0 => format!("{:.2} ms", v / 1000.0),
        Unit::Micros => format!("{v:.0} µs"),
        Unit::Millis if v.abs() < 10.0 => format!("{v:.1} ms"),
        Unit::Millis => format!("{v:.0} ms"),
        Unit::MegaBytesPerSecond => format!("{v:.0} MB/s"),
        Unit::MegaBytes => format!("{:.1} MB", v / 1024.0),
        Unit::PerSecond => format!("{v:.0}/s"),
        Unit::Ratio => format!("{v:.2}×"),
        Unit::Count => format!("{v:.1}"),
    }
}

/// A target as the issue states it, and whether a value (given the floor's) meets it.
pub(super) type Target = (&'static str, fn(f64, Option<f64>) -> bool);

/// One row: how to compute it for the floor and for an adapter, and the target for it.
pub(super) struct Row {
    pub(super) name: &'static str,
    pub(super) unit: Unit,
    pub(super) floor: fn(&Samples) -> Option<f64>,
    pub(super) adapter: fn(&Samples, &Samples) -> Option<f64>,
    /// `(text, passes)` for our column.
    pub(super) target: Option<Target>,
}

pub(super) fn diff(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

/// "met" or "MISSED" only when the figure holds or fails with a 10% margin either way: on a shared machine a
/// figure at the target flips between runs, so it says so instead of a verdict.
fn verdict(passes: fn(f64, Option<f64>) -> bool, ours: f64, floor: Option<f64>) -> &'static str {
    match (passes(ours * 0.9, floor), passes(ours * 1.1, floor)) {
        (true, true) => "met",
        (false, false) => "MISSED",
        _ => "within 10% of it",
    }
}

/// The table: a column for the floor, one per adapter (`bare` first, then ours, then the others), a ratio
/// column (theirs / ours) per other adapter, and ours against the targets.
pub fn table(names: &[String], floor: &Samples, adapters: &[Samples]) -> String {
    let mut header = vec!["figure".to_string(), "floor".into()];
    header.extend(names.iter().cloned());
    header.extend(names.iter().skip(2).map(|n| format!("{n}/{}", names[1])));
    header.push(format!("target ({})", names[1]));
    let mut lines = vec![header];
    for row in rows() {
        let floor_value = (row.floor)(floor);
        let values: Vec<Option<f64>> = adapters.iter().map(|s| (row.adapter)(s, floor)).collect();
        let mut line = vec![row.name.to_string()];
        line.push(format(floor_value, row.unit));
        line.extend(values.iter().map(|v| format(*v, row.unit)));
        for other in values.iter().skip(2) {
            line.push(match (other, values[1]) {
                (Some(theirs), Some(ours)) if ours.abs() > f64::EPSILON => format!("{:.2}", theirs / ours),
                _ => "-".into(),
            });
        }
        line.push(match (row.target, values[1]) {
            (Some((text, passes)), Some(ours)) => format!("{text}: {}", verdict(passes, ours, floor_value)),
            (Some((text, _)), None) => format!("{text}: no data"),
            (None, _) => String::new(),
        });
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        for (i, cell) in line.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i == 0 || i == line.len() - 1 {
                let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(out, "{}{cell}  ", " ".repeat(pad));
            }
        }
        out = out.trim_end().to_string();
        out.push('\n');
        if n == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}
