//! `lambda-adapter dev` arguments.
//!
//! Parsed by hand (the crate has no argument parser and needs only five flags). Every error names the flag,
//! the value and what is allowed, and the caller exits with status 2, as command-line tools do for usage
//! errors. Both `--flag value` and `--flag=value` are accepted; the app command starts after `--` or at the
//! first argument that is not a flag, so `dev -- node server.js --port 3000` passes `--port` to the app.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The event source the front door emulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventSource {
    /// Lambda Function URL (payload 2.0); the only source that can stream.
    FunctionUrl,
    /// API Gateway HTTP API (payload 2.0).
    ApigwHttp,
    /// API Gateway REST API (payload 1.0).
    ApigwRest,
    /// Application Load Balancer, target group without multi-value headers.
    Alb,
    /// Application Load Balancer, target group with multi-value headers enabled.
    AlbMulti,
}

impl EventSource {
    /// Every value `--event` takes, in the order help lists them.
    pub const ALL: [EventSource; 5] = [
        EventSource::FunctionUrl,
        EventSource::ApigwHttp,
        EventSource::ApigwRest,
        EventSource::Alb,
        EventSource::AlbMulti,
    ];

    /// The `--event` value.
    pub fn flag_value(self) -> &'static str {
        match self {
            EventSource::FunctionUrl => "function-url",
            EventSource::ApigwHttp => "apigw-http",
            EventSource::ApigwRest => "apigw-rest",
            EventSource::Alb => "alb",
            EventSource::AlbMulti => "alb-multi",
        }
    }

    /// A name for the banner.
    pub fn describe(self) -> &'static str {
        match self {
            EventSource::FunctionUrl => "Lambda Function URL (payload 2.0)",
            EventSource::ApigwHttp => "API Gateway HTTP API (payload 2.0)",
            EventSource::ApigwRest => "API Gateway REST API (payload 1.0)",
            EventSource::Alb => "Application Load Balancer (single-value headers)",
            EventSource::AlbMulti => "Application Load Balancer (multi-value headers)",
        }
    }

    fn parse(text: &str) -> Option<EventSource> {
        EventSource::ALL.into_iter().find(|kind| kind.flag_value() == text)
    }
}

/// Lambda's longest function timeout, and `dev`'s default.
pub const MAX_TIMEOUT_SECS: u64 = 900;

/// The parsed arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevArgs {
    pub listen: SocketAddr,
    pub event: EventSource,
    pub timeout: Duration,
    /// The app's port when `--app-port` was given.
    pub app_port: Option<u16>,
    /// The app's command line, at least one word.
    pub command: Vec<String>,
}

/// Why the arguments were not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliError {
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

pub const USAGE: &str = "\
USAGE:
    lambda-adapter dev [OPTIONS] -- APP COMMAND...

Runs APP COMMAND behind an embedded Lambda emulator and the real adapter, and serves it on a local URL.

OPTIONS:
    --listen ADDR      where the front door listens [default: 127.0.0.1:9000]
    --event KIND       the event source to emulate: function-url, apigw-http, apigw-rest, alb, alb-multi
                       [default: function-url]
    --timeout SECS     the function timeout, 1 to 900 seconds [default: 900]
    --app-port PORT    the port the app listens on (passed as PORT and LWA_PORT) [default: LWA_PORT,
                       AWS_LWA_PORT or PORT when set, else a free port]
    -h, --help         print this help

The adapter reads LWA_* / AWS_LWA_* variables exactly as on Lambda: LWA_INVOKE_MODE=response_stream streams.
";

const FLAGS: &str = "--listen, --event, --timeout, --app-port, --help";

