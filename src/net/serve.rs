//! The one accept loop behind every server the adapter and `dev` run: the `@connections` callback server,
//! `dev`'s front door, its management API and its embedded Runtime API.
//!
//! Each connection gets TCP_NODELAY (small writes, such as a streamed chunk, leave at once) and its own task;
//! an accept error (out of file descriptors, say) is logged and retried after a pause instead of spinning or
//! ending the server.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::body::BoxError;

/// Serves `listener` with `handler` until the task is dropped; `name` labels the log lines.
pub async fn accept_loop<H, F, B>(listener: TcpListener, name: &'static str, handler: H)
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!("{name}: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let response = handler(request, peer);
                async move { Ok::<_, Infallible>(response.await) }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await
            {
                tracing::debug!("{name}: connection ended: {error}");
            }
        });
    }
}
