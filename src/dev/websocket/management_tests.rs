//! Signature checks against botocore's signature and tampered requests; the credentials and endpoint given
//! to the adapter.

use super::*;
use std::time::UNIX_EPOCH;

/// 2024-03-16T00:46:22Z and a signature botocore 1.43.11's `SigV4Auth` computed for
/// `POST http://127.0.0.1:4510/stage/@connections/x%3D` with body `hello` in us-west-2
/// (`tests/ws_support/sigv4_vectors.py`, case `post_local_port`; also in `src/ws/sign_tests.rs`).
const BOTOCORE_TIME: u64 = 1_710_549_982;
const BOTOCORE_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240316/us-west-2/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=021f0b7e4b9fef03a0fae0f8a2849b0f80e569e703509908bbb2f69b44ec5ee8";

fn botocore_credentials(secret: &str) -> Credentials {
    Credentials::new("AKIDEXAMPLE", secret, None, None, "test")
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect()
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TARGET: &str = "/stage/@connections/x%3D";

fn botocore_headers(authorization: &str) -> HeaderMap {
    headers(&[
        ("host", "127.0.0.1:4510"),
        ("x-amz-date", "20240316T004622Z"),
        ("authorization", authorization),
        ("content-length", "5"),
    ])
}

fn check(headers: &HeaderMap, body: &'static [u8], secret: &str, now: u64) -> Result<(), Denied> {
    verify(
        &Method::POST,
        TARGET,
        headers,
        &Bytes::from_static(body),
        &botocore_credentials(secret),
        "us-west-2",
        at(now),
    )
}

#[test]
fn accepts_botocores_signature_and_refuses_tampering() {
    let good = botocore_headers(BOTOCORE_AUTHORIZATION);
    assert_eq!(check(&good, b"hello", SECRET, BOTOCORE_TIME + 60), Ok(()));
    assert_eq!(check(&good, b"hellO", SECRET, BOTOCORE_TIME), Err(Denied::Mismatch), "body changed");
    assert_eq!(check(&good, b"hello", "another-secret", BOTOCORE_TIME), Err(Denied::Mismatch));
    let flipped = BOTOCORE_AUTHORIZATION.replace("ee8", "ee9");
    assert_eq!(
        check(&botocore_headers(&flipped), b"hello", SECRET, BOTOCORE_TIME),
        Err(Denied::Mismatch)
    );
    let other_key = BOTOCORE_AUTHORIZATION.replace("AKIDEXAMPLE", "AKIDOTHER");
    assert_eq!(
        check(&botocore_headers(&other_key), b"hello", SECRET, BOTOCORE_TIME),
        Err(Denied::UnknownKey)
    );
    assert_eq!(
        check(&good, b"hello", SECRET, BOTOCORE_TIME + 6 * 60),
        Err(Denied::Expired("20240316T004622Z".into()))
    );
    assert_eq!(
        check(&headers(&[("host", "127.0.0.1:4510")]), b"hello", SECRET, BOTOCORE_TIME),
        Err(Denied::MissingToken)
    );
    let wrong_region = verify(
        &Method::POST,
        TARGET,
        &good,
        &Bytes::from_static(b"hello"),
        &botocore_credentials(SECRET),
        "us-east-1",
        at(BOTOCORE_TIME),
    );
    assert_eq!(wrong_region, Err(Denied::Mismatch));
}

#[test]
fn accepts_what_the_adapter_signs_with_a_session_token() {
    let (credentials, _) = adapter_credentials(|_| None);
    let mut request = Request::builder()
        .method("DELETE")
        .uri("http://127.0.0.1:4510/dev/@connections/ab%2Fcd%2Bef%3D")
        .body(Bytes::new())
        .unwrap();
    let now = SystemTime::now();
    sign::sign(&mut request, &credentials, "us-east-1", now).unwrap();
    let target = "/dev/@connections/ab%2Fcd%2Bef%3D";
    let verify_with = |token: Option<&str>| {
        let expected = Credentials::new(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, token.map(String::from), None, "t");
        verify(
            &Method::DELETE,
            target,
            request.headers(),
            &Bytes::new(),
            &expected,
            "us-east-1",
            now,
        )
    };
    assert_eq!(verify_with(Some(FAKE_SESSION_TOKEN)), Ok(()));
    assert_eq!(verify_with(Some("another-token")), Err(Denied::Mismatch));
    assert_eq!(verify_with(None), Err(Denied::Mismatch));
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    crate::config::lookup(pairs)
}

#[test]
fn fake_credentials_only_when_the_user_has_none() {
    let (credentials, vars) = adapter_credentials(env(&[]));
    assert_eq!(credentials.access_key_id(), FAKE_ACCESS_KEY_ID);
    assert_eq!(credentials.session_token(), Some(FAKE_SESSION_TOKEN));
    assert_eq!(vars.len(), 3);
    let (credentials, vars) = adapter_credentials(env(&[("AWS_ACCESS_KEY_ID", "AKIAUSER"), ("AWS_SECRET_ACCESS_KEY", "s")]));
    assert_eq!((credentials.access_key_id(), credentials.session_token()), ("AKIAUSER", None));
    assert!(vars.is_empty(), "the user's own credentials are left alone");
}

#[test]
fn the_endpoint_is_dev_own() {
    let (vars, warning) = endpoint_vars("http://127.0.0.1:5/dev", env(&[]));
    assert_eq!(vars, [("LWA_WS_ENDPOINT".to_string(), "http://127.0.0.1:5/dev".to_string())]);
    assert_eq!(warning, None);
    let (vars, warning) = endpoint_vars(
        "http://127.0.0.1:5/dev",
        env(&[("AWS_LWA_WS_ENDPOINT", "https://x.example.com/prod")]),
    );
    assert_eq!(vars.len(), 2, "both names agree, so the adapter warns about neither");
    assert!(warning.unwrap().contains("https://x.example.com/prod"));
}
