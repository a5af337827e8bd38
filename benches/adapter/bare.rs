//! A bare Lambda runtime loop, run as a child process (the bench binary re-executes itself with
//! `--bare-runtime`): the least any adapter following the protocol can cost on this machine.
//!
//! Per invocation it makes the same HTTP exchanges an adapter must (`invocation/next`, the app's request,
//! the response post) on two persistent connections, and nothing else: the event is read for its path and
//! query only, no context headers, no checks, no logging. It only serves the suite's requests (Function URL
//! events for `GET`s). The gap between this column and the floor is the protocol's price here; the gap
//! between ours and this column is what our adapter adds on top.

use bytes::Bytes;
use futures::StreamExt;
use http::{Request, header};
use http_body::Frame;
use http_body_util::{BodyExt, BodyStream, Empty, Full, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Runs the loop until the Runtime API goes away.
pub fn serve() -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let result = runtime.map_err(|e| e.to_string()).and_then(|runtime| runtime.block_on(run()));
    if let Err(error) = result {
        eprintln!("bare runtime: {error}");
    }
    std::process::exit(1)
}

async fn connect<B>(address: &str) -> Result<SendRequest<B>, String>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let stream = TcpStream::connect(address).await.map_err(|e| format!("{address}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn send<B: http_body::Body + 'static>(sender: &mut SendRequest<B>, request: Request<B>) -> Result<http::Response<Incoming>, String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    sender.send_request(request).await.map_err(|e| e.to_string())
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    raw_path: &'a str,
    #[serde(default)]
    raw_query_string: &'a str,
}

async fn run() -> Result<(), String> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").map_err(|_| "AWS_LAMBDA_RUNTIME_API is not set")?;
    let port = std::env::var("AWS_LWA_PORT").map_err(|_| "AWS_LWA_PORT is not set")?;
    let streaming = std::env::var("AWS_LWA_INVOKE_MODE").is_ok_and(|mode| mode == "response_stream");
    let app_address = format!("127.0.0.1:{port}");
    let mut runtime = connect::<Body>(&api).await?;
    let mut app = connect::<Empty<Bytes>>(&app_address).await?;
    let base = format!("http://{api}/2018-06-01/runtime/invocation");
    loop {
        let request = Request::get(format!("{base}/next")).header(header::HOST, &api);
        let next = send(&mut runtime, request.body(http_client_empty()).map_err(|e| e.to_string())?).await?;
        let id = next
            .headers()
            .get("lambda-runtime-aws-request-id")
            .cloned()
            .ok_or("no request id")?;
        let event = next.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let event: Event = serde_json::from_slice(&event).map_err(|e| e.to_string())?;
        let uri = if event.raw_query_string.is_empty() {
            event.raw_path.to_string()
        } else {
            format!("{}?{}", event.raw_path, event.raw_query_string)
        };
        let request = Request::get(uri).header(header::HOST, &app_address).body(Empty::new());
        let response = send(&mut app, request.map_err(|e| e.to_string())?).await?;
        let status = response.status().as_u16();
        let post = Request::post(format!("{base}/{}/response", id.to_str().unwrap_or_default())).header(header::HOST, &api);
        let post = if streaming {
            let prelude = format!(r#"{{"statusCode":{status},"headers":{{}},"cookies":[]}}"#);
            let head = [Bytes::from(prelude), Bytes::from_static(&[0; 8])].map(|b| Ok::<_, BoxError>(Frame::data(b)));
            let body = BodyStream::new(response.into_body()).map(|frame| frame.map_err(BoxError::from));
            post.header("lambda-runtime-function-response-mode", "streaming")
                .body(StreamBody::new(futures::stream::iter(head).chain(body)).boxed_unsync())
        } else {
            let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            let document = serde_json::json!({"statusCode": status, "body": String::from_utf8_lossy(&body), "isBase64Encoded": false});
            post.body(
                Full::new(Bytes::from(document.to_string()))
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
        };
        let answer = send(&mut runtime, post.map_err(|e| e.to_string())?).await?;
        answer.into_body().collect().await.map_err(|e| e.to_string())?;
    }
}

fn http_client_empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}
