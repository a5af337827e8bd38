//! The adapter's API as the targets use it: the one file that follows the crate's module layout, so a
//! reorganisation of `src/` means editing this file, not the targets.

use bytes::Bytes;
use http::uri::Authority;
use http::{HeaderMap, Request, StatusCode};
use lambda_adapter::buffered::document::{self, Format, HeaderForm};
use lambda_adapter::context::{FunctionEnv, InvocationContext};
use lambda_adapter::sources::websocket::WsRoutes;

pub use lambda_adapter::config::{Config, Settings};
pub use lambda_adapter::response::meta::ResponseMeta;
pub use lambda_adapter::sources::websocket::WsEvent;
pub use lambda_adapter::sources::{Source, TranslateOptions};
use lambda_adapter::sources::registry::SOURCES;
pub use lambda_adapter::stream::parser::{MAX_PRELUDE, Parsed, PreludeParser};
pub use lambda_adapter::stream::prelude::SEPARATOR;
pub use lambda_adapter::ws::callback::{connection_id, invocation};

pub use lambda_adapter::net::headers::HOP_BY_HOP;

/// The options `LWA_*` defaults give, with the app at [`crate::APP_AUTHORITY`] and an optional
/// `LWA_REMOVE_BASE_PATH`.
pub fn options(remove_base_path: Option<&str>) -> TranslateOptions {
    TranslateOptions {
        app: Authority::from_static(crate::APP_AUTHORITY),
        remove_base_path: remove_base_path.map(str::to_string),
        pass_through_path: "/events".into(),
        authorization_source: None,
        http_api_domains: vec![],
        function_env: FunctionEnv {
            function_name: "fuzz".into(),
            memory: 128,
            ..Default::default()
        },
        ws: Default::default(),
    }
}

/// The options an accepted configuration gives.
pub fn options_from(config: &Config) -> TranslateOptions {
    TranslateOptions::from_config(config, FunctionEnv::default())
}

/// Reads every setting through `lookup`.
pub fn config<F: Fn(&str) -> Option<String>>(lookup: F) -> Result<Config, String> {
    Config::from_settings(&mut Settings::new(lookup)).map_err(|e| e.to_string())
}

/// The app's `host:port` in an accepted configuration, its host as configured, and its port.
pub fn app_address(config: &Config) -> (String, String, u16) {
    (config.app_address.to_string(), config.host.clone(), config.port)
}

/// `LWA_WS_ENDPOINT` in an accepted configuration: scheme, authority, and the base URL built from them.
pub fn ws_endpoint(config: &Config) -> Option<(String, String, String)> {
    config
        .ws
        .endpoint
        .as_ref()
        .map(|e| (e.scheme.clone(), e.authority.clone(), e.base_url()))
}

/// The Runtime API address read as the adapter reads it (`AWS_LAMBDA_RUNTIME_API`, or the
/// `LWA_LAMBDA_RUNTIME_API_PROXY` in front of it), and a Runtime API URL built from it.
pub fn runtime_api_url<F: Fn(&str) -> Option<String>>(lookup: F) -> Option<String> {
    lambda_adapter::config::runtime_api::runtime_endpoint(lookup)
        .ok()
        .map(|e| e.url("/2018-06-01/runtime/invocation/next"))
}

/// Every variable the adapter's configuration reads: both names of each setting in the settings table,
/// the plain and deprecated names it lists, and the variables Lambda sets.
pub fn setting_names() -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for setting in lambda_adapter::config::table::SETTINGS {
        names.push(format!("LWA_{}", setting.name));
        names.push(format!("AWS_LWA_{}", setting.name));
        names.extend(setting.also.iter().map(|n| n.to_string()));
    }
    names.extend(
        [
            "AWS_LAMBDA_RUNTIME_API",
            "AWS_LAMBDA_MAX_CONCURRENCY",
            "AWS_LAMBDA_INITIALIZATION_TYPE",
        ]
        .map(String::from),
    );
    names.sort();
    names.dedup();
    names
}

