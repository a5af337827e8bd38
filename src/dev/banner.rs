//! What `dev` shows and where it listens: the front door's address (a free port when the default is taken
//! and `--listen` was not given), its URL, and the banner.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use tokio::net::TcpListener;

use super::cli::DevArgs;
use super::environment::PortSource;
use super::error::DevError;

/// Binds `--listen`. When it was not given and the default port is taken (another `dev`, say), a free port
/// on the same address is used instead, and the banner shows it.
pub(super) async fn bind_front_door(args: &DevArgs) -> Result<TcpListener, DevError> {
    match TcpListener::bind(args.listen).await {
        Ok(listener) => Ok(listener),
        Err(error) if !args.listen_given && error.kind() == std::io::ErrorKind::AddrInUse => {
            let listener = TcpListener::bind(SocketAddr::new(args.listen.ip(), 0))
                .await
                .map_err(|source| DevError::ListenAnywhere {
                    address: args.listen,
                    source,
                })?;
            tracing::warn!(
                "{} is taken, so the front door listens on a free port instead (choose one with --listen)",
                args.listen
            );
            Ok(listener)
        }
        Err(source) => Err(DevError::Listen {
            address: args.listen,
            source,
        }),
    }
}

/// `http://host:port/` of the front door, with a usable host for an unspecified address.
pub(super) fn front_door_url(listen: SocketAddr) -> String {
    format!("http://{}:{}/", url_host(listen.ip()), listen.port())
}

/// The host of a URL to `ip`: `127.0.0.1` for an unspecified address (`0.0.0.0` or `::`, which a browser
/// cannot open), an IPv6 address in brackets.
fn url_host(ip: IpAddr) -> String {
    if ip.is_unspecified() {
        "127.0.0.1".to_string()
    } else if ip.is_ipv6() {
        format!("[{ip}]")
    } else {
        ip.to_string()
    }
}

pub(super) fn print_banner(
    args: &DevArgs,
    listen: SocketAddr,
    app_port: u16,
    port_source: &PortSource,
    pids: (Option<u32>, Option<u32>),
    runtime_api: &str,
    ws_endpoint: &str,
) {
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let host = url_host(listen.ip());
    let port_from = match port_source {
        PortSource::Flag => "--app-port".to_string(),
        PortSource::Variable(name) => name.clone(),
        PortSource::Free => "free port".to_string(),
    };
    let pid = |pid: Option<u32>| pid.map_or_else(String::new, |pid| format!(", pid {pid}"));
    let (app_pid, adapter_pid) = (pid(pids.0), pid(pids.1));
    let banner = format!(
        "\nlambda-adapter dev: ready\n  \
           open      http://{host}:{port}/\n  \
           event     {event} ({describe})\n  \
           invoke    {mode}\n  \
           timeout   {timeout} s\n  \
           app       {command} (port {app_port} from {port_from}{app_pid})\n  \
           adapter   Runtime API at {runtime_api}{adapter_pid}\n  \
           websocket ws://{host}:{port}/ (routes {routes}; idle {idle} s, max {max} s; @connections at {ws_endpoint})\n\
         Ctrl-C stops.\n",
        port = listen.port(),
        event = args.event.flag(),
        describe = args.event.describe(),
        mode = super::environment::invoke_mode(lookup),
        timeout = args.timeout.as_secs(),
        command = args.command.join(" "),
        routes = args.ws.routes.join(","),
        idle = args.ws.idle_timeout.as_secs(),
        max = args.ws.max_duration.as_secs(),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(banner.as_bytes());
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_default_address_moves_to_a_free_port_but_a_given_one_does_not() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut args = crate::dev::cli::parse(&["app".to_string()]).unwrap();
        args.listen = taken.local_addr().unwrap();
        let moved = bind_front_door(&args).await.unwrap().local_addr().unwrap();
        assert_ne!(moved.port(), args.listen.port());
        assert_eq!(moved.ip(), args.listen.ip());
        args.listen_given = true;
        let error = bind_front_door(&args).await.err().unwrap();
        assert!(error.to_string().contains("(--listen)"), "{error}");
    }

    #[test]
    fn front_door_urls() {
        assert_eq!(front_door_url("0.0.0.0:9000".parse().unwrap()), "http://127.0.0.1:9000/");
        assert_eq!(front_door_url("[::1]:9000".parse().unwrap()), "http://[::1]:9000/");
        assert_eq!(front_door_url("127.0.0.1:9001".parse().unwrap()), "http://127.0.0.1:9001/");
        assert_eq!(front_door_url("[::]:9000".parse().unwrap()), "http://127.0.0.1:9000/");
        assert_eq!(front_door_url("[fe80::1]:80".parse().unwrap()), "http://[fe80::1]:80/");
    }
}
