//! Sets of HTTP status codes written the way users write them: `200-399,404`.
//!
//! Used for the readiness check's healthy statuses and for `ERROR_STATUS_CODES`. Parsing is strict: a
//! half-open range (`500-`), a reversed range, or a code outside 100..=599 is an error, because a
//! silently ignored range is how a misconfigured health check ships.

use std::fmt;

/// A parsed, non-empty list of inclusive status ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StatusRanges(Vec<(u16, u16)>);

impl StatusRanges {
    /// One inclusive range, such as the readiness check's default `100-499`.
    pub(crate) fn range(low: u16, high: u16) -> Self {
        StatusRanges(vec![(low, high)])
    }

    /// Parses `a-b,c,d-e`. Spaces around items are allowed.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err("an empty item (two commas in a row, or a trailing comma)".into());
            }
            let (low, high) = match item.split_once('-') {
                Some((low, high)) => (parse_code(low, item)?, parse_code(high, item)?),
                None => {
                    let code = parse_code(item, item)?;
                    (code, code)
                }
            };
            if low > high {
                return Err(format!("the range `{item}` runs backwards"));
            }
            ranges.push((low, high));
        }
        Ok(StatusRanges(ranges))
    }

    /// Whether `status` falls in any of the ranges.
    pub(crate) fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|&(low, high)| (low..=high).contains(&status))
    }
}

fn parse_code(text: &str, item: &str) -> Result<u16, String> {
    let text = text.trim();
    match text.parse::<u16>() {
        Ok(code) if (100..=599).contains(&code) => Ok(code),
        _ if text.is_empty() => Err(format!("the range `{item}` is missing a bound")),
        _ => Err(format!("`{text}` in `{item}` is not a status code from 100 to 599")),
    }
}

impl fmt::Display for StatusRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (low, high)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if low == high {
                write!(f, "{low}")?;
            } else {
                write!(f, "{low}-{high}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_single_codes() {
        let set = StatusRanges::parse("200-399, 404").unwrap();
        assert!(set.contains(200) && set.contains(399) && set.contains(404));
        assert!(!set.contains(400) && !set.contains(500));
        assert_eq!(set.to_string(), "200-399,404");
    }

    #[test]
    fn rejects_what_users_get_wrong() {
        assert!(StatusRanges::parse("500-").unwrap_err().contains("missing a bound"));
        assert!(StatusRanges::parse("504-500").unwrap_err().contains("backwards"));
        assert!(StatusRanges::parse("abc").unwrap_err().contains("not a status code"));
        assert!(StatusRanges::parse("700").is_err());
        assert!(StatusRanges::parse("500,,502").is_err());
        assert!(StatusRanges::parse("").is_err());
    }
}
