//! Which coding a client accepts, from every `Accept-Encoding` line of its request (RFC 9110 § 12.5.3).
//!
//! Each coding gets its own q-value, or the one of `*` when it is not named, or none. The highest q above 0
//! wins; among equal q-values, [`Encoding::PREFERENCE`] decides. `identity` is always acceptable and never
//! refused: when nothing else is, the response goes as it is, even after `identity;q=0` (a 406 would fail a
//! request the app answered). It wins only when the client names it with a higher q than every coding.
//! Anything unreadable (a line that is not ASCII, an element with a q-value that is not one) is skipped, never
//! an error: the worst a bad header can do is leave the response uncompressed.

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;

use super::codec::Encoding;

/// A q-value in thousandths, 0 to 1000.
type Quality = u16;

/// The q-values a request gives, by coding; `None` where it names none.
#[derive(Default, Debug)]
struct Weights {
    zstd: Option<Quality>,
    br: Option<Quality>,
    gzip: Option<Quality>,
    identity: Option<Quality>,
    any: Option<Quality>,
}

impl Weights {
    fn read(headers: &HeaderMap) -> Weights {
        let mut weights = Weights::default();
        for line in headers.get_all(ACCEPT_ENCODING) {
            let Ok(line) = line.to_str() else { continue };
            for element in line.split(',') {
                let mut parts = element.split(';');
                let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
                let mut quality = Some(1000);
                for parameter in parts {
                    let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
                    if name.trim().eq_ignore_ascii_case("q") {
                        quality = parse_quality(value.trim());
                    }
                }
                let Some(quality) = quality else { continue };
                let slot = match coding.as_str() {
                    "zstd" => &mut weights.zstd,
                    "br" => &mut weights.br,
                    "gzip" | "x-gzip" => &mut weights.gzip,
                    "identity" => &mut weights.identity,
                    "*" => &mut weights.any,
                    _ => continue,
                };
                // Named twice: the lower weight, so that a refusal (`q=0`) is never overridden.
                *slot = Some(slot.map_or(quality, |seen| seen.min(quality)));
            }
        }
        weights
    }

    fn of(&self, encoding: Encoding) -> Quality {
        let named = match encoding {
            Encoding::Zstd => self.zstd,
            Encoding::Brotli => self.br,
            Encoding::Gzip => self.gzip,
        };
        named.or(self.any).unwrap_or(0)
    }
}

