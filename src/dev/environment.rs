//! The environment `dev` gives its children, so that the app and the adapter see what they would in Lambda.
//!
//! Lambda sets `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `AWS_LAMBDA_FUNCTION_VERSION`,
//! the log group and stream names and `AWS_REGION` for every process of the function; `dev` sets the same,
//! unless the user already has, and otherwise passes the user's environment through untouched, so
//! `LWA_INVOKE_MODE` and every other setting apply exactly as they would when deployed. Only the adapter gets
//! `AWS_LAMBDA_RUNTIME_API`. The app's port goes to both as `PORT` and `LWA_PORT`. Every port `dev` chooses
//! is a free one unless the user fixed it: the app's, and the adapter's `@connections` server's.

use super::cli::DevArgs;
use super::error::DevError;
use crate::config::{Settings, parse_port};

/// Where the app's port came from, for the banner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PortSource {
    Flag,
    /// A variable the user set (`LWA_PORT`, `AWS_LWA_PORT` or `PORT`).
    Variable(String),
    /// Picked free by `dev`.
    Free,
}

/// The app's port: `--app-port`, else `LWA_PORT`/`AWS_LWA_PORT`/`PORT` as the adapter itself reads them,
/// else `free()`. An invalid variable is an error naming it.
pub(crate) fn app_port(
    args: &DevArgs,
    lookup: impl Fn(&str) -> Option<String>,
    free: impl FnOnce() -> std::io::Result<u16>,
) -> Result<(u16, PortSource), DevError> {
    if let Some(port) = args.app_port {
        return Ok((port, PortSource::Flag));
    }
    let mut settings = Settings::new(lookup);
    let found = settings.get("PORT").or_else(|| settings.get_plain("PORT"));
    if let Some(found) = found {
        let port = parse_port(found.value.trim()).map_err(|allowed| DevError::AppPort(found.error(allowed)))?;
        return Ok((port, PortSource::Variable(found.variable)));
    }
    let port = free().map_err(DevError::AppFreePort)?;
    Ok((port, PortSource::Free))
}

/// The function name `dev` reports when the user set none.
pub(crate) const DEFAULT_FUNCTION_NAME: &str = "lambda-adapter-dev";

