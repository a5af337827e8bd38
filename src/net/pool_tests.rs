//! The pool against a real TCP server that counts the connections it accepts.

use super::*;
use http_body_util::BodyExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SETTINGS: Settings = Settings {
    idle_timeout: Duration::from_secs(5),
    max_idle: 4,
    max_headers: None,
};

/// A server that answers every request on a connection with `answer`, counting the connections it
/// accepted, and closing each after `per_connection` answers. Returns its address and the count.
async fn server(answer: &'static str, per_connection: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                for _ in 0..per_connection {
                    // Read one request head (these requests have no body).
                    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut chunk = [0u8; 1024];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buffer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    let head = String::from_utf8_lossy(&buffer[..end]).to_string();
                    buffer.drain(..end);
                    let echo = head.lines().next().unwrap_or_default().to_string();
                    let host = head.lines().find(|l| l.starts_with("host:")).unwrap_or_default().to_string();
                    let body = format!("{answer}|{echo}|{host}");
                    let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                    if stream.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, accepted)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(super::super::body::full("")).unwrap()
}

async fn text(response: Response<PooledBody>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn reuses_one_connection_and_sends_origin_form_with_host() {
    let (address, accepted) = server("hello", 100).await;
    let pool = Pool::new(&address, SETTINGS);
    for i in 0..3 {
        let response = pool.request(get(&format!("http://{address}/p/{i}?q=1"))).await.unwrap();
        assert_eq!(text(response).await, format!("hello|GET /p/{i}?q=1 HTTP/1.1|host: {address}"));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn concurrent_requests_open_connections_and_keep_at_most_max_idle() {
    let (address, accepted) = server("x", 100).await;
    let pool = Pool::new(&address, Settings { max_idle: 2, ..SETTINGS });
    // Three response heads held at once need three connections.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(pool.request(get("/")).await.unwrap());
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    for response in held {
        text(response).await;
    }
    assert_eq!(pool.inner.idle.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_connection_the_server_closed_is_not_reused() {
    // One answer per connection, then the server closes it.
    let (address, accepted) = server("once", 1).await;
    let pool = Pool::new(&address, SETTINGS);
    for _ in 0..3 {
        let response = pool.request(get("/")).await.unwrap();
        assert!(text(response).await.starts_with("once|GET / HTTP/1.1"));
        // Let the connection's close reach the pool's side.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_idle_connection_past_the_timeout_is_replaced() {
    let (address, accepted) = server("x", 100).await;
    let pool = Pool::new(
        &address,
        Settings {
            idle_timeout: Duration::from_millis(50),
            ..SETTINGS
        },
    );
    text(pool.request(get("/")).await.unwrap()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    text(pool.request(get("/")).await.unwrap()).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_body_dropped_before_its_end_takes_its_connection_along() {
    let (address, accepted) = server("unread", 100).await;
    let pool = Pool::new(&address, SETTINGS);
    drop(pool.request(get("/")).await.unwrap());
    text(pool.request(get("/")).await.unwrap()).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refused_connects_say_where() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let error = Pool::new(&address, SETTINGS).request(get("/")).await.unwrap_err();
    let text = crate::error::chain(&error);
    assert!(text.starts_with(&format!("cannot connect to {address}: ")), "{text}");
    assert!(matches!(error, PoolError::Connect { ref source, .. } if source.kind() == std::io::ErrorKind::ConnectionRefused));
}
