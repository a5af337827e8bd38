//! The hook-path matcher (`net::route_path`): no spelling that a common router decodes to a SnapStart hook
//! path may pass as another route, and paths that are not the hook's are never taken for it.
//!
//! The input picks a hook path (built from segments) and a chain of rewrites that routers undo: percent-
//! encoding any byte (upper or lower hex, once or twice), `%2F` and `\` for `/`, repeated `/`, `.` and
//! `x/..` segments, `;parameters`, a trailing `/`, case changes, and a query. Whatever the chain, the
//! spelling must still be the hook. Arbitrary text beside it must never panic. (That other routes stay
//! other routes, `/snapstart/beforehand` and the like, is the unit tests' table.)
#![no_main]

use arbitrary::Arbitrary;
use lambda_adapter::net::route_path::{canonical, same_route};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Rewrite {
    /// Percent-encodes the byte at this position (twice when `double`, lower-case hex when `lower`).
    Encode { at: u16, double: bool, lower: bool },
    /// Replaces the `/` at this position (counting slashes) with `%2F`, `%2f` or `\`.
    Slash { nth: u8, how: u8 },
    /// Inserts `/`, `./` or `x/../` after the `/` at this position.
    Insert { nth: u8, what: u8 },
    /// Adds `;params` after the segment that ends at this slash (or at the end).
    Params { nth: u8, params: String },
    /// Flips the case of the ASCII letter at this position.
    Case { at: u16 },
    TrailingSlash,
    Query(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    segments: Vec<u8>,
    rewrites: Vec<Rewrite>,
    other: String,
}

/// Segment texts a hook path is built from: `/` and `;` are left out (they end or cut a segment), and so
/// are `.`/`..` alone, `%` and `?`/`#`, which the user cannot mean literally in a hook path.
const WORDS: [&str; 6] = ["snapstart", "before", "after-restore", "hooks", "v1", "Checkpoint_2"];

fn slash_positions(path: &[u8]) -> Vec<usize> {
    path.iter().enumerate().filter(|(_, b)| **b == b'/').map(|(i, _)| i).collect()
}

fn apply(path: &mut Vec<u8>, rewrite: &Rewrite) {
    let slashes = slash_positions(path);
    let nth_slash = |nth: u8| (!slashes.is_empty()).then(|| slashes[nth as usize % slashes.len()]);
    match rewrite {
        Rewrite::Encode { at, double, lower } => {
            if path.is_empty() {
                return;
            }
            let i = *at as usize % path.len();
            // Not inside an escape: re-encoding its digits would nest escapes deeper than any router decodes.
            if path[i] == b'%' || (i >= 1 && path[i - 1] == b'%') || (i >= 2 && path[i - 2] == b'%') {
                return;
            }
            let byte = path[i];
            let mut encoded = if *lower { format!("%{byte:02x}") } else { format!("%{byte:02X}") };
            if *double {
                encoded = encoded.replacen('%', "%25", 1);
            }
            path.splice(i..=i, encoded.into_bytes());
        }
        Rewrite::Slash { nth, how } => {
            if let Some(i) = nth_slash(*nth) {
                let with: &[u8] = [b"%2F".as_slice(), b"%2f", b"\\"][*how as usize % 3];
                path.splice(i..=i, with.iter().copied());
            }
        }
        Rewrite::Insert { nth, what } => {
            if let Some(i) = nth_slash(*nth) {
                let what: &[u8] = [b"/".as_slice(), b"./", b"x/../"][*what as usize % 3];
                path.splice(i + 1..i + 1, what.iter().copied());
            }
        }
        Rewrite::Params { nth, params } => {
            // ASCII, so that a later rewrite that encodes one byte never splits a character.
            let params: String = params
                .chars()
                .filter(|c| c.is_ascii_graphic() && !matches!(c, '/' | '\\' | '?' | '#' | '%'))
                .take(16)
                .collect();
            let at = slashes.get(*nth as usize % (slashes.len() + 1)).copied().unwrap_or(path.len());
            // Not right after a slash: `/;x` would make an empty segment into `;x`, another route.
            if at > 0 && path[at - 1] != b'/' {
                let mut insert = vec![b';'];
                insert.extend_from_slice(params.as_bytes());
                path.splice(at..at, insert);
            }
        }
        Rewrite::Case { at } => {
            if !path.is_empty() {
                let i = *at as usize % path.len();
                path[i] = if path[i].is_ascii_lowercase() { path[i].to_ascii_uppercase() } else { path[i].to_ascii_lowercase() };
            }
        }
        Rewrite::TrailingSlash => path.push(b'/'),
        Rewrite::Query(query) => {
            path.push(b'?');
            path.extend(query.bytes().filter(u8::is_ascii));
        }
    }
}

fuzz_target!(|input: Input| {
    let hook: String = input.segments.iter().take(4).map(|i| format!("/{}", WORDS[*i as usize % WORDS.len()])).collect();
    let hook = if hook.is_empty() { "/snapstart/before".to_string() } else { hook };
    let mut spelled = hook.clone().into_bytes();
    for rewrite in input.rewrites.iter().take(12) {
        // A query hides the rest from the path: nothing after it is the path's.
        if spelled.contains(&b'?') {
            break;
        }
        apply(&mut spelled, rewrite);
    }
    // Encoded bytes stay ASCII, so the spelling is text; a rewrite never introduces other bytes.
    let spelled = String::from_utf8(spelled).expect("rewrites keep the path ASCII");
    assert!(same_route(&spelled, &hook), "{spelled:?} passed as another route than the hook {hook:?}");

    // Any text at all: an answer, never a panic.
    let _ = (canonical(&input.other), same_route(&input.other, &hook));
});
