//! The few date formats the adapter reads and writes, in one place, through the `time` crate.
//!
//! AWS answers carry RFC 3339 (credential expiry), SigV4 uses `20240316T004622Z`, and the events `dev`
//! builds carry API Gateway's `16/Mar/2024:00:46:22 +0000` and the management API's ISO time with
//! milliseconds. Out-of-range input (a year of nine quintillion) is `None`, never an overflow.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

const CLF: &[BorrowedFormatItem<'_>] = format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
const ISO_MILLIS: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
const AMZ_DATE: &[BorrowedFormatItem<'_>] = format_description!("[year][month][day]T[hour][minute][second]Z");

/// `2024-03-16T06:46:22Z` (fractions and offsets accepted) as whole epoch seconds; `None` before 1970.
pub(crate) fn parse_rfc3339(text: &str) -> Option<u64> {
    let time = OffsetDateTime::parse(text.trim(), &Rfc3339).ok()?;
    u64::try_from(time.unix_timestamp()).ok()
}

/// `20240316T004622Z` (SigV4's `X-Amz-Date`) as a time.
pub(crate) fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let time = PrimitiveDateTime::parse(text, AMZ_DATE).ok()?.assume_utc();
    let secs = u64::try_from(time.unix_timestamp()).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// `11/Jan/2023:11:45:34 +0000`, API Gateway's `requestContext.time`.
pub(crate) fn clf(epoch_ms: u64) -> String {
    format(epoch_ms, CLF)
}

/// `2024-03-16T00:46:22.306Z`, the `@connections` API's time format.
pub(crate) fn iso_millis(epoch_ms: u64) -> String {
    format(epoch_ms, ISO_MILLIS)
}

fn format(epoch_ms: u64, description: &[BorrowedFormatItem<'_>]) -> String {
    let nanos = i128::from(epoch_ms).saturating_mul(1_000_000);
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|time| time.format(description).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-02-29T12:00:00.123Z"), Some(951_825_600));
        assert_eq!(parse_rfc3339("2024-03-16T06:46:22+00:00"), Some(1_710_571_582));
        assert_eq!(parse_rfc3339("2024-03-16T08:46:22+02:00"), Some(1_710_571_582));
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2024-03-16",
            "x-y-zT1:2:3Z",
            "1969-12-31T23:59:59Z",
            "9000000000000000000-01-01T00:00:00Z",
            "99999-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn amz_date() {
        assert_eq!(
            parse_amz_date("20240316T004622Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_710_549_982))
        );
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(UNIX_EPOCH));
        for bad in ["2024-03-16T00:46:22Z", "20241316T004622Z", "20240316T004622", "", "2024031ÅT04622Z"] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(clf(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(clf(1_589_522_469_693), "15/May/2020:06:01:09 +0000");
        assert_eq!(clf(1_709_251_199_000), "29/Feb/2024:23:59:59 +0000");
        assert_eq!(iso_millis(1_710_549_982_306), "2024-03-16T00:46:22.306Z");
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(clf(u64::MAX), "", "a time past year 9999 formats as nothing rather than panicking");
    }
}
