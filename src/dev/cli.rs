//! `lambda-adapter dev` arguments.
//!
//! Split into flags and values by `lexopt`, a small lexer with no dependencies that gets `--flag=value`, `--`
//! and non-UTF-8 arguments right and leaves every message to this file (clap would do the same for many times
//! the binary size). Every error names the flag, the value and what is allowed, and the caller exits with
//! status 2, as command-line tools do for usage errors. Both `--flag value` and `--flag=value` are accepted;
//! the app command starts after `--` or at the first argument that is not a flag, and the rest goes to the app
//! as given, so `dev -- node server.js --port 3000` and `dev node server.js --port 3000` both pass `--port` to
//! the app. An argument that is not UTF-8 is a usage error.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use lexopt::Arg;

use crate::sources::registry;
use crate::sources::{Source, function_url};

/// The most invocations `dev --concurrency` runs at once.
pub(crate) const MAX_CONCURRENCY: usize = 1024;
/// Lambda's longest function timeout, and `dev`'s default.
pub(crate) const MAX_TIMEOUT_SECS: u64 = 900;
/// API Gateway's WebSocket idle timeout and longest connection, `dev`'s defaults and ceilings.
pub(crate) const WS_IDLE_SECS: u64 = 600;
pub(crate) const WS_MAX_DURATION_SECS: u64 = 7200;

/// How the WebSocket front door behaves (API Gateway WebSocket API settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WsOptions {
    /// The message routes; `$default` takes what matches no other.
    pub routes: Vec<String>,
    pub idle_timeout: Duration,
    pub max_duration: Duration,
}

impl Default for WsOptions {
    fn default() -> Self {
        WsOptions {
            routes: vec!["$default".into()],
            idle_timeout: Duration::from_secs(WS_IDLE_SECS),
            max_duration: Duration::from_secs(WS_MAX_DURATION_SECS),
        }
    }
}

/// The parsed arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DevArgs {
    pub listen: SocketAddr,
    /// Whether `--listen` was given: the default address moves to a free port when it is taken.
    pub listen_given: bool,
    /// The source the front door plays (`--event`).
    pub event: &'static Source,
    pub timeout: Duration,
    /// The app's port when `--app-port` was given.
    pub app_port: Option<u16>,
    /// Invocations at once, as on Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY`); 1 by default.
    pub concurrency: usize,
    /// Run SnapStart's lifecycle: the checkpoint hook, a simulated snapshot and restore, the restore hook.
    pub snapstart: bool,
    /// The app's command line, at least one word.
    pub command: Vec<String>,
    pub ws: WsOptions,
}

/// Why the arguments were not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CliError {
    /// `--help`: print [`USAGE`] and exit 0.
    Help,
    /// A usage error, with a message that names the flag.
    Usage(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Help => f.write_str(USAGE),
            CliError::Usage(message) => write!(f, "lambda-adapter dev: {message}\n\n{USAGE}"),
        }
    }
}

impl std::error::Error for CliError {}

/// A command line that works as printed, whatever port `dev` picks: `http.server` takes its port as an
/// argument (without one it listens on 8000), and `sh -c` expands `$PORT`, which `dev` sets.
macro_rules! example {
    () => {
        "lambda-adapter dev -- sh -c 'python3 -m http.server $PORT'"
    };
}

/// An example of `dev` that works as printed (tests/first_run.rs runs it).
pub const EXAMPLE: &str = example!();

/// The address of the front door when `--listen` is not given.
pub(crate) const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9000);

pub(crate) const USAGE: &str = concat!(
    "\
USAGE:
    lambda-adapter dev [OPTIONS] -- APP COMMAND...

Runs APP COMMAND behind an embedded Lambda emulator and the real adapter, and serves it on a local URL.

OPTIONS:
    --listen ADDR      where the front door listens [default: 127.0.0.1:9000, or a free port when it is taken]
    --event KIND       the event source to emulate: function-url, apigw-http, apigw-rest, alb, alb-multi,
                       vpc-lattice [default: function-url]
    --timeout SECS     the function timeout, 1 to 900 seconds [default: 900]
    --app-port PORT    the port the app listens on (passed as PORT and LWA_PORT) [default: LWA_PORT,
                       AWS_LWA_PORT or PORT when set, else a free port]
    --concurrency N    invocations at once, 1 to 1024, as on Lambda Managed Instances (sets
                       AWS_LAMBDA_MAX_CONCURRENCY for the adapter) [default: 1, one at a time]
    --snapstart        run SnapStart's lifecycle: LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH, a simulated
                       snapshot and restore, then LWA_SNAPSTART_AFTER_RESTORE_PATH
    --ws-routes LIST   WebSocket message routes, selected by the message's `action`, comma-separated;
                       include $default to take the rest [default: $default]
    --ws-idle-timeout SECS    close WebSockets idle this long, 1 to 600 [default: 600]
    --ws-max-duration SECS    close WebSockets open this long, 1 to 7200 [default: 7200]
    -h, --help         print this help

The adapter reads LWA_* / AWS_LWA_* variables exactly as on Lambda: LWA_INVOKE_MODE=response_stream streams.
A WebSocket upgrade on the front door behaves like an API Gateway WebSocket API; pushes go to dev's own
@connections API.

The app must listen on $PORT (dev sets it), or on the port given with --app-port; until it is ready, the
front door answers 503 with the reason. For example:
    ",
    example!(),
    "
    lambda-adapter dev --app-port 8000 -- python3 -m http.server
"
);

const FLAGS: &str =
    "--listen, --event, --timeout, --app-port, --concurrency, --snapstart, --ws-routes, --ws-idle-timeout, --ws-max-duration, --help";
