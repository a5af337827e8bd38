//! Server-sent events behind a Lambda Function URL: the demo that shows response streaming working.
//!
//! `GET /` is a page whose script opens `EventSource('events')` and lists each tick as it arrives; with
//! `LWA_INVOKE_MODE=response_stream` and a `RESPONSE_STREAM` Function URL the ticks appear one per second,
//! while a buffered setup would show nothing until the whole stream had ended. The URL is relative so the
//! page also works under a base path. Deployment files: `examples/sse/Dockerfile` and `template.yaml`.
//!
//! One invocation cannot stream forever (the function's timeout, a proxy's idle timeout), so the stream is
//! built to survive its end: every event carries an `id`, the browser's `EventSource` reconnects by itself
//! and sends the last id it saw as `Last-Event-ID`, and the app continues from there. The page shows one
//! continuous sequence across invocations.

mod common;

use bytes::Bytes;
use common::{BadRequest, BoxError, Handled, Query, Response, full, not_found, now_us, streamed, text, with_type};
use hyper::body::{Frame, Incoming};
use hyper::header::{CACHE_CONTROL, HeaderValue};
use hyper::{Request, StatusCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn main() {
    common::run("sse app", handle);
}

/// `GET /` (the page), `GET /events?n=30&interval_ms=1000` (the stream), `GET /health`.
async fn handle(request: Request<Incoming>) -> Response {
    match request.uri().path() {
        "/" => with_type(StatusCode::OK, "text/html; charset=utf-8", full(PAGE)),
        "/events" => events(&request).unwrap_or_else(BadRequest::into_response),
        "/health" => text(StatusCode::OK, "ok"),
        _ => not_found(),
    }
}

/// `n` ticks, the first at once and then one every `interval_ms`, each written as its own frame so it
/// leaves the function as soon as it is produced, each with its number as its `id`. The stream then ends;
/// `EventSource` reconnects by itself with `Last-Event-ID`, and the next stream goes on after that tick.
fn events(request: &Request<Incoming>) -> Handled {
    let query = Query::of(request);
    let count = query.parse("n", 30u64)?;
    let interval = Duration::from_millis(query.bounded("interval_ms", 1000u64, 0, 3_600_000)?);
    let first = last_event_id(request).map_or(1, |last| last.saturating_add(1));
    let end = first.saturating_add(count);
    // `retry` asks the browser to reconnect after half a second instead of its default of a few.
    let opening = Bytes::from_static(b"retry: 500\n\n");
    let opening = futures::stream::once(async move { Ok::<_, BoxError>(Frame::data(opening)) });
    let ticks = futures::stream::unfold(first, move |tick| async move {
        if tick >= end {
            return None;
        }
        if tick > first {
            tokio::time::sleep(interval).await;
        }
        let now = SystemTime::now();
        let event = format!(
            "id: {tick}\nevent: tick\ndata: {{\"tick\":{tick},\"time\":\"{}\",\"sent_us\":{}}}\n\n",
            rfc3339(now),
            now_us()
        );
        Some((Ok::<_, BoxError>(Frame::data(Bytes::from(event))), tick.saturating_add(1)))
    });
    let ticks = futures::StreamExt::chain(opening, ticks);
    let mut response = with_type(StatusCode::OK, "text/event-stream", streamed(ticks));
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The last tick the browser saw, from the `Last-Event-ID` it sends when it reconnects.
fn last_event_id(request: &Request<Incoming>) -> Option<u64> {
    request.headers().get("last-event-id")?.to_str().ok()?.trim().parse().ok()
}

/// `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, without a date crate: days since the epoch are turned into a
/// civil date with Howard Hinnant's `civil_from_days` algorithm.
fn rfc3339(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (days, second_of_day) = ((seconds / 86_400) as i64, seconds % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since_epoch.subsec_millis()
    )
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lambda-adapter: server-sent events</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  #status { font-weight: bold; }
  #status.connected { color: #1a7f37; }
  #status.error { color: #cf222e; }
  #status.resuming { color: #9a6700; }
  #ticks { font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>Server-sent events from Lambda</h1>
<p>Each line below is one event, sent by the function as it happens and streamed through the Function URL.</p>
<p>Status: <span id="status">connecting…</span></p>
<ul id="ticks"></ul>
<script>
  const status = document.getElementById('status');
  const ticks = document.getElementById('ticks');
  function show(text, kind) { status.textContent = text; status.className = kind; }
  // The page's own query (`?n=5&interval_ms=200`) goes to the stream, so a short demo is one URL away.
  const source = new EventSource('events' + location.search);
  let last = 0;
  source.onopen = () => show(last ? 'connected again: resuming after tick ' + last : 'connected', 'connected');
  // A stream ends with its invocation; the browser reconnects and the app continues after the last tick.
  source.onerror = () => source.readyState === EventSource.CLOSED
    ? show('error: the stream is closed', 'error')
    : show('this invocation\'s stream ended; reconnecting to resume after tick ' + last + '…', 'resuming');
  source.addEventListener('tick', (event) => {
    const data = JSON.parse(event.data);
    last = data.tick;
    const delay = Math.max(0, Math.round(Date.now() - data.sent_us / 1000));
    const item = document.createElement('li');
    item.textContent = 'tick ' + data.tick + ' at ' + data.time + ' (received ~' + delay + ' ms after it was sent)';
    ticks.appendChild(item);
  });
</script>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap_day = UNIX_EPOCH + Duration::from_millis(951_782_400_123); // 2000-02-29T00:00:00.123Z
        assert_eq!(rfc3339(leap_day), "2000-02-29T00:00:00.123Z");
        let later = UNIX_EPOCH + Duration::from_secs(1_767_225_599); // last second of 2025
        assert_eq!(rfc3339(later), "2025-12-31T23:59:59.000Z");
    }
}