/// `0`, `0.5`, `0.125`, `1`, `1.000` (RFC 9110's grammar; more than three decimals are cut, not refused).
fn parse_quality(text: &str) -> Option<Quality> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u16, |acc, digit| {
        acc.saturating_mul(10).saturating_add(u16::from(digit.saturating_sub(b'0')))
    });
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The coding to send for a request with these headers, or `None` for the response as it is.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Encoding> {
    let weights = Weights::read(headers);
    let mut best: Option<(Encoding, Quality)> = None;
    for encoding in Encoding::PREFERENCE {
        let quality = weights.of(encoding);
        if quality > 0 && best.is_none_or(|(_, top)| quality > top) {
            best = Some((encoding, quality));
        }
    }
    let (encoding, quality) = best?;
    match weights.identity {
        Some(identity) if identity > quality => None,
        _ => Some(encoding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn choose(lines: &[&str]) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(ACCEPT_ENCODING, HeaderValue::from_str(line).unwrap());
        }
        negotiate(&headers).map(Encoding::token)
    }

    #[test]
    fn nothing_or_only_identity_is_identity() {
        assert_eq!(choose(&[]), None);
        assert_eq!(choose(&[""]), None);
        assert_eq!(choose(&["identity"]), None);
        assert_eq!(choose(&["identity;q=1"]), None);
        assert_eq!(choose(&["deflate, compress"]), None);
    }

    #[test]
    fn browsers_and_curl() {
        assert_eq!(choose(&["gzip, deflate, br, zstd"]), Some("zstd"));
        assert_eq!(choose(&["gzip, deflate, br"]), Some("br"));
        assert_eq!(choose(&["deflate, gzip"]), Some("gzip"));
        assert_eq!(choose(&["gzip"]), Some("gzip"));
        assert_eq!(choose(&["x-gzip"]), Some("gzip"));
        assert_eq!(choose(&["br"]), Some("br"));
        assert_eq!(choose(&["zstd"]), Some("zstd"));
    }

    #[test]
    fn highest_q_wins_then_preference() {
        assert_eq!(choose(&["gzip;q=1.0, br;q=0.8, zstd;q=0.5"]), Some("gzip"));
        assert_eq!(choose(&["gzip;q=0.5, br;q=0.9"]), Some("br"));
        assert_eq!(choose(&["gzip;q=0.5, br;q=0.5, zstd;q=0.5"]), Some("zstd"));
        assert_eq!(choose(&["gzip;q=0.001, br;q=0.002"]), Some("br"));
        assert_eq!(choose(&["gzip;q=0.125", "br;q=0.12"]), Some("gzip"));
    }

    #[test]
    fn every_line_counts() {
        assert_eq!(choose(&["gzip", "zstd"]), Some("zstd"));
        assert_eq!(choose(&["identity", "br;q=0.3"]), None);
        assert_eq!(choose(&["gzip", "gzip;q=0"]), None);
    }

    #[test]
    fn wildcard() {
        assert_eq!(choose(&["*"]), Some("zstd"));
        assert_eq!(choose(&["*;q=0.5, gzip"]), Some("gzip"));
        assert_eq!(choose(&["*, zstd;q=0"]), Some("br"));
        assert_eq!(choose(&["*, zstd;q=0, br;q=0"]), Some("gzip"));
        assert_eq!(choose(&["*;q=0"]), None);
        assert_eq!(choose(&["*;q=0, gzip"]), Some("gzip"));
        assert_eq!(choose(&["*;q=0.2, gzip;q=0.1"]), Some("zstd"));
    }

    #[test]
    fn refusals() {
        assert_eq!(choose(&["gzip;q=0"]), None);
        assert_eq!(choose(&["gzip;q=0, br"]), Some("br"));
        assert_eq!(choose(&["zstd;q=0, br;q=0.000, gzip;q=0.0"]), None);
        // `identity;q=0` forbids nothing the adapter would send: the coding goes, or identity all the same.
        assert_eq!(choose(&["identity;q=0"]), None);
        assert_eq!(choose(&["identity;q=0, gzip"]), Some("gzip"));
        assert_eq!(choose(&["identity;q=0, *;q=0"]), None);
    }

    #[test]
    fn identity_preferred_by_q() {
        assert_eq!(choose(&["identity, gzip;q=0.5"]), None);
        assert_eq!(choose(&["identity;q=0.5, gzip"]), Some("gzip"));
        assert_eq!(choose(&["identity;q=0.5, gzip;q=0.5"]), Some("gzip"));
    }

    #[test]
    fn case_and_spaces() {
        assert_eq!(choose(&["GZIP"]), Some("gzip"));
        assert_eq!(choose(&["  Br ;  Q = 0.7 ,  GZip;q=0.6  "]), Some("br"));
        assert_eq!(choose(&["gzip;Q=0"]), None);
        assert_eq!(choose(&[",,gzip,,"]), Some("gzip"));
        assert_eq!(choose(&["zstd;level=3"]), Some("zstd"));
    }

    #[test]
    fn garbage_never_panics_and_is_skipped() {
        for line in [
            "gzip;q=",
            "gzip;q=2",
            "gzip;q=1.5",
            "gzip;q=-1",
            "gzip;q=abc",
            "gzip;q=.5",
            "gzip;q=0x1",
            "gzip;q",
            ";",
            ";;;",
            "=",
            "q=1",
            "gzip;q=0.5;q=",
            "gzip;q=1.001",
            "gzip;q=99999999999999999999",
        ] {
            assert_eq!(choose(&[line]), None, "{line}");
        }
        assert_eq!(choose(&["gzip;q=0.99999"]), Some("gzip"));
        assert_eq!(choose(&["gzip;q=abc, br"]), Some("br"));
        let mut headers = HeaderMap::new();
        headers.append(ACCEPT_ENCODING, HeaderValue::from_bytes(b"gzip\xff").unwrap());
        headers.append(ACCEPT_ENCODING, HeaderValue::from_bytes(b"\xc3\xa9, br").unwrap());
        assert_eq!(negotiate(&headers), None);
        let mut state = 7u32;
        for _ in 0..2000 {
            let line: Vec<u8> = (0..24)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    b"gzipbrzstd*identity;q=.,01 \t"[(state >> 16) as usize % 28]
                })
                .collect();
            let mut headers = HeaderMap::new();
            headers.append(ACCEPT_ENCODING, HeaderValue::from_bytes(&line).unwrap());
            let _ = negotiate(&headers);
        }
    }
}
