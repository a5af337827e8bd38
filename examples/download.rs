//! A large download behind a Lambda Function URL: the demo that shows streaming lifting the 6 MB limit.
//!
//! A buffered Lambda response is capped at 6 MB; a streamed one may be up to 200 MB, and it starts arriving
//! at once. The body is generated 256 KiB at a time as the connection takes it, so the function's memory
//! stays flat whatever `size` is. The content is the deterministic pattern
//! `byte[i] = ((i * 31 + 7) % 251) as u8`, so a download can be checked.
//!
//! The default size is 100 MiB rather than 1 GiB because of Lambda's limits on streamed responses: at most
//! 200 MB, and after the first 6 MB at most 2 MB/s, so 100 MiB takes about 50 s and fits the template's
//! 300 s timeout. Locally (`cargo run --example download`) any size works.
//! Deployment files: `examples/download/Dockerfile` and `template.yaml`.

mod common;

use common::pattern::{PATTERN, cyclic_body};
use common::{BadRequest, Handled, Query, Response, full, not_found, text, with_type};
use hyper::body::Incoming;
use hyper::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, HeaderValue};
use hyper::{Request, StatusCode};

const CHUNK: usize = 256 << 10;
const DEFAULT_SIZE: u64 = 100 << 20;

fn main() {
    common::run("download app", handle);
}

/// `GET /` (a page with the link), `GET /download?size=104857600` (the file), `GET /health`.
async fn handle(request: Request<Incoming>) -> Response {
    match request.uri().path() {
        "/" => with_type(StatusCode::OK, "text/html; charset=utf-8", full(PAGE)),
        "/download" => download(&request).unwrap_or_else(BadRequest::into_response),
        "/health" => text(StatusCode::OK, "ok"),
        _ => not_found(),
    }
}

/// `size` bytes with a Content-Length, so the browser shows progress and knows when the file is complete.
fn download(request: &Request<Incoming>) -> Handled {
    let size = Query::of(request).parse("size", DEFAULT_SIZE)?;
    let mut response = with_type(StatusCode::OK, "application/octet-stream", cyclic_body(&PATTERN, size, CHUNK));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"download.bin\""),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(size));
    Ok(response)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lambda-adapter: streamed download</title>
</head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<h1>A streamed download from Lambda</h1>
<p>The file is generated while it is sent, so it starts at once and is not limited to the 6 MB of a
buffered Lambda response. Lambda streams at most 200 MB per response, at up to 2 MB/s after the first 6 MB.</p>
<p><a href="download?size=104857600">Download 100 MiB</a> · <a href="download?size=10485760">10 MiB</a></p>
</body>
</html>
"#;
