//! What a vendor's answer says about its rate limit, in whichever way it says it:
//! `Retry-After` (seconds or an HTTP date), `X-RateLimit-Remaining` / `-Reset` (Rocket.Chat,
//! Libredesk, Laravel) and the IETF draft's `RateLimit-Remaining` / `-Reset`, and Rocket.Chat's
//! "You must wait N seconds" in the body of its 429.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::header::HeaderMap;

/// The longest wait a hint is believed for: a vendor's "come back in a year" is taken as a
/// day, so that no arithmetic overflows and a stuck run still shows what it waits for.
pub const LONGEST: Duration = Duration::from_secs(24 * 3600);

/// A vendor's word on its limit, from one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hint {
    /// Wait this long before the next call (a 429's `Retry-After`, Rocket.Chat's message).
    pub retry_after: Option<Duration>,
    /// Calls left in the vendor's current window.
    pub remaining: Option<u64>,
    /// When the vendor's current window ends, from now.
    pub reset: Option<Duration>,
}

/// The hint in an answer's `headers` and, for a 429, its `body`. One pass over the headers
/// (an answer has a handful): every answer of every call is read here, and a lookup per name
/// cost more than the rest of the budget layer.
pub fn read(headers: &HeaderMap, body: Option<&[u8]>) -> Hint {
    read_at(headers, body, SystemTime::now)
}

/// [`read`], with the wall clock `now` (read only when a header needs it).
fn read_at(headers: &HeaderMap, body: Option<&[u8]>, now: impl Fn() -> SystemTime) -> Hint {
    let mut hint = Hint::default();
    let mut retry_after = None;
    for (name, value) in headers {
        match name.as_str() {
            "retry-after" => retry_after = text(value),
            "x-ratelimit-remaining" | "ratelimit-remaining" => {
                hint.remaining = text(value).and_then(|v| v.parse::<u64>().ok());
            }
            "x-ratelimit-reset" | "ratelimit-reset" => {
                hint.reset = text(value).and_then(|v| reset(v, now()));
            }
            _ => {}
        }
    }
    hint.retry_after = retry_after
        .and_then(|v| self::retry_after(v, now()))
        .or_else(|| body.and_then(must_wait));
    hint
}

/// A header's value as trimmed text, when it is text.
fn text(value: &hyper::header::HeaderValue) -> Option<&str> {
    value.to_str().ok().map(str::trim)
}

/// `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<f64>() {
        return seconds_from_now(seconds);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(LONGEST),
    )
}

/// Epoch seconds are above 10⁹ since 2001, epoch milliseconds above 10¹²: anything
/// smaller is seconds to go (Laravel and the IETF draft count that way).
const EPOCH_SECONDS: f64 = 1e9;
const EPOCH_MILLIS: f64 = 1e12;

/// A window's reset, however the vendor counts it: epoch milliseconds (Rocket.Chat), epoch
/// seconds (Libredesk, GitHub) or seconds to go.
fn reset(value: &str, now: SystemTime) -> Option<Duration> {
    let number = value.parse::<f64>().ok().filter(|n| n.is_finite())?;
    let since_epoch = |seconds: f64| {
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
        seconds_from_now((seconds - now).max(0.0))
    };
    if number >= EPOCH_MILLIS {
        since_epoch(number / 1000.0)
    } else if number >= EPOCH_SECONDS {
        // A whole second names the second the window resets in, cut down to it (Libredesk
        // writes `time.Now().Add(window).Unix()`): waiting to its start is too early.
        since_epoch(if number.fract() == 0.0 {
            number + 1.0
        } else {
            number
        })
    } else {
        seconds_from_now(number)
    }
}

fn seconds_from_now(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| Duration::from_secs_f64(seconds.min(LONGEST.as_secs_f64())))
}

/// Rocket.Chat's 429 names its wait only in words: "…You must wait 12 seconds before trying
/// this endpoint again. [error-too-many-requests]".
fn must_wait(body: &[u8]) -> Option<Duration> {
    const WORDS: &[u8] = b"must wait ";
    let at = body.windows(WORDS.len()).position(|w| w == WORDS)? + WORDS.len();
    let digits: Vec<u8> = body[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    let seconds: u64 = std::str::from_utf8(&digits).ok()?.parse().ok()?;
    Some(Duration::from_secs(seconds).min(LONGEST))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    const NOW_S: u64 = 1_800_000_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_S)
    }

    fn hint(headers: &[(&'static str, &str)], body: Option<&str>) -> Hint {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).expect("value"));
        }
        read_at(&map, body.map(str::as_bytes), now)
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let secs = |h: Hint| h.retry_after.map(|d| d.as_secs());
        assert_eq!(secs(hint(&[("retry-after", "30")], None)), Some(30));
        assert_eq!(secs(hint(&[("retry-after", " 7 ")], None)), Some(7));
        let date = httpdate::fmt_http_date(now() + Duration::from_secs(90));
        assert_eq!(secs(hint(&[("retry-after", &date)], None)), Some(90));
        let past = httpdate::fmt_http_date(now() - Duration::from_secs(90));
        assert_eq!(secs(hint(&[("retry-after", &past)], None)), Some(0));
        // However long: up to a day.
        assert_eq!(
            secs(hint(&[("retry-after", "99999999999")], None)),
            Some(LONGEST.as_secs())
        );
        for junk in ["soon", "-5", "NaN", "inf", ""] {
            assert_eq!(
                hint(&[("retry-after", junk)], None).retry_after,
                None,
                "{junk}"
            );
        }
    }

    #[test]
    fn reset_in_epoch_millis_epoch_seconds_or_seconds_to_go() {
        let reset = |v: &str| {
            hint(
                &[("x-ratelimit-reset", v), ("x-ratelimit-remaining", "0")],
                None,
            )
            .reset
            .map(|d| d.as_millis())
        };
        assert_eq!(
            reset(&format!("{}", (NOW_S + 12) * 1000 + 500)),
            Some(12_500)
        );
        assert_eq!(
            reset(&format!("{}", NOW_S + 40)),
            Some(41_000),
            "to the end of its second"
        );
        assert_eq!(reset("15"), Some(15_000));
        assert_eq!(
            reset(&format!("{}", NOW_S - 40)),
            Some(0),
            "a reset past is now"
        );
        let h = hint(
            &[("ratelimit-remaining", "3"), ("ratelimit-reset", "2")],
            None,
        );
        assert_eq!(
            (h.remaining, h.reset),
            (Some(3), Some(Duration::from_secs(2)))
        );
    }

    #[test]
    fn rocket_chat_says_it_in_words() {
        let body = r#"{"success":false,"error":"Error, too many requests. Please slow down. You must wait 12 seconds before trying this endpoint again. [error-too-many-requests]"}"#;
        assert_eq!(
            hint(&[], Some(body)).retry_after,
            Some(Duration::from_secs(12))
        );
        // A header, when there is one, is the vendor's precise word.
        assert_eq!(
            hint(&[("retry-after", "3")], Some(body)).retry_after,
            Some(Duration::from_secs(3))
        );
        assert_eq!(hint(&[], Some("Retry later\n")), Hint::default());
        assert_eq!(hint(&[], Some("You must wait seconds")), Hint::default());
    }
}
