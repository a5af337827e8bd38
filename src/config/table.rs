//! Every setting the adapter reads, in one table: its name without prefix, what it does and its default.
//!
//! `lambda-adapter --help` is printed from this table ([`help`](crate::config::table::help)), and this module's tests hold the table to
//! the code that reads the settings: reading the configuration ([`Config::from_settings`](crate::config::Config::from_settings) and
//! [`runtime_endpoint`](crate::config::runtime_api::runtime_endpoint)) with an empty environment must ask for exactly the variables the
//! table names, no more and no fewer, and every default written as a value must be the value the parser uses
//! when the setting is unset. A setting added to the parser without a row here (or a row left behind after a
//! setting is removed) fails those tests, so the help cannot drift from what the adapter does.

/// Which part of the adapter reads a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// [`super::Config::from_settings`]: `LWA_<NAME>`, else `AWS_LWA_<NAME>`.
    Config,
    /// [`super::runtime_api::runtime_endpoint`], read before the others: `LWA_<NAME>`, else `AWS_LWA_<NAME>`.
    RuntimeApi,
    /// The log set-up (`crate::logging`), which reads `LWA_<NAME>` only.
    Logging,
}

/// A setting's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    /// A value the setting accepts, which is what the adapter uses when it is unset (the tests check both).
    Value(&'static str),
    /// No single value: what happens when it is unset.
    Described(&'static str),
}

impl DefaultValue {
    pub fn text(&self) -> &'static str {
        match self {
            DefaultValue::Value(text) | DefaultValue::Described(text) => text,
        }
    }
}

/// One row: a setting, under `LWA_<name>` and `AWS_LWA_<name>`.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// The name without prefix, such as `INVOKE_MODE`.
    pub name: &'static str,
    /// What it does, in one sentence (wrapped by [`help`]).
    pub what: &'static str,
    pub default: DefaultValue,
    pub reader: Reader,
    /// Other variables read for the same setting: the plain fallback (`PORT`) or the reference adapter's
    /// deprecated names without prefix.
    pub also: &'static [&'static str],
}

const fn setting(name: &'static str, what: &'static str, default: DefaultValue) -> Setting {
    Setting {
        name,
        what,
        default,
        reader: Reader::Config,
        also: &[],
    }
}

const fn deprecated_plain(mut setting: Setting, names: &'static [&'static str]) -> Setting {
    setting.also = names;
    setting
}

const NONE: DefaultValue = DefaultValue::Described("none");

