//! Measurements behind the levels, the preference among equal q-values and the size threshold; `#[ignore]`d,
//! run them with `cargo test --release --lib compress::measure -- --ignored --nocapture --test-threads 1`.
//!
//! Samples: a generated JSON API answer (records with ids, names, dates, numbers, nested objects), English
//! prose (the system's license texts and this repository's Markdown), and JavaScript (playwright-core's
//! library, installed for the browser tests) — whichever of the last two are there. CPU is the thread's
//! own CPU time, so other work on the machine does not count.

use super::codec::{Encoder, Encoding};
use std::time::Duration;

fn thread_cpu() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// A deterministic JSON API answer of about `size` bytes.
pub(crate) fn json_sample(size: usize) -> Vec<u8> {
    const FIRST: [&str; 12] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Dennis", "Margaret", "Linus", "Radia", "Leslie",
    ];
    const LAST: [&str; 10] = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Thompson", "Ritchie", "Hamilton", "Perlman",
    ];
    const TAGS: [&str; 8] = ["admin", "beta", "billing", "eu", "us", "trial", "enterprise", "support"];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::from("{\"items\":[");
    let mut id = 0u64;
    while out.len() < size {
        id += 1;
        let (r1, r2, r3) = (next(), next(), next());
        let first = FIRST[(r1 % 12) as usize];
        let last = LAST[(r2 % 10) as usize];
        let tags: Vec<String> = (0..(r3 % 4))
            .map(|i| format!("\"{}\"", TAGS[((r3 >> (8 * i)) % 8) as usize]))
            .collect();
        if id > 1 {
            out.push(',');
        }
        out.push_str(&format!(
            "{{\"id\":{id},\"uuid\":\"{:016x}{:016x}\",\"name\":\"{first} {last}\",\"email\":\"{}.{}{}@example.com\",\
             \"created_at\":\"2024-{:02}-{:02}T{:02}:{:02}:{:02}Z\",\"active\":{},\"score\":{}.{:03},\"tags\":[{}],\
             \"address\":{{\"city\":\"City {}\",\"zip\":\"{:05}\",\"country\":\"{}\"}}}}",
            next(),
            next(),
            first.to_lowercase(),
            last.to_lowercase(),
            r1 % 1000,
            r1 % 12 + 1,
            r2 % 28 + 1,
            r3 % 24,
            r1 % 60,
            r2 % 60,
            r3 % 3 != 0,
            r1 % 100,
            r2 % 1000,
            tags.join(","),
            r3 % 500,
            r2 % 100_000,
            ["DE", "FR", "US", "JP", "BR"][(r1 % 5) as usize],
        ));
    }
    out.push_str("]}");
    out.into_bytes()
}

fn files(paths: impl IntoIterator<Item = std::path::PathBuf>, limit: usize) -> Vec<u8> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for path in paths {
        let Ok(canonical) = std::fs::canonicalize(&path) else { continue };
        if out.len() >= limit || !seen.insert(canonical.clone()) {
            continue;
        }
        out.extend(std::fs::read(&canonical).unwrap_or_default());
    }
    out.truncate(limit);
    out
}

fn sorted_dir(dir: &str, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p: &std::path::PathBuf| p.to_string_lossy().ends_with(suffix));
    paths.sort();
    paths
}

/// English prose: the license texts and the repository's Markdown.
fn text_sample() -> Vec<u8> {
    let mut paths = sorted_dir("/usr/share/common-licenses", "");
    paths.push(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md").into());
    paths.push(concat!(env!("CARGO_MANIFEST_DIR"), "/CHANGELOG.md").into());
    files(paths, 1 << 20)
}

/// Bundled JavaScript from playwright-core, when installed.
fn js_sample() -> Vec<u8> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/playwright-core/lib");
    files(sorted_dir(root, ".js"), 1 << 20)
}

/// Compresses `data` in frames of `frame` bytes (each flushed); returns the compressed size and CPU per MiB.
fn run(encoding: Encoding, level: u32, data: &[u8], frame: usize) -> (usize, Duration) {
    let mut rounds = 0u32;
    let mut size = 0;
    let start = thread_cpu();
    while rounds == 0 || thread_cpu() - start < Duration::from_millis(300) {
        let mut encoder = Encoder::with_level(encoding, level).unwrap();
        size = data
            .chunks(frame)
            .map(|chunk| encoder.compress(chunk).unwrap().len())
            .sum::<usize>();
        size += encoder.finish().unwrap().len();
        rounds += 1;
    }
    let per_round = (thread_cpu() - start) / rounds;
    let per_mib = per_round.mul_f64((1 << 20) as f64 / data.len() as f64);
    (size, per_mib)
}

