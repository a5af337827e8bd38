//! Arbitrary bytes as a Lambda event: translation answers a request or an error, never a panic.
#![no_main]

use fuzz_support::api::{self, TranslateOptions};
use fuzz_support::{context, options};
use lambda_adapter::context::InvocationContext;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CASES: LazyLock<[(InvocationContext, TranslateOptions); 2]> =
    LazyLock::new(|| [(context(true), options(None)), (context(false), options(Some("/my")))]);

fuzz_target!(|event: &[u8]| {
    for (ctx, options) in CASES.iter() {
        let _ = api::translate(event, ctx, options);
    }
});