/// Every `LWA_*` / `AWS_LWA_*` setting, in the order `--help` lists them.
pub const SETTINGS: &[Setting] = &[
    deprecated_plain(
        setting(
            "PORT",
            "the app's port, where requests and the readiness check go; the plain PORT variable is the fallback",
            DefaultValue::Value("8080"),
        ),
        &["PORT"],
    ),
    setting(
        "HOST",
        "the app's host: a host name or an IP address (IPv6 without brackets is fine)",
        DefaultValue::Value("127.0.0.1"),
    ),
    deprecated_plain(
        setting(
            "READINESS_CHECK_PATH",
            "the path (with an optional query) the readiness check GETs",
            DefaultValue::Value("/"),
        ),
        &["READINESS_CHECK_PATH"],
    ),
    deprecated_plain(
        setting(
            "READINESS_CHECK_PORT",
            "the port of the readiness check",
            DefaultValue::Described("the app's port"),
        ),
        &["READINESS_CHECK_PORT"],
    ),
    deprecated_plain(
        setting(
            "READINESS_CHECK_PROTOCOL",
            "`http` (a status in the healthy ranges) or `tcp` (a connection)",
            DefaultValue::Value("http"),
        ),
        &["READINESS_CHECK_PROTOCOL"],
    ),
    setting(
        "READINESS_CHECK_HEALTHY_STATUS",
        "the statuses that count as ready, as ranges such as `200-399,404`",
        DefaultValue::Value("100-499"),
    ),
    setting(
        "READINESS_CHECK_TIMEOUT",
        "seconds (fractions allowed) to wait for the app before init fails, naming the path and the last status seen",
        DefaultValue::Described("wait until Lambda's own init timeout"),
    ),
    setting(
        "READINESS_CHECK_TIMEOUT_SECONDS",
        "the reference adapter's newer name for READINESS_CHECK_TIMEOUT (which wins when both are set)",
        DefaultValue::Described("wait until Lambda's own init timeout"),
    ),
    setting(
        "POOL_IDLE_TIMEOUT_SECONDS",
        "how long an idle connection to the app stays pooled (`0`: none is kept); under Node's 5 s keep-alive",
        DefaultValue::Value("4"),
    ),
    setting(
        "SSE_KEEPALIVE",
        "seconds a streamed text/event-stream may stay silent before an SSE comment line keeps proxies from timing it out",
        NONE,
    ),
    setting(
        "SNAPSTART_BEFORE_CHECKPOINT_PATH",
        "an app path POSTed before the SnapStart snapshot (clients asking for it get 403)",
        NONE,
    ),
    setting(
        "SNAPSTART_AFTER_RESTORE_PATH",
        "an app path POSTed after a SnapStart restore (clients asking for it get 403)",
        NONE,
    ),
    deprecated_plain(
        setting(
            "ASYNC_INIT",
            "stop waiting for the app at 9.8 s so init does not time out; the first invocation waits for it",
            DefaultValue::Value("false"),
        ),
        &["ASYNC_INIT"],
    ),
    deprecated_plain(
        setting(
            "REMOVE_BASE_PATH",
            "a prefix removed from request paths (`/api` takes `/api/users` to `/users`)",
            NONE,
        ),
        &["REMOVE_BASE_PATH"],
    ),
    setting(
        "PASS_THROUGH_PATH",
        "where non-HTTP events (SQS, S3, EventBridge, ...) are POSTed",
        DefaultValue::Value("/events"),
    ),
    setting(
        "PASS_THROUGH_ANY_STATUS",
        "`true` posts a non-HTTP event's answer as the result whatever its status (the reference adapter's way); by default a status outside 2xx fails the invocation, so SQS, Kinesis and async invokes retry it",
        DefaultValue::Value("false"),
    ),
    setting("AUTHORIZATION_SOURCE", "a request header copied into `Authorization`", NONE),
    setting(
        "ERROR_STATUS_CODES",
        "app statuses that fail the invocation, such as `500,502-504`, so Lambda's retries and alarms see them",
        NONE,
    ),
    setting(
        "INVOKE_MODE",
        "`buffered` or `response_stream` (set the Function URL's InvokeMode to match)",
        DefaultValue::Value("buffered"),
    ),
    setting(
        "APIGW_REST_STREAMING",
        "stream responses to API Gateway REST events (only with an integration using `responseTransferMode: STREAM`)",
        DefaultValue::Value("false"),
    ),
    setting(
        "HTTP_API_DOMAINS",
        "custom domains (comma-separated) in front of an HTTP API, whose events must be answered buffered",
        NONE,
    ),
    setting(
        "ENABLE_COMPRESSION",
        "compress responses for clients that accept it, for the types in COMPRESSIBLE_TYPES",
        DefaultValue::Value("false"),
    ),
    setting(
        "COMPRESSIBLE_TYPES",
        "the content types compressed, comma-separated (`type/subtype`, `type/*`, `type/*+suffix`); replaces the default list",
        DefaultValue::Value(super::compression::DEFAULT_TYPES),
    ),
    setting(
        "WS_PATH",
        "base path of the app's WebSocket routes `/connect`, `/message`, `/disconnect`",
        DefaultValue::Value("/ws"),
    ),
    setting(
        "WS_REPLY",
        "`response` (a message's reply is the Lambda response body) or `post` (sent through @connections)",
        DefaultValue::Value("response"),
    ),
    setting(
        "WS_CALLBACK_PORT",
        "loopback port of the adapter's @connections server (9003 when the app itself listens on 9002)",
        DefaultValue::Value("9002"),
    ),
    setting(
        "WS_ENDPOINT",
        "the WebSocket management API's base URL with the stage, such as `https://ws.example.com/chat`",
        DefaultValue::Described("from the events"),
    ),
    Setting {
        name: "LAMBDA_RUNTIME_API_PROXY",
        what: "a Runtime API address used instead of AWS_LAMBDA_RUNTIME_API (a proxy extension in between)",
        default: NONE,
        reader: Reader::RuntimeApi,
        also: &[],
    },
    Setting {
        name: "LOG",
        what: "the log filter (`debug` shows one line per invocation); LWA_LOG only, else RUST_LOG, else AWS_LAMBDA_LOG_LEVEL",
        default: DefaultValue::Value("info"),
        reader: Reader::Logging,
        also: &["RUST_LOG"],
    },
];

