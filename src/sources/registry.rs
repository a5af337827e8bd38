//! Every event source the adapter knows, in one list: detection, `dev --event` and its help, the fuzz
//! targets and the tests walk it. Adding a source is its file and one line here.
//!
//! The order is the one `dev --help` lists the emulated sources in. Detection rules are written so that on
//! a real event exactly one matches (a unit test checks every sample); an event forged to carry several
//! sources' clues goes to the first of them here, and pass-through, whose rule matches everything, is last.

use super::detect::Clues;
use super::source::{Emulation, Source};
use super::{alb, function_url, http_api, pass_through, rest_api, vpc_lattice, websocket};

/// The sources, in `dev --help` order, pass-through last.
pub const SOURCES: [&Source; 8] = [
    function_url::SOURCE,
    http_api::SOURCE,
    rest_api::SOURCE,
    alb::SINGLE_VALUE,
    alb::MULTI_VALUE,
    vpc_lattice::SOURCE,
    websocket::SOURCE,
    pass_through::SOURCE,
];

/// The source of an event with these clues.
pub(super) fn detect(clues: &Clues, http_api_domains: &[String]) -> &'static Source {
    SOURCES
        .into_iter()
        .find(|source| (source.detect)(clues, http_api_domains))
        .unwrap_or(pass_through::SOURCE)
}

/// The sources `dev --event` plays, in the order its help lists them.
pub(crate) fn emulated() -> impl Iterator<Item = (&'static Source, &'static Emulation)> {
    SOURCES
        .into_iter()
        .filter_map(|source| source.emulation().map(|emulation| (source, emulation)))
}

/// The source a `dev --event` value names.
pub(crate) fn from_flag(flag: &str) -> Option<&'static Source> {
    emulated().map(|(source, _)| source).find(|source| source.flag() == flag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::detect::{ContextShape, Shape};
    use crate::sources::emulate::{ClientRequest, RequestIds};
    use crate::sources::event::Event;
    use crate::sources::source::Streams;

    #[test]
    fn every_source_declares_itself_whole() {
        for source in SOURCES {
            assert!(!source.name().is_empty(), "{source:?} has no name");
            assert!(!source.flag().is_empty(), "a source has no dev flag");
            assert!(!source.describe().is_empty(), "{source:?} has no description");
            let limits = source.limits();
            assert!(limits.request > 0 && limits.answer > 0, "{source:?} has no limits");
            if source != pass_through::SOURCE {
                assert!(source.format().is_some(), "{source:?} has no document shape");
            }
        }
        let mut flags: Vec<&str> = SOURCES.iter().map(|source| source.flag()).collect();
        flags.sort_unstable();
        flags.dedup();
        assert_eq!(flags.len(), SOURCES.len(), "dev flags are unique");
        assert_eq!(
            SOURCES.last(),
            Some(&pass_through::SOURCE),
            "pass-through, which matches anything, is last"
        );
        assert!(matches!(pass_through::SOURCE.streams, Streams::Never));
    }

    /// Every sample event in tests/fixtures/events/ that has a source's shape is claimed by that source's rule
    /// and no other: detection does not depend on the registry's order for real events.
    #[test]
    fn on_real_events_exactly_one_rule_matches() {
        let dir = format!("{}/tests/fixtures/events", env!("CARGO_MANIFEST_DIR"));
        let mut http = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") || path.to_string_lossy().contains("response") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let json = Event::new(&bytes);
            let shape = Shape::read(&json).unwrap().unwrap();
            let context: ContextShape = shape
                .request_context
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or_default();
            let clues = Clues { shape: &shape, context };
            let matching: Vec<&Source> = SOURCES[..SOURCES.len() - 1]
                .iter()
                .copied()
                .filter(|source| (source.detect)(&clues, &[]))
                .collect();
            assert!(matching.len() <= 1, "{}: {matching:?} all match", path.display());
            http += matching.len();
        }
        assert!(http >= 20, "the samples cover the HTTP sources ({http})");
    }

    #[test]
    fn every_emulated_source_is_detected_as_itself() {
        let method = http::Method::POST;
        let uri: http::Uri = "/a/b?x=1&x=2".parse().unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", "text/plain".parse().unwrap());
        let request = ClientRequest {
            method: &method,
            uri: &uri,
            headers: &headers,
            body: b"hello",
            source_ip: [127, 0, 0, 1].into(),
            port: 9000,
        };
        let ids = RequestIds {
            request_id: "0f0e0d0c-0000-4000-8000-000000000001".into(),
            time_epoch_ms: 1_700_000_000_000,
        };
        let mut flags = Vec::new();
        for (source, emulation) in emulated() {
            let event = emulation.event(&request, &ids).to_string();
            let json = Event::new(event.as_bytes());
            let shape = Shape::read(&json).unwrap().unwrap();
            assert_eq!(shape.source(&[]), source, "dev's {} event", source.flag());
            assert_eq!(from_flag(source.flag()), Some(source));
            flags.push(source.flag());
        }
        assert_eq!(
            flags,
            ["function-url", "apigw-http", "apigw-rest", "alb", "alb-multi", "vpc-lattice"]
        );
        assert_eq!(from_flag("websocket"), None, "WebSocket events come from dev's ws:// door");
    }
}
