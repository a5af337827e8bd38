//! Arbitrary bytes as a streamed response: the prelude parser, fed the bytes cut into fuzzer-chosen chunks,
//! finds the same prelude and body as when fed them at once (as long as the prelude limit is not in play),
//! and never loses or adds a byte; the prelude decoder answers a head or an error, never a panic.
#![no_main]

use arbitrary::Arbitrary;
use fuzz_support::api::{self, MAX_PRELUDE, Parsed, PreludeParser};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Chunk lengths, used in turn (0 pushes an empty chunk).
    cuts: Vec<u16>,
    /// The rest of the input as it is (a leading 0 byte, for no cuts, then a stream).
    data: &'a [u8],
}

/// A prelude and everything after its separator.
type Split = (Vec<u8>, Vec<u8>);

/// Pushes `chunks` until the parser is done; returns the prelude and everything after the separator.
fn parse<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Option<Split>, String> {
    let mut parser = PreludeParser::default();
    let mut done: Option<Split> = None;
    for chunk in chunks {
        match &mut done {
            Some((_, body)) => body.extend_from_slice(chunk),
            None => {
                if let Parsed::Done { prelude, rest } = parser.push(chunk).map_err(|e| e.to_string())? {
                    done = Some((prelude.to_vec(), rest.to_vec()));
                }
            }
        }
    }
    Ok(done)
}

fn separator_at(data: &[u8]) -> Option<usize> {
    data.windows(8).position(|w| w == [0u8; 8])
}

fuzz_target!(|input: Input| {
    let data = input.data;
    let _ = api::decode_prelude(data);

    let mut chunks = Vec::new();
    let mut rest = data;
    let mut cuts = input.cuts.iter().take(64).cycle();
    while !rest.is_empty() {
        let len = cuts.next().map_or(rest.len(), |&c| (c as usize).min(rest.len()));
        let (chunk, tail) = rest.split_at(len);
        chunks.push(chunk);
        rest = tail;
        if chunks.len() > 4096 {
            chunks.push(rest);
            break;
        }
    }

    let whole = parse(std::iter::once(data));
    let chunked = parse(chunks.iter().copied());
    match separator_at(data) {
        Some(at) => {
            // One chunk holding the separator completes the prelude whatever its length.
            let expected = Some((data[..at].to_vec(), data[at + 8..].to_vec()));
            assert_eq!(whole.as_ref().ok(), Some(&expected), "whole");
            if data.len() <= MAX_PRELUDE {
                assert_eq!(chunked.as_ref().ok(), Some(&expected), "chunked at {:?}", input.cuts);
            } else if let Ok(Some(found)) = &chunked {
                assert_eq!(Some(found), expected.as_ref(), "chunked at {:?}", input.cuts);
            }
        }
        None => {
            assert!(!matches!(whole, Ok(Some(_))), "found a separator that is not there");
            assert!(!matches!(chunked, Ok(Some(_))), "found a separator that is not there (chunked)");
            if data.len() <= MAX_PRELUDE {
                assert_eq!(whole, Ok(None));
                assert_eq!(chunked, Ok(None));
            }
        }
    }
    if let Ok(Some((prelude, _))) = chunked {
        let _ = api::decode_prelude(&prelude);
    }
});