/// One of Lambda's own variables that the adapter reads, as Lambda sets them.
#[derive(Clone, Copy, Debug)]
pub struct LambdaVariable {
    pub name: &'static str,
    pub what: &'static str,
    pub reader: Reader,
}

/// Lambda's variables the adapter reads (Lambda sets them; `lambda-adapter dev` sets them as Lambda would).
pub const LAMBDA_VARIABLES: &[LambdaVariable] = &[
    LambdaVariable {
        name: "AWS_LAMBDA_RUNTIME_API",
        what: "the Runtime API's `host:port` (or a URL with a path prefix)",
        reader: Reader::RuntimeApi,
    },
    LambdaVariable {
        name: "AWS_LAMBDA_MAX_CONCURRENCY",
        what: "invocations served at once on Lambda Managed Instances (1 elsewhere)",
        reader: Reader::Config,
    },
    LambdaVariable {
        name: "AWS_LAMBDA_INITIALIZATION_TYPE",
        what: "`snap-start` runs SnapStart's lifecycle",
        reader: Reader::Config,
    },
    LambdaVariable {
        name: "AWS_LAMBDA_LOG_LEVEL",
        what: "the log level when neither LWA_LOG nor RUST_LOG is set",
        reader: Reader::Logging,
    },
    LambdaVariable {
        name: "AWS_LAMBDA_LOG_FORMAT",
        what: "`JSON`: one JSON object per log line",
        reader: Reader::Logging,
    },
];

impl Setting {
    /// The variables this setting is read from, in the order they are looked up.
    #[cfg(test)]
    pub(crate) fn variables(&self) -> Vec<String> {
        let mut names = vec![format!("LWA_{}", self.name)];
        if self.reader != Reader::Logging {
            names.push(format!("AWS_LWA_{}", self.name));
        }
        names.extend(self.also.iter().map(|name| name.to_string()));
        names
    }
}

/// The settings part of `lambda-adapter --help`, from the tables: every setting with its default.
pub fn help() -> String {
    const WIDTH: usize = 110;
    const NAME: usize = 34;
    let mut text = String::from(
        "SETTINGS (environment variables LWA_<NAME> or AWS_LWA_<NAME>; LWA_ wins when both are set;\n\
         an invalid value fails init with a message naming the variable, the value and what is allowed):\n",
    );
    for setting in SETTINGS {
        let name = if setting.reader == Reader::Logging {
            format!("LWA_{}", setting.name)
        } else {
            setting.name.to_string()
        };
        let default = match setting.default {
            DefaultValue::Value(value) => format!("`{value}`"),
            DefaultValue::Described(text) => text.to_string(),
        };
        text.push_str(&row(&name, &format!("{} [default: {default}]", setting.what), NAME, WIDTH));
    }
    text.push_str("\nLAMBDA'S VARIABLES (Lambda sets them; `lambda-adapter dev` sets them as Lambda would):\n");
    for variable in LAMBDA_VARIABLES {
        text.push_str(&row(variable.name, variable.what, NAME, WIDTH));
    }
    text
}

/// `    NAME   description...`, the description wrapped at `width` and indented to `column`. Words longer
/// than a line (a comma-separated list) are broken after their commas.
fn row(name: &str, description: &str, column: usize, width: usize) -> String {
    let indent = " ".repeat(column);
    let mut out = format!("    {name}");
    if out.len() < column {
        out.push_str(&" ".repeat(column.saturating_sub(out.len())));
    } else {
        out.push('\n');
        out.push_str(&indent);
    }
    let room = width.saturating_sub(column);
    // (piece, whether a space goes before it)
    let pieces = description.split(' ').flat_map(|word| {
        let parts: Vec<&str> = if word.chars().count() > room {
            word.split_inclusive(',').collect()
        } else {
            vec![word]
        };
        parts.into_iter().enumerate().map(|(i, part)| (part, i == 0))
    });
    let mut line_len = column;
    for (piece, spaced) in pieces {
        let len = piece.chars().count();
        let gap = usize::from(spaced && line_len > column);
        if line_len > column && line_len.saturating_add(gap).saturating_add(len) > width {
            out.push('\n');
            out.push_str(&indent);
            line_len = column;
        } else if gap == 1 {
            out.push(' ');
            line_len = line_len.saturating_add(1);
        }
        out.push_str(piece);
        line_len = line_len.saturating_add(len);
    }
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