const CANDIDATES: [(Encoding, &[u32]); 3] = [
    (Encoding::Gzip, &[1, 4, 6, 9]),
    (Encoding::Brotli, &[1, 3, 4, 5, 6, 9]),
    (Encoding::Zstd, &[1, 3, 6, 9]),
];

#[test]
#[ignore = "a measurement, not a check: run with --ignored --nocapture (in release for real numbers)"]
fn levels() {
    let samples = [("json", json_sample(1 << 20)), ("text", text_sample()), ("js", js_sample())];
    println!("| sample | size | codec | level | ratio whole | ratio 64 KiB frames | ratio 16 KiB frames | CPU ms/MiB |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, data) in samples.iter().filter(|(_, d)| !d.is_empty()) {
        for (encoding, levels) in CANDIDATES {
            for &level in levels {
                let (whole, _) = run(encoding, level, data, data.len());
                let (framed, cpu) = run(encoding, level, data, 64 * 1024);
                let (small, _) = run(encoding, level, data, 16 * 1024);
                let ratio = |size: usize| data.len() as f64 / size as f64;
                println!(
                    "| {name} | {} | {} | {level} | {:.2} | {:.2} | {:.2} | {:.1} |",
                    data.len(),
                    encoding.token(),
                    ratio(whole),
                    ratio(framed),
                    ratio(small),
                    cpu.as_secs_f64() * 1000.0
                );
            }
        }
    }
}

#[test]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
fn threshold() {
    let json = json_sample(4096);
    let text = text_sample();
    let small_json: &[&[u8]] = &[
        b"{}",
        b"{\"ok\":true}",
        b"{\"id\":123,\"status\":\"ok\"}",
        b"{\"error\":\"not found\",\"code\":404}",
        b"{\"id\":42,\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\"}",
    ];
    println!("| body | bytes | gzip | br | zstd |");
    println!("|---|---|---|---|---|");
    let mut rows: Vec<(String, Vec<u8>)> = small_json
        .iter()
        .map(|b| (String::from_utf8_lossy(b).into_owned(), b.to_vec()))
        .collect();
    for n in [16, 24, 32, 48, 64, 96, 128, 256, 512, 1024] {
        rows.push((format!("JSON prefix {n}"), json[..n].to_vec()));
        if text.len() >= n {
            rows.push((format!("text prefix {n}"), text[..n].to_vec()));
        }
    }
    for (name, body) in rows {
        let sizes: Vec<String> = [Encoding::Gzip, Encoding::Brotli, Encoding::Zstd]
            .into_iter()
            .map(|encoding| {
                let mut encoder = Encoder::new(encoding).unwrap();
                let size = encoder.compress(&body).unwrap().len() + encoder.finish().unwrap().len();
                format!("{size} ({:+})", size as i64 - body.len() as i64)
            })
            .collect();
        println!("| `{}` | {} | {} |", name.replace('|', "\\|"), body.len(), sizes.join(" | "));
    }
}

/// What one response costs whole, encoder set-up included: small answers pay mostly for the set-up.
#[test]
#[ignore = "a measurement, not a check: run with --ignored --nocapture (in release for real numbers)"]
fn per_response() {
    let json = json_sample(256 * 1024);
    println!("| codec | 300 B | 1 KiB | 10 KiB | 100 KiB |");
    println!("|---|---|---|---|---|");
    for encoding in [Encoding::Gzip, Encoding::Brotli, Encoding::Zstd] {
        let cells: Vec<String> = [300, 1024, 10 * 1024, 100 * 1024]
            .into_iter()
            .map(|size| {
                let body = &json[..size];
                let mut rounds = 0u32;
                let start = thread_cpu();
                while rounds == 0 || thread_cpu() - start < Duration::from_millis(300) {
                    let mut encoder = Encoder::new(encoding).unwrap();
                    let _ = encoder.compress(body).unwrap();
                    let _ = encoder.finish().unwrap();
                    rounds += 1;
                }
                format!("{:.0} µs", ((thread_cpu() - start) / rounds).as_secs_f64() * 1e6)
            })
            .collect();
        println!("| {} | {} |", encoding.token(), cells.join(" | "));
    }
}
