//! Arbitrary bytes as a function's buffered answer, decoded in each document format as the event source
//! would read it (what `lambda-adapter dev`'s front door does): a response or a `DecodeError`, never a panic.
//! A decoded response has a status from 100 to 599 and none of the hop-by-hop headers.
#![no_main]

use fuzz_support::api;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    for format in api::decoders() {
        let Ok((status, headers, _body)) = api::decode_buffered(format, payload) else {
            continue;
        };
        let status = status.as_u16();
        assert!((100..=599).contains(&status), "{format:?}: status {status}");
        for name in api::HOP_BY_HOP {
            assert!(!headers.contains_key(name), "{format:?}: `{name}` survived: {headers:?}");
        }
    }
});
