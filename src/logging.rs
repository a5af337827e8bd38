//! The adapter's log: text by default, or one JSON object per line when Lambda's log format is JSON
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`), with the fields Lambda's own JSON logs use: `timestamp`, `level`,
//! `message`, `requestId` inside an invocation, and the event's fields.
//!
//! The level follows `LWA_LOG` or `RUST_LOG` (a level and `target=level` pairs), else `AWS_LAMBDA_LOG_LEVEL` (Lambda's
//! advanced logging controls), else `info`. An invalid `LWA_LOG` is the adapter's own setting gone wrong and
//! fails init; an invalid `RUST_LOG` is logged as a warning and `info` used, because that variable is shared
//! with the app (a Rust app's logger may accept what `tracing`'s filter does not) and must not stop it.
//!
//! Whatever the filter, nothing that can carry a credential is logged: `aws-sigv4` logs the canonical
//! request (with `x-amz-security-token`) at `trace`, so its target is always off.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::ConfigError;

/// Targets turned off after the user's filter, whatever it says: they log secrets at some level.
const SILENCED: [&str; 1] = ["aws_sigv4"];

/// Installs the global subscriber, reading the environment through `lookup`. An invalid `LWA_LOG` comes
/// back as the error to fail init with (the subscriber is installed with `info` all the same).
pub fn init(lookup: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let (filter, invalid) = filter(&lookup);
    let json = lookup("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        let format = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .event_format(LambdaJson);
        registry.with(RequestIds).with(format).init();
    } else {
        let format = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false);
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            registry.with(format).init();
        } else {
            registry.with(format.with_ansi(false).fmt_fields(plain_fields())).init();
        }
    }
    match invalid {
        Some(error) if error.variable == "RUST_LOG" => {
            tracing::warn!("{error}; using `info` (RUST_LOG is shared with the app, so the adapter goes on)");
            Ok(())
        }
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Fields as `tracing-subscriber`'s default text writes them without colour (`name=value`, space apart, the
/// message bare), written directly: its default formatter goes through its colour styles even when they are
/// off, and it formats every invocation's `invoke` span (writing directly takes some 700 instructions off each
/// invocation, callgrind). Only where nothing reads colour: Lambda's log, a pipe.
fn plain_fields() -> impl for<'w> FormatFields<'w> + 'static {
    use tracing_subscriber::field::MakeExt;
    tracing_subscriber::fmt::format::debug_fn(|writer, field, value| match field.name() {
        "message" => write!(writer, "{value:?}"),
        name => write!(writer, "{name}={value:?}"),
    })
    .delimited(" ")
}

/// The filter the environment asks for, and the error when the variable it came from is invalid. A filter
/// is a default level and `target=level` pairs (`info,lambda_adapter=debug`): `tracing-subscriber`'s
/// `Targets`, which needs no regular expressions (`EnvFilter`'s span and field filters did, for 200 KB of
/// the shipped binary and a dynamic check on every span).
fn filter(lookup: &impl Fn(&str) -> Option<String>) -> (Targets, Option<ConfigError>) {
    let ours = ["LWA_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|variable| lookup(variable).filter(|d| !d.trim().is_empty()).map(|d| (variable, d)));
    let (filter, invalid) = match ours {
        Some((variable, directive)) => match directive.trim().parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(error) => {
                let invalid = ConfigError {
                    variable: variable.into(),
                    value: directive,
                    allowed: format!(
                        "expected a log filter: a level, `target=level` pairs, or both, such as `debug` or `info,lambda_adapter=trace` ({error})"
                    ),
                };
                (Targets::new().with_default(LevelFilter::INFO), Some(invalid))
            }
        },
        None => {
            let level = lookup("AWS_LAMBDA_LOG_LEVEL").map_or(LevelFilter::INFO, |level| lambda_level(&level));
            (Targets::new().with_default(level), None)
        }
    };
    // The user's directives for a silenced target or anything under it (`aws_sigv4::http_request=trace`, more
    // specific, would otherwise win over the silencing) are dropped, then the targets turned off.
    let silenced = |target: &str| {
        SILENCED
            .iter()
            .any(|s| target.strip_prefix(s).is_some_and(|rest| rest.is_empty() || rest.starts_with("::")))
    };
    let kept = filter.iter().filter(|(target, _)| !silenced(target));
    let mut safe = kept.fold(Targets::new(), |safe, (target, level)| safe.with_target(target, level));
    if let Some(level) = filter.default_level() {
        safe = safe.with_default(level);
    }
    let safe = SILENCED
        .iter()
        .fold(safe, |safe, target| safe.with_target(*target, LevelFilter::OFF));
    (safe, invalid)
}

/// Lambda's levels (`TRACE` … `FATAL`) as `tracing` levels.
fn lambda_level(level: &str) -> LevelFilter {
    match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        _ => LevelFilter::INFO,
    }
}

/// The request id of an `invoke` span, kept with the span for the JSON lines logged inside it.
struct RequestId(String);

/// Records the `request_id` field of spans.
struct RequestIds;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for RequestIds {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        attrs.record(&mut fields);
        if let (Some(Value::String(request_id)), Some(span)) = (fields.0.remove("request_id"), ctx.span(id)) {
            span.extensions_mut().insert(RequestId(request_id));
        }
    }
}

/// One JSON object per event.
struct LambdaJson;

impl<S, N> FormatEvent<S, N> for LambdaJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let mut line = Map::new();
        line.insert("timestamp".into(), timestamp().into());
        line.insert("level".into(), event.metadata().level().as_str().into());
        line.insert("message".into(), fields.0.remove("message").unwrap_or_default());
        let request_id = ctx
            .event_scope()
            .into_iter()
            .flatten()
            .find_map(|span| span.extensions().get::<RequestId>().map(|id| id.0.clone()));
        if let Some(request_id) = request_id {
            line.insert("requestId".into(), request_id.into());
        }
        line.extend(fields.0);
        writeln!(writer, "{}", Value::Object(line))
    }
}

fn timestamp() -> String {
    crate::dates::iso_millis(crate::context::now_ms())
}

/// An event's or span's fields as JSON values.
#[derive(Default)]
struct JsonFields(Map<String, Value>);

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(lambda_level("FATAL"), LevelFilter::ERROR);
        assert_eq!(lambda_level("debug"), LevelFilter::DEBUG);
        assert_eq!(lambda_level("nonsense"), LevelFilter::INFO);
    }

    /// What `filter` lets through: the adapter's own events at each level, and `aws_sigv4`'s at trace.
    fn enabled(vars: &[(&str, &str)]) -> (Option<Level>, bool) {
        let filter = filter(&crate::config::lookup(vars)).0;
        let levels = [Level::TRACE, Level::DEBUG, Level::INFO, Level::WARN, Level::ERROR];
        let lowest = levels
            .into_iter()
            .find(|level| filter.would_enable("lambda_adapter::invoke", level));
        (lowest, filter.would_enable("aws_sigv4::http_request", &Level::ERROR))
    }

    #[test]
    fn our_variables_win_over_lambdas_level() {
        assert_eq!(
            enabled(&[("AWS_LAMBDA_LOG_LEVEL", "ERROR"), ("LWA_LOG", "debug")]),
            (Some(Level::DEBUG), false)
        );
        assert_eq!(enabled(&[("AWS_LAMBDA_LOG_LEVEL", "WARN")]), (Some(Level::WARN), false));
        assert_eq!(enabled(&[]), (Some(Level::INFO), false));
        assert_eq!(enabled(&[("RUST_LOG", "warn,lambda_adapter=trace")]), (Some(Level::TRACE), false));
        assert_eq!(enabled(&[("LWA_LOG", "lambda_adapter=off")]), (None, false));
    }

    #[test]
    fn signing_stays_silent_whatever_the_filter_asks() {
        for asked in ["trace", "aws_sigv4=trace", "trace,aws_sigv4=trace", "aws_sigv4::http_request=trace"] {
            let (lowest, signing) = enabled(&[("LWA_LOG", asked)]);
            assert!(!signing, "{asked}: aws_sigv4 logs");
            assert_eq!(lowest.is_some(), asked.starts_with("trace"), "{asked}");
        }
        assert_eq!(enabled(&[("AWS_LAMBDA_LOG_LEVEL", "TRACE")]), (Some(Level::TRACE), false));
    }

    #[test]
    fn an_invalid_filter_names_its_variable() {
        let vars = [("LWA_LOG", "debug,lambda_adapter=loud")];
        let invalid = filter(&crate::config::lookup(&vars)).1.unwrap();
        assert_eq!(
            (invalid.variable.as_str(), invalid.value.as_str()),
            ("LWA_LOG", "debug,lambda_adapter=loud")
        );
        assert!(invalid.to_string().contains("expected a log filter"), "{invalid}");
        assert_eq!(enabled(&vars), (Some(Level::INFO), false));
        let (_, invalid) = filter(&crate::config::lookup(&[("RUST_LOG", "lambda_adapter=loud")]));
        assert_eq!(invalid.unwrap().variable, "RUST_LOG");
    }

    /// What the fmt layer writes for a span and a few events, without colour or time, with `fields` formatting
    /// the fields.
    fn lines_with<N>(fields: N) -> String
    where
        N: for<'w> FormatFields<'w> + Send + Sync + 'static,
    {
        use std::sync::{Arc, Mutex};
        let out = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let out = out.clone();
            move || Capture(out.clone())
        };
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .with_target(false)
            .without_time()
            .fmt_fields(fields);
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let id = String::from("0f0e-0001");
            let span = tracing::info_span!("invoke", request_id = %id);
            span.in_scope(|| {
                tracing::warn!(bytes_sent = 42u64, "the stream ends with an error: {}", "gone");
                tracing::error!(kind = "Function URL", status = 502u16, flag = true, text = ?"q\"", "done");
            });
            tracing::info!("outside");
        });
        let bytes = out.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn plain_fields_write_what_the_default_writes_without_colour() {
        let plain = lines_with(plain_fields());
        let default = lines_with(tracing_subscriber::fmt::format::DefaultFields::new());
        assert_eq!(plain, default);
        assert!(
            plain.contains("invoke{request_id=0f0e-0001}: the stream ends with an error: gone bytes_sent=42"),
            "{plain}"
        );
        assert_eq!(plain.lines().count(), 3, "{plain}");
    }
}