/// Sets the base path of the app's WebSocket routes (`LWA_WS_PATH`) and the port `x-ws-callback` names.
pub fn set_ws_routes(options: &mut TranslateOptions, path: &str, callback_port: u16) {
    options.ws = WsRoutes {
        path: path.into(),
        callback_port,
    };
}

pub fn ws_path(options: &TranslateOptions) -> &str {
    &options.ws.path
}

pub fn callback_port(options: &TranslateOptions) -> u16 {
    options.ws.callback_port
}

/// The URL the app pushes to for `connection_id` during invocation `request_id`.
pub fn callback_url(options: &TranslateOptions, request_id: &str, connection_id: &str) -> String {
    options.ws.callback_url(request_id, connection_id)
}

/// An event to the app's request: the kind detected, the request, and the WebSocket event it carries.
pub fn translate(
    event: &[u8],
    ctx: &InvocationContext,
    options: &TranslateOptions,
) -> Result<(&'static Source, Request<Bytes>, Option<WsEvent>), String> {
    lambda_adapter::sources::translate(event, ctx, options)
        .map(|t| (t.kind, t.request, t.websocket))
        .map_err(|e| e.to_string())
}

/// A buffered answer's document format, which the adapter encodes and `dev` decodes.
pub type Decoder = Format;

/// Every document format a source in the registry answers in, once each.
pub fn decoders() -> Vec<Decoder> {
    let mut formats: Vec<Decoder> = Vec::new();
    for format in SOURCES.iter().filter_map(|source| source.format()) {
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    formats
}

/// Whether a request came from API Gateway's WebSocket API.
pub fn is_websocket(source: &Source) -> bool {
    source == lambda_adapter::sources::websocket::SOURCE
}

/// A decoded buffered answer: status, headers, body.
pub fn decode_buffered(format: Decoder, payload: &[u8]) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    document::decode(format, payload)
        .map(|d| (d.head.status, d.head.headers, d.body))
        .map_err(|e| e.to_string())
}

/// A decoded streaming prelude: status and headers.
pub fn decode_prelude(bytes: &[u8]) -> Result<(StatusCode, HeaderMap), String> {
    lambda_adapter::stream::prelude::decode(bytes)
        .map(|h| (h.status, h.headers))
        .map_err(|e| e.to_string())
}

/// The buffered document for `format`.
pub fn encode_document(format: Decoder, meta: &ResponseMeta, body: &[u8], text: bool) -> Bytes {
    document::encode(format, meta, body, text)
}

/// The streaming prelude; `multi_value` adds `multiValueHeaders` (REST API streaming).
pub fn encode_prelude(meta: &ResponseMeta, multi_value: bool) -> Bytes {
    lambda_adapter::stream::prelude::encode(meta, multi_value)
}

/// What of a response head survives a buffered round trip, by the format's documented rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Survives {
    /// Repeated values joined with `,`, each `Set-Cookie` apart (payload 2.0).
    Joined,
    /// Every value (REST API, ALB multi-value).
    Multi,
    /// Joined, with the last `Set-Cookie` only (ALB single-value, VPC Lattice).
    JoinedLastCookie,
    /// `Sec-WebSocket-Protocol` only, and the body only when there is one (WebSocket).
    Subprotocol,
}

/// Every source's buffered format with what survives it, by where the format carries headers.
pub fn round_trips() -> Vec<(&'static Source, Decoder, Survives)> {
    SOURCES
        .into_iter()
        .filter_map(|source| {
            let format = source.format()?;
            let survives = match format.headers {
                HeaderForm::JoinedWithCookies => Survives::Joined,
                HeaderForm::SingleAndMulti | HeaderForm::Multi => Survives::Multi,
                HeaderForm::Joined => Survives::JoinedLastCookie,
                HeaderForm::Subprotocol => Survives::Subprotocol,
            };
            Some((source, format, survives))
        })
        .collect()
}

/// How a connection id or request id is written into one path segment.
pub use lambda_adapter::net::uri::component as encode_segment;
