//! How the dialects write and read timestamps: RFC 3339 in UTC, at the precision each shows.

use chrono::{DateTime, SecondsFormat, Utc};

/// How many fraction digits a dialect writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Whole seconds: `2020-02-13T10:08:06Z` (Laravel).
    Seconds,
    /// As many digits as the value needs, in groups of three (Go's `time.RFC3339Nano`-like).
    Auto,
    /// Microseconds, always six digits (fixed width, so stored text sorts as time).
    Micros,
    /// .NET's round trip: up to seven digits (100 ns ticks), trailing zeros cut (Comm100).
    Ticks,
}

/// `t` as RFC 3339 in UTC (`Z`), at `precision`.
pub fn format_time(t: DateTime<Utc>, precision: Precision) -> String {
    match precision {
        Precision::Seconds => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        Precision::Auto => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        Precision::Micros => t.to_rfc3339_opts(SecondsFormat::Micros, true),
        Precision::Ticks => {
            let ticks = format!("{:07}", t.timestamp_subsec_nanos() / 100);
            let fraction = ticks.trim_end_matches('0');
            let seconds = t.to_rfc3339_opts(SecondsFormat::Secs, true);
            match seconds.strip_suffix('Z') {
                Some(base) if !fraction.is_empty() => format!("{base}.{fraction}Z"),
                _ => seconds,
            }
        }
    }
}

/// An RFC 3339 timestamp with any offset, as UTC; `None` when it is not one.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_precision_round_trips() {
        let t = parse_time("2022-06-28T09:46:57.346666789+02:00").unwrap_or_default();
        let cases = [
            (Precision::Seconds, "2022-06-28T07:46:57Z"),
            (Precision::Auto, "2022-06-28T07:46:57.346666789Z"),
            (Precision::Micros, "2022-06-28T07:46:57.346666Z"),
            (Precision::Ticks, "2022-06-28T07:46:57.3466667Z"),
        ];
        for (precision, text) in cases {
            assert_eq!(format_time(t, precision), text, "{precision:?}");
            assert!(parse_time(text).is_some());
        }
        let whole = parse_time("2020-12-25T06:01:00.9Z").unwrap_or_default();
        assert_eq!(
            format_time(whole, Precision::Ticks),
            "2020-12-25T06:01:00.9Z"
        );
        assert_eq!(parse_time("yesterday"), None);
    }
}
