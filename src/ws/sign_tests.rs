//! The signer against AWS's published SigV4 vectors and against botocore.

use super::*;
use std::time::{Duration, UNIX_EPOCH};

fn request(method: &str, url: &str, body: &'static [u8]) -> Request<Bytes> {
    Request::builder().method(method).uri(url).body(Bytes::from_static(body)).unwrap()
}

fn at(epoch_secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(epoch_secs)
}

/// 2015-08-30T12:36:00Z, the time of the aws-signing-test-suite vectors.
const SUITE_TIME: u64 = 1_440_938_160;
const SUITE_KEY: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Vectors from `aws-signing-test-suite/v4/*/header-signature.txt`, published with the `aws-sigv4` crate
/// (and, before it, as AWS's "Signature Version 4 test suite"): name, method, URL, session token, signature.
const SUITE_VECTORS: [(&str, &str, &str, Option<&str>, &str); 4] = [
    (
        "get-vanilla",
        "GET",
        "https://example.amazonaws.com/",
        None,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ),
    (
        "post-vanilla",
        "POST",
        "https://example.amazonaws.com/",
        None,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    ),
    (
        "get-vanilla-with-session-token",
        "GET",
        "https://example.amazonaws.com/",
        Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
        "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    ),
    (
        "get-vanilla-query-order-key-case",
        "GET",
        "https://example.amazonaws.com/?Param2=value2&Param1=value1",
        None,
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ),
];

#[test]
fn published_vectors() {
    for (name, method, url, token, want) in SUITE_VECTORS {
        let credentials = Credentials::new(SUITE_KEY, SUITE_SECRET, token.map(String::from), None, "test");
        let mut req = request(method, url, b"");
        let signature = sign_for(&mut req, &credentials, "us-east-1", "service", at(SUITE_TIME)).unwrap();
        assert_eq!(signature, want, "{name}");
        assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z", "{name}");
        assert_eq!(req.headers()["host"], "example.amazonaws.com", "{name}");
        assert_eq!(
            req.headers().get("x-amz-security-token").map(|v| v.to_str().unwrap()),
            token,
            "{name}"
        );
    }
}

/// `aws-signing-test-suite/v4/double-encode-path`: an `@connections` id ending in `=`, signed with the
/// crate's test credentials; its canonical URI is `/test/%40connections/JBDvjfGEIAMCERw%253D`.
#[test]
fn published_double_encode_path_vector() {
    let credentials = Credentials::new("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby", None, None, "test");
    let mut req = request(
        "POST",
        "https://tj9n5r0m12.execute-api.us-east-1.amazonaws.com/test/@connections/JBDvjfGEIAMCERw%3D",
        b"",
    );
    let signature = sign_for(&mut req, &credentials, "us-east-1", "service", at(SUITE_TIME)).unwrap();
    assert_eq!(signature, "57d157672191bac40bae387e48bbe14b15303c001fdbb01f4abf295dccb09705");
}

/// Produced by botocore 1.43.11's `SigV4Auth` (service `execute-api`) with
/// `python3 tests/ws_support/sigv4_vectors.py`, which holds the cases (method, URL, body, region, token);
/// keys and time below are the script's.
const BOTOCORE_VECTORS: [(&str, &str); 4] = [
    (
        "post_id_ending_in_equals",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240316/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=719ecb28eea3ef82cd5af15e16ddcc3d98dbf54a11b628243ccacbcbd2c63831",
    ),
    (
        "get_id_with_slash_plus_equals",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240316/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=26615826ca2537aafb5d5040818ec6ed6d675339c6bc9c23608f603704af3661",
    ),
    (
        "delete_custom_domain_base_path",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240316/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=7192ea362d172e56cc8471da06288299f07918ff510f3f90b40348c6cf1c85b9",
    ),
    (
        "post_local_port",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240316/us-west-2/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=021f0b7e4b9fef03a0fae0f8a2849b0f80e569e703509908bbb2f69b44ec5ee8",
    ),
];

/// 2024-03-16T00:46:22Z.
const BOTOCORE_TIME: u64 = 1_710_549_982;
const BOTOCORE_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLETOKEN/with+slash==";

/// One `@connections` call of `tests/ws_support/sigv4_vectors.py`, with the id as the app gives it.
struct BotocoreCase {
    name: &'static str,
    method: &'static str,
    base: &'static str,
    id: &'static str,
    body: &'static [u8],
    region: &'static str,
    token: bool,
}

const BOTOCORE_CASES: [BotocoreCase; 4] = [
    BotocoreCase {
        name: "post_id_ending_in_equals",
        method: "POST",
        base: "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod",
        id: "R0oXdeZ2IAMCJqA=",
        body: b"{\"tick\":1}",
        region: "us-east-1",
        token: false,
    },
    BotocoreCase {
        name: "get_id_with_slash_plus_equals",
        method: "GET",
        base: "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod",
        id: "ab/cd+ef==",
        body: b"",
        region: "us-east-1",
        token: true,
    },
    BotocoreCase {
        name: "delete_custom_domain_base_path",
        method: "DELETE",
        base: "https://ws.example.com/chat/v1",
        id: "Zm9v/bar=",
        body: b"",
        region: "eu-west-1",
        token: true,
    },
    BotocoreCase {
        name: "post_local_port",
        method: "POST",
        base: "http://127.0.0.1:4510/stage",
        id: "x=",
        body: b"hello",
        region: "us-west-2",
        token: false,
    },
];

#[test]
fn agrees_with_botocore_on_connections_paths() {
    for (case, (vector_name, want)) in BOTOCORE_CASES.iter().zip(BOTOCORE_VECTORS) {
        assert_eq!(case.name, vector_name);
        // The adapter encodes the id into the path (`=` → `%3D`, `/` → `%2F`); the signer encodes it again.
        let url = format!("{}/@connections/{}", case.base, crate::net::uri::component(case.id));
        let token = case.token.then(|| BOTOCORE_TOKEN.to_string());
        let credentials = Credentials::new(SUITE_KEY, SUITE_SECRET, token, None, "test");
        let mut req = Request::builder()
            .method(case.method)
            .uri(&url)
            .body(Bytes::from_static(case.body))
            .unwrap();
        sign(&mut req, &credentials, case.region, at(BOTOCORE_TIME)).unwrap();
        assert_eq!(req.headers()["authorization"], want, "{}: {url}", case.name);
    }
}

#[test]
fn default_ports_are_left_out_of_host() {
    let credentials = Credentials::new("A", "B", None, None, "test");
    for (url, host) in [
        ("https://h.example.com:443/p", "h.example.com"),
        ("http://127.0.0.1:80/p", "127.0.0.1"),
        ("http://127.0.0.1:4510/p", "127.0.0.1:4510"),
    ] {
        let mut req = request("GET", url, b"");
        sign(&mut req, &credentials, "us-east-1", at(BOTOCORE_TIME)).unwrap();
        assert_eq!(req.headers()["host"], host, "{url}");
    }
}

#[test]
fn a_url_without_host_is_an_error_not_a_panic() {
    let credentials = Credentials::new("A", "B", None, None, "test");
    let mut req = request("GET", "/relative", b"");
    let err = sign(&mut req, &credentials, "us-east-1", at(BOTOCORE_TIME)).unwrap_err();
    assert!(err.to_string().contains("has no host"), "{err}");
}
