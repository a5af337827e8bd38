//! The adapter's log: text by default, or one JSON object per line when Lambda's log format is JSON
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`), with the fields Lambda's own JSON logs use: `timestamp`, `level`,
//! `message`, `requestId` inside an invocation, and the event's fields.
//!
//! The level follows `LWA_LOG` or `RUST_LOG` (any `tracing` filter), else `AWS_LAMBDA_LOG_LEVEL` (Lambda's
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
use tracing_subscriber::filter::Directive;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::ConfigError;

/// Directives added after the user's filter, whatever it says: targets that log secrets at some level.
const SILENCED: [&str; 1] = ["aws_sigv4=off"];

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
        let format = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false);
        registry.with(format).init();
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

/// The filter the environment asks for, and the error when the variable it came from is invalid.
fn filter(lookup: &impl Fn(&str) -> Option<String>) -> (EnvFilter, Option<ConfigError>) {
    let ours = ["LWA_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|variable| lookup(variable).filter(|d| !d.trim().is_empty()).map(|d| (variable, d)));
    let (filter, invalid) = match ours {
        Some((variable, directive)) => match EnvFilter::try_new(&directive) {
            Ok(filter) => (filter, None),
            Err(error) => {
                let invalid = ConfigError {
                    variable: variable.into(),
                    value: directive,
                    allowed: format!("expected a log filter such as `debug` or `info,lambda_adapter=trace` ({error})"),
                };
                (EnvFilter::new("info"), Some(invalid))
            }
        },
        None => {
            let level = lookup("AWS_LAMBDA_LOG_LEVEL").map_or("info", |level| lambda_level(&level));
            (EnvFilter::new(level), None)
        }
    };
    let silenced = SILENCED.iter().filter_map(|text| text.parse::<Directive>().ok());
    (silenced.fold(filter, EnvFilter::add_directive), invalid)
}

/// Lambda's levels (`TRACE` … `FATAL`) as `tracing` levels.
fn lambda_level(level: &str) -> &'static str {
    match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => "info",
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

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(lambda_level("FATAL"), "error");
        assert_eq!(lambda_level("debug"), "debug");
        assert_eq!(lambda_level("nonsense"), "info");
    }

    fn filter_text(vars: &[(&str, &str)]) -> String {
        filter(&crate::config::lookup(vars)).0.to_string()
    }

    #[test]
    fn our_variables_win_over_lambdas_level() {
        assert_eq!(
            filter_text(&[("AWS_LAMBDA_LOG_LEVEL", "ERROR"), ("LWA_LOG", "debug")]),
            "aws_sigv4=off,debug"
        );
        assert_eq!(filter_text(&[("AWS_LAMBDA_LOG_LEVEL", "WARN")]), "aws_sigv4=off,warn");
        assert_eq!(filter_text(&[]), "aws_sigv4=off,info");
    }

    #[test]
    fn signing_stays_silent_whatever_the_filter_asks() {
        for asked in ["trace", "aws_sigv4=trace", "trace,aws_sigv4=trace"] {
            let text = filter_text(&[("LWA_LOG", asked)]);
            assert!(
                text.contains("aws_sigv4=off") && !text.contains("aws_sigv4=trace"),
                "{asked}: {text}"
            );
        }
        assert_eq!(filter_text(&[("AWS_LAMBDA_LOG_LEVEL", "TRACE")]), "aws_sigv4=off,trace");
    }

    #[test]
    fn an_invalid_filter_names_its_variable() {
        let (filter_now, invalid) = filter(&crate::config::lookup(&[("LWA_LOG", "debug,lambda_adapter=loud")]));
        let invalid = invalid.unwrap();
        assert_eq!(
            (invalid.variable.as_str(), invalid.value.as_str()),
            ("LWA_LOG", "debug,lambda_adapter=loud")
        );
        assert!(invalid.to_string().contains("expected a log filter"), "{invalid}");
        assert_eq!(filter_now.to_string(), "aws_sigv4=off,info");
        let (_, invalid) = filter(&crate::config::lookup(&[("RUST_LOG", "=")]));
        assert_eq!(invalid.unwrap().variable, "RUST_LOG");
    }
}