const VALUED: [&str; 8] = [
    "--listen",
    "--event",
    "--timeout",
    "--app-port",
    "--concurrency",
    "--ws-routes",
    "--ws-idle-timeout",
    "--ws-max-duration",
];

/// Parses the arguments that follow `dev`.
pub(crate) fn parse<I>(args: I) -> Result<DevArgs, CliError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut parsed = DevArgs {
        listen: DEFAULT_LISTEN,
        listen_given: false,
        event: function_url::SOURCE,
        timeout: Duration::from_secs(MAX_TIMEOUT_SECS),
        app_port: None,
        concurrency: 1,
        snapstart: false,
        command: Vec::new(),
        ws: WsOptions::default(),
    };
    let mut parser = lexopt::Parser::from_args(args);
    let lexer_error = |error: lexopt::Error| CliError::Usage(error.to_string());
    while let Some(arg) = parser.next().map_err(lexer_error)? {
        let flag = match arg {
            Arg::Short('h') | Arg::Long("help") => return Err(CliError::Help),
            Arg::Short(letter) => format!("-{letter}"),
            Arg::Long(name) => format!("--{name}"),
            Arg::Value(first) => {
                // The app's command: this word (the first after `--`, or the first that is not a flag) and
                // every one after it, flags included, as given.
                let rest = parser.raw_args().map_err(lexer_error)?;
                parsed.command = std::iter::once(first).chain(rest).map(utf8).collect::<Result<_, _>>()?;
                break;
            }
        };
        if flag == "--snapstart" {
            if let Some(value) = parser.optional_value() {
                let value = value.to_string_lossy();
                return Err(CliError::Usage(format!("`--snapstart` takes no value, but was given {value:?}")));
            }
            parsed.snapstart = true;
            continue;
        }
        if !VALUED.contains(&flag.as_str()) {
            return Err(CliError::Usage(format!("unknown option `{flag}`; the options are {FLAGS}")));
        }
        let value = parser
            .value()
            .map_err(|_| CliError::Usage(format!("`{flag}` needs a value")))?
            .into_string()
            .map_err(|raw| CliError::Usage(format!("invalid value {:?} for `{flag}`: it is not UTF-8", raw.to_string_lossy())))?;
        let invalid = |allowed: &str| CliError::Usage(format!("invalid value {value:?} for `{flag}`: {allowed}"));
        match flag.as_str() {
            "--listen" => {
                parsed.listen = value
                    .parse()
                    .map_err(|_| invalid("expected an address and port, such as 127.0.0.1:9000"))?;
                parsed.listen_given = true;
            }
            "--event" => {
                parsed.event = registry::from_flag(&value).ok_or_else(|| {
                    let all: Vec<&str> = registry::emulated().map(|(source, _)| source.flag()).collect();
                    invalid(&format!("expected one of {}", all.join(", ")))
                })?
            }
            "--timeout" => match value.parse::<u64>() {
                Ok(secs) if (1..=MAX_TIMEOUT_SECS).contains(&secs) => parsed.timeout = Duration::from_secs(secs),
                _ => return Err(invalid("expected whole seconds from 1 to 900, as Lambda's function timeout allows")),
            },
            "--concurrency" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => parsed.concurrency = n,
                _ => return Err(invalid("expected a whole number of invocations from 1 to 1024")),
            },
            "--ws-routes" => parsed.ws.routes = parse_routes(&value).map_err(|allowed| invalid(&allowed))?,
            "--ws-idle-timeout" => match value.parse::<u64>() {
                Ok(secs) if (1..=WS_IDLE_SECS).contains(&secs) => parsed.ws.idle_timeout = Duration::from_secs(secs),
                _ => return Err(invalid("expected whole seconds from 1 to 600, API Gateway's idle timeout")),
            },
            "--ws-max-duration" => match value.parse::<u64>() {
                Ok(secs) if (1..=WS_MAX_DURATION_SECS).contains(&secs) => parsed.ws.max_duration = Duration::from_secs(secs),
                _ => return Err(invalid("expected whole seconds from 1 to 7200, API Gateway's longest connection")),
            },
            _ => match value.parse::<u16>() {
                Ok(port) if port > 0 => parsed.app_port = Some(port),
                _ => return Err(invalid("expected a TCP port number from 1 to 65535")),
            },
        }
    }
    if parsed.command.is_empty() {
        return Err(CliError::Usage(format!(
            "no app command: put it after `--`, as in `{EXAMPLE}` (the app must listen on $PORT, which dev sets, or on --app-port)"
        )));
    }
    Ok(parsed)
}

/// A word of the app's command, which must be UTF-8 like every other argument.
fn utf8(word: OsString) -> Result<String, CliError> {
    word.into_string().map_err(|raw| {
        let word = raw.to_string_lossy();
        CliError::Usage(format!("the app command's argument {word:?} is not UTF-8"))
    })
}

/// `sendmessage,$default`: route keys as API Gateway allows them (no spaces; `$connect` and `$disconnect`
/// always exist and take no messages).
fn parse_routes(text: &str) -> Result<Vec<String>, String> {
    let routes: Vec<String> = text.split(',').map(|r| r.trim().to_string()).collect();
    if let Some(bad) = routes
        .iter()
        .find(|r| r.is_empty() || r.contains(char::is_whitespace) || r.len() > 128)
    {
        return Err(format!(
            "expected route keys separated by commas, such as `sendmessage,$default` (`{bad}` is not one)"
        ));
    }
    if let Some(fixed) = routes.iter().find(|r| *r == "$connect" || *r == "$disconnect") {
        return Err(format!(
            "expected message routes only: `{fixed}` always exists and takes no messages"
        ));
    }
    Ok(routes)
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