/// Parses the arguments that follow `dev`.
pub fn parse(args: &[String]) -> Result<DevArgs, CliError> {
    let mut parsed = DevArgs {
        listen: SocketAddr::from(([127, 0, 0, 1], 9000)),
        event: EventSource::FunctionUrl,
        timeout: Duration::from_secs(MAX_TIMEOUT_SECS),
        app_port: None,
        command: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            parsed.command = rest.cloned().collect();
            break;
        }
        if arg == "-h" || arg == "--help" {
            return Err(CliError::Help);
        }
        if !arg.starts_with('-') {
            parsed.command = std::iter::once(arg).chain(rest).cloned().collect();
            break;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        if !["--listen", "--event", "--timeout", "--app-port"].contains(&flag) {
            return Err(CliError::Usage(format!("unknown option `{flag}`; the options are {FLAGS}")));
        }
        let value = match inline {
            Some(value) => value,
            None => rest
                .next()
                .cloned()
                .ok_or_else(|| CliError::Usage(format!("`{flag}` needs a value")))?,
        };
        let invalid = |allowed: &str| CliError::Usage(format!("invalid value {value:?} for `{flag}`: {allowed}"));
        match flag {
            "--listen" => {
                parsed.listen = value
                    .parse()
                    .map_err(|_| invalid("expected an address and port, such as 127.0.0.1:9000"))?
            }
            "--event" => {
                parsed.event = EventSource::parse(&value).ok_or_else(|| {
                    let all: Vec<&str> = EventSource::ALL.iter().map(|k| k.flag_value()).collect();
                    invalid(&format!("expected one of {}", all.join(", ")))
                })?
            }
            "--timeout" => match value.parse::<u64>() {
                Ok(secs) if (1..=MAX_TIMEOUT_SECS).contains(&secs) => parsed.timeout = Duration::from_secs(secs),
                _ => return Err(invalid("expected whole seconds from 1 to 900, as Lambda's function timeout allows")),
            },
            _ => match value.parse::<u16>() {
                Ok(port) if port > 0 => parsed.app_port = Some(port),
                _ => return Err(invalid("expected a TCP port number from 1 to 65535")),
            },
        }
    }
    if parsed.command.is_empty() {
        return Err(CliError::Usage(
            "no app command: put it after `--`, as in `lambda-adapter dev -- python3 -m http.server`".into(),
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    fn usage(text: &str) -> String {
        match parse(&args(text)) {
            Err(CliError::Usage(message)) => message,
            other => panic!("expected a usage error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_and_command_after_double_dash() {
        let parsed = parse(&args("-- node server.js --port 3000")).unwrap();
        assert_eq!(parsed.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(parsed.event, EventSource::FunctionUrl);
        assert_eq!(parsed.timeout, Duration::from_secs(900));
        assert_eq!(parsed.app_port, None);
        assert_eq!(parsed.command, args("node server.js --port 3000"));
    }

    #[test]
    fn every_flag_in_both_forms() {
        let parsed = parse(&args("--listen 0.0.0.0:8000 --event=alb-multi --timeout 3 --app-port=5000 ./app")).unwrap();
        assert_eq!(parsed.listen, "0.0.0.0:8000".parse().unwrap());
        assert_eq!(parsed.event, EventSource::AlbMulti);
        assert_eq!(parsed.timeout, Duration::from_secs(3));
        assert_eq!(parsed.app_port, Some(5000));
        assert_eq!(parsed.command, args("./app"));
    }

    #[test]
    fn errors_name_the_flag_and_what_is_allowed() {
        let message = usage("--event lambda -- app");
        assert!(message.contains("`--event`") && message.contains("function-url, apigw-http, apigw-rest, alb, alb-multi"));
        assert!(usage("--timeout 901 -- app").contains("1 to 900"));
        assert!(usage("--timeout 0 -- app").contains("`--timeout`"));
        assert!(usage("--app-port 70000 -- app").contains("`--app-port`"));
        assert!(usage("--listen localhost -- app").contains("127.0.0.1:9000"));
        assert!(usage("--verbose -- app").contains("unknown option `--verbose`"));
        assert!(usage("--timeout").contains("needs a value"));
        assert!(usage("--timeout 5").contains("no app command"));
    }

    #[test]
    fn help() {
        assert_eq!(parse(&args("--help")), Err(CliError::Help));
        assert_eq!(parse(&args("--timeout 3 -h -- app")), Err(CliError::Help));
    }
}