/// The Lambda variables both children get, for those the user did not set.
pub(crate) fn lambda_defaults(lookup: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let name = lookup("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| DEFAULT_FUNCTION_NAME.into());
    let region = lookup("AWS_REGION").unwrap_or_else(|| "us-east-1".into());
    let defaults = [
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "dev/[$LATEST]local".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_REGION", region.clone()),
        ("AWS_DEFAULT_REGION", region),
    ];
    defaults
        .into_iter()
        .filter(|(key, _)| lookup(key).is_none())
        .map(|(key, value)| (key.to_string(), value))
        .collect()
}

/// The port variables for both children. `AWS_LWA_PORT` is overwritten only when the user set it, so the
/// adapter never sees two different values.
pub(crate) fn port_vars(port: u16, lookup: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let mut vars = vec![("PORT".to_string(), port.to_string()), ("LWA_PORT".to_string(), port.to_string())];
    if lookup("AWS_LWA_PORT").is_some() {
        vars.push(("AWS_LWA_PORT".into(), port.to_string()));
    }
    vars
}

/// The adapter's `@connections` server port: a free one, unless the user chose one with
/// `LWA_WS_CALLBACK_PORT` or `AWS_LWA_WS_CALLBACK_PORT` (then nothing is set and the adapter reads theirs).
/// The adapter's default, 9002, is a fixed port: with something else on it (another `dev`, another tool)
/// the adapter would log an error at every start. The port is never the app's.
pub(crate) fn callback_port_vars(
    app_port: u16,
    lookup: impl Fn(&str) -> Option<String>,
    mut free: impl FnMut() -> std::io::Result<u16>,
) -> Result<Vec<(String, String)>, DevError> {
    if ["LWA_WS_CALLBACK_PORT", "AWS_LWA_WS_CALLBACK_PORT"]
        .iter()
        .any(|name| lookup(name).is_some())
    {
        return Ok(Vec::new());
    }
    for _ in 0..8 {
        let port = free().map_err(DevError::CallbackPort)?;
        if port != app_port {
            return Ok(vec![("LWA_WS_CALLBACK_PORT".into(), port.to_string())]);
        }
    }
    Err(DevError::CallbackPortIsApp)
}

/// The invoke mode the adapter will use, as the banner shows it.
pub(crate) fn invoke_mode(lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut settings = Settings::new(lookup);
    match settings.get("INVOKE_MODE") {
        Some(found) => format!("{} ({})", found.value.to_ascii_lowercase(), found.variable),
        None => "buffered (default; LWA_INVOKE_MODE=response_stream streams)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::cli;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        crate::config::lookup(pairs)
    }

    fn args(flags: &str) -> DevArgs {
        let words: Vec<String> = flags.split_whitespace().chain(["app"]).map(String::from).collect();
        cli::parse(&words).unwrap()
    }

    #[test]
    fn app_port_precedence() {
        let free = || Ok(40000);
        assert_eq!(
            app_port(&args("--app-port 5000"), env(&[("PORT", "1")]), free).ok(),
            Some((5000, PortSource::Flag))
        );
        assert_eq!(
            app_port(&args(""), env(&[("PORT", "3000"), ("AWS_LWA_PORT", "4000")]), free).ok(),
            Some((4000, PortSource::Variable("AWS_LWA_PORT".into())))
        );
        assert_eq!(
            app_port(&args(""), env(&[("PORT", "3000")]), free).ok(),
            Some((3000, PortSource::Variable("PORT".into())))
        );
        assert_eq!(app_port(&args(""), env(&[]), free).ok(), Some((40000, PortSource::Free)));
        let error = app_port(&args(""), env(&[("PORT", "http")]), free).unwrap_err().to_string();
        assert!(error.contains("PORT") && error.contains("1 to 65535"), "{error}");
    }

    #[test]
    fn lambda_defaults_leave_user_values_alone() {
        let vars = lambda_defaults(env(&[("AWS_REGION", "eu-west-1"), ("AWS_LAMBDA_FUNCTION_NAME", "shop")]));
        let get = |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_REGION"), None);
        assert_eq!(get("AWS_LAMBDA_FUNCTION_NAME"), None);
        assert_eq!(get("AWS_DEFAULT_REGION"), Some("eu-west-1"));
        assert_eq!(get("AWS_LAMBDA_LOG_GROUP_NAME"), Some("/aws/lambda/shop"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("128"));
    }

    #[test]
    fn a_free_callback_port_unless_the_user_chose_one() {
        let ports = std::cell::RefCell::new(vec![41000, 3000]);
        let free = || Ok(ports.borrow_mut().pop().unwrap_or(0));
        assert_eq!(
            callback_port_vars(3000, env(&[]), free).unwrap(),
            [("LWA_WS_CALLBACK_PORT".to_string(), "41000".to_string())],
            "the app's port is skipped"
        );
        let never = || -> std::io::Result<u16> { panic!("no free port is needed") };
        assert!(
            callback_port_vars(3000, env(&[("LWA_WS_CALLBACK_PORT", "9100")]), never)
                .unwrap()
                .is_empty()
        );
        assert!(
            callback_port_vars(3000, env(&[("AWS_LWA_WS_CALLBACK_PORT", "9100")]), never)
                .unwrap()
                .is_empty()
        );
        assert!(callback_port_vars(3000, env(&[]), || Ok(3000)).is_err());
    }

    #[test]
    fn ports_and_invoke_mode() {
        assert_eq!(port_vars(8080, env(&[])).len(), 2);
        assert_eq!(
            port_vars(8080, env(&[("AWS_LWA_PORT", "1")]))[2],
            ("AWS_LWA_PORT".into(), "8080".into())
        );
        assert_eq!(
            invoke_mode(env(&[("AWS_LWA_INVOKE_MODE", "RESPONSE_STREAM")])),
            "response_stream (AWS_LWA_INVOKE_MODE)"
        );
        assert!(invoke_mode(env(&[])).starts_with("buffered"));
    }
}
