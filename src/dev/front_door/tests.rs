//! Recognising WebSocket upgrades.

use super::*;

#[test]
fn websocket_upgrades_are_recognised() {
    let request = |pairs: &[(&str, &str)]| {
        let mut builder = Request::builder().uri("/chat");
        for (name, value) in pairs {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    };
    assert!(is_websocket_upgrade(&request(&[
        ("upgrade", "websocket"),
        ("connection", "Upgrade")
    ])));
    assert!(is_websocket_upgrade(&request(&[
        ("upgrade", "WebSocket"),
        ("connection", "keep-alive, Upgrade")
    ])));
    assert!(!is_websocket_upgrade(&request(&[("upgrade", "h2c"), ("connection", "Upgrade")])));
    assert!(!is_websocket_upgrade(&request(&[("upgrade", "websocket")])));
}
