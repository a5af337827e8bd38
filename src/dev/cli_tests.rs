//! `dev`'s argument parsing: values, defaults, and the usage errors users see.

use super::*;
use crate::sources::alb;

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

fn usage(text: &str) -> String {
    match parse(args(text)) {
        Err(CliError::Usage(message)) => message,
        other => panic!("expected a usage error for {text:?}, got {other:?}"),
    }
}

#[test]
fn defaults_and_command_after_double_dash() {
    let parsed = parse(args("-- node server.js --port 3000")).unwrap();
    assert_eq!(parsed.listen, "127.0.0.1:9000".parse().unwrap());
    assert_eq!(parsed.event, function_url::SOURCE);
    assert_eq!(parsed.timeout, Duration::from_secs(900));
    assert_eq!(parsed.app_port, None);
    assert!(!parsed.listen_given);
    assert_eq!(parsed.command, args("node server.js --port 3000"));
}

#[test]
fn every_flag_in_both_forms() {
    let parsed = parse(args("--listen 0.0.0.0:8000 --event=alb-multi --timeout 3 --app-port=5000 ./app")).unwrap();
    assert_eq!(parsed.listen, "0.0.0.0:8000".parse().unwrap());
    assert!(parsed.listen_given);
    assert_eq!(parsed.event, alb::MULTI_VALUE);
    assert_eq!(parsed.timeout, Duration::from_secs(3));
    assert_eq!(parsed.app_port, Some(5000));
    assert_eq!(parsed.command, args("./app"));
}

#[test]
fn the_help_lists_every_event_source_dev_emulates() {
    // The help's list: "the event source to emulate: a, b, ...\n    c [default: ...]".
    let listed = USAGE
        .split("to emulate:")
        .nth(1)
        .and_then(|rest| rest.split("[default").next())
        .unwrap();
    let listed: Vec<&str> = listed.split(',').map(str::trim).collect();
    let flags: Vec<&str> = registry::emulated().map(|(source, _)| source.flag()).collect();
    assert_eq!(listed, flags, "`dev --help` and the registry disagree");
}

#[test]
fn errors_name_the_flag_and_what_is_allowed() {
    let message = usage("--event lambda -- app");
    assert!(message.contains("`--event`") && message.contains("function-url, apigw-http, apigw-rest, alb, alb-multi, vpc-lattice"));
    assert!(usage("--timeout 901 -- app").contains("1 to 900"));
    assert!(usage("--timeout 0 -- app").contains("`--timeout`"));
    assert!(usage("--app-port 70000 -- app").contains("`--app-port`"));
    assert!(usage("--listen localhost -- app").contains("127.0.0.1:9000"));
    assert!(usage("--verbose -- app").contains("unknown option `--verbose`"));
    assert!(usage("--timeout").contains("needs a value"));
    assert!(usage("--timeout 5").contains("no app command"));
    assert!(usage("").contains(&format!("as in `{EXAMPLE}`")));
}

#[test]
fn websocket_flags() {
    let parsed = parse(args("--ws-routes sendmessage,$default --ws-idle-timeout=2 --ws-max-duration 5 app")).unwrap();
    assert_eq!(parsed.ws.routes, ["sendmessage", "$default"]);
    assert_eq!(parsed.ws.idle_timeout, Duration::from_secs(2));
    assert_eq!(parsed.ws.max_duration, Duration::from_secs(5));
    assert_eq!(parse(args("app")).unwrap().ws, WsOptions::default());
    assert!(usage("--ws-idle-timeout 601 app").contains("1 to 600"));
    assert!(usage("--ws-max-duration 0 app").contains("1 to 7200"));
    assert!(usage("--ws-routes a,,b app").contains("sendmessage,$default"));
    assert!(usage("--ws-routes $connect,a app").contains("`$connect` always exists"));
}

#[test]
fn the_command_starts_at_the_first_word_that_is_not_a_flag_and_the_rest_goes_to_the_app_as_given() {
    let parsed = parse(args("--timeout 3 node server.js --port 3000 -- --help")).unwrap();
    assert_eq!(parsed.command, args("node server.js --port 3000 -- --help"));
    assert_eq!(parsed.timeout, Duration::from_secs(3));
    let parsed = parse(args("--snapstart -- -x --listen")).unwrap();
    assert!(parsed.snapstart);
    assert_eq!(parsed.command, args("-x --listen"));
    assert_eq!(parsed.listen, DEFAULT_LISTEN);
}

#[test]
fn snapstart_takes_no_value() {
    assert!(parse(args("--snapstart app")).unwrap().snapstart);
    let message = usage("--snapstart=1 app");
    assert!(
        message.contains("`--snapstart` takes no value") && message.contains("\"1\""),
        "{message}"
    );
}

#[test]
fn arguments_that_are_not_utf8_are_usage_errors() {
    use std::os::unix::ffi::OsStringExt;
    // Each case: the words, with `?` standing for the byte 0xff (never UTF-8).
    let usage_of = |text: &str| {
        let words = text
            .split_whitespace()
            .map(|w| OsString::from_vec(w.bytes().map(|b| if b == b'?' { 0xff } else { b }).collect()));
        match parse(words) {
            Err(CliError::Usage(message)) => message,
            other => panic!("expected a usage error for {text:?}, got {other:?}"),
        }
    };
    let message = usage_of("--listen a?b -- app");
    assert!(
        message.contains("invalid value \"a\u{fffd}b\" for `--listen`: it is not UTF-8"),
        "{message}"
    );
    let message = usage_of("--event=? app");
    assert!(message.contains("for `--event`: it is not UTF-8"), "{message}");
    let message = usage_of("-- app a?b");
    assert!(
        message.contains("the app command's argument \"a\u{fffd}b\" is not UTF-8"),
        "{message}"
    );
    assert!(usage_of("a?b --port 3000").contains("is not UTF-8"));
    assert!(usage_of("--time? 3 app").contains("unknown option `--time\u{fffd}`"));
    assert!(usage_of("-? app").contains("unknown option `-\u{fffd}`"));
    assert!(usage_of("--snapstart=? app").contains("`--snapstart` takes no value"));
}

#[test]
fn help() {
    assert_eq!(parse(args("--help")), Err(CliError::Help));
    assert_eq!(parse(args("--timeout 3 -h -- app")), Err(CliError::Help));
}
