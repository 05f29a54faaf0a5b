//! Rate budgets: how fast an upstream may be called, as its vendor counts, and where a budget
//! that several gateways share is kept.
//!
//! A budget is a GCRA (the generic cell rate algorithm): one number per budget, the
//! *theoretical arrival time* (TAT). The arithmetic lives here once ([`Gcra::reserve`]); the
//! outbound client runs it on state in its own process, and a [`RateKeeper`] (the store on
//! PostgreSQL) runs the same arithmetic as one atomic statement on a row every gateway shares.

use std::time::Duration;

use async_trait::async_trait;

use crate::BackendError;

/// How a budget is counted: one for the whole upstream, or one per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every call counts against one budget (Comm100: per client address).
    Upstream,
    /// Each endpoint (method and route) has a budget of its own (Rocket.Chat).
    Endpoint,
}

impl Scope {
    /// Its name in the configuration and on the status page.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Upstream => "upstream",
            Scope::Endpoint => "endpoint",
        }
    }
}

/// `rate_limit` of an upstream: how fast the gateway calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimit {
    /// Nothing configured: no budget of its own, but the pace is learned from the vendor's
    /// answers (`Retry-After`, `X-RateLimit-*`, refusals without a hint).
    #[default]
    Learned,
    /// `"off"`: never paced before a call; a 429 is still waited out and sent again.
    Off,
    /// `{ requests, per, scope }`: at most `requests` calls in any `per`, never more.
    Budget {
        requests: u32,
        per: Duration,
        scope: Scope,
    },
}

/// A GCRA's two constants, in microseconds: the time between calls at the steady rate, and
/// how far ahead of it a call may go (the burst).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    pub interval_us: i64,
    pub tolerance_us: i64,
}

/// Margin on the interval, so that calls spaced by the gateway still arrive spaced enough
/// when the network delays one more than the next (2 %: 40 ms in a 2 s window).
const MARGIN: f64 = 1.02;

impl Gcra {
    /// The GCRA that never lets more than `requests` calls arrive in any span of `per`
    /// (a sliding window, the strictest way a vendor may count). A GCRA with burst `b` and
    /// interval `i` allows `b - 1 + per / i` calls in a span of `per`, so a burst of
    /// `b = 1 + requests / 100` costs `b - 1` calls of the steady rate: 3 % at 300 per 5 min.
    pub fn for_budget(requests: u32, per: Duration) -> Gcra {
        let requests = i64::from(requests.max(1));
        let burst = 1 + requests / 100;
        let per_us = i64::try_from(per.as_micros()).unwrap_or(i64::MAX);
        // Rounded as f64: exact enough for spans of microseconds to days.
        let interval_us = (per_us as f64 / (requests - burst + 1) as f64 * MARGIN).ceil() as i64;
        Gcra {
            interval_us: interval_us.max(1),
            tolerance_us: interval_us.saturating_mul(burst - 1),
        }
    }

    /// A steady pace of `per_second` calls and no burst (a pace learned from the vendor).
    pub fn for_rate(per_second: f64) -> Gcra {
        let interval_us = (1e6 / per_second.max(1e-3)).ceil() as i64;
        Gcra {
            interval_us: interval_us.max(1),
            tolerance_us: 0,
        }
    }

    /// Reserve a call on the budget whose TAT is `tat`, at `now`, not before `not_before`
    /// (another gate's earliest time); refused (TAT unchanged) when it would wait past
    /// `now + max_wait`. All in microseconds on one clock.
    pub fn reserve(&self, tat: &mut i64, now: i64, not_before: i64, max_wait: i64) -> Reservation {
        let go = (*tat - self.tolerance_us).max(now).max(not_before);
        if go - now > max_wait {
            return Reservation::Refused(micros(go - now));
        }
        *tat = (*tat).max(go) + self.interval_us;
        Reservation::Go(micros(go - now))
    }

    /// Push the TAT so that no call goes before `until` (a vendor asked to wait).
    pub fn hold(&self, tat: &mut i64, until: i64) {
        *tat = (*tat).max(until + self.tolerance_us);
    }

    /// The calls per second this pace allows in the long run.
    pub fn rate(&self) -> f64 {
        1e6 / self.interval_us as f64
    }
}

/// A duration of `us` microseconds (zero when negative).
pub fn micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// What reserving a call on a budget gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The call is booked: it goes after this wait (zero: at once).
    Go(Duration),
    /// The call would wait this long, past what the caller can: nothing was booked.
    Refused(Duration),
}

/// Where budgets that several gateways share are kept (the store, on PostgreSQL): each
/// reservation is one atomic step on the budget's row, on the database's clock.
#[async_trait]
pub trait RateKeeper: Send + Sync {
    /// Reserve a call on budget `key` paced by `gcra`, not before `not_before` from now,
    /// refused when it would wait longer than `max_wait`.
    async fn reserve(
        &self,
        key: &str,
        gcra: Gcra,
        not_before: Duration,
        max_wait: Duration,
    ) -> Result<Reservation, BackendError>;

    /// No call on budget `key` before `wait` from now: a vendor asked every caller to wait.
    async fn hold(&self, key: &str, gcra: Gcra, wait: Duration) -> Result<(), BackendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most calls in any half-open span of `per_us` among `times`.
    fn densest(times: &[i64], per_us: i64) -> usize {
        times
            .iter()
            .map(|t| {
                times
                    .iter()
                    .filter(|u| **u >= *t && **u < t + per_us)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_budget_never_allows_more_than_its_requests_in_any_span() {
        for (requests, per_ms) in [(12u32, 2_000u64), (10, 60_000), (300, 300_000), (1, 1_000)] {
            let gcra = Gcra::for_budget(requests, Duration::from_millis(per_ms));
            let mut tat = 0;
            // Callers as eager as can be: everyone asks at once, each goes when booked.
            let mut times = Vec::new();
            for _ in 0..(requests * 4) {
                match gcra.reserve(&mut tat, 0, 0, i64::MAX) {
                    Reservation::Go(wait) => times.push(wait.as_micros() as i64),
                    Reservation::Refused(_) => unreachable!("no limit on the wait"),
                }
            }
            let per_us = per_ms as i64 * 1000;
            assert!(
                densest(&times, per_us) <= requests as usize,
                "{requests} per {per_ms} ms"
            );
            // And the pace is not far below the budget: at least 95 % of it.
            let span = times.last().copied().unwrap_or(0) - times[0];
            let rate = (times.len() - 1) as f64 / span as f64 * per_us as f64;
            assert!(rate >= 0.95 * requests as f64, "{requests}: {rate}");
        }
    }

    #[test]
    fn a_call_past_the_longest_wait_is_refused_and_books_nothing() {
        let gcra = Gcra::for_budget(1, Duration::from_secs(10));
        let mut tat = 0;
        assert_eq!(
            gcra.reserve(&mut tat, 0, 0, 0),
            Reservation::Go(Duration::ZERO)
        );
        let before = tat;
        match gcra.reserve(&mut tat, 1_000_000, 0, 5_000_000) {
            Reservation::Refused(wait) => assert!(wait > Duration::from_secs(5)),
            other => panic!("{other:?}"),
        }
        assert_eq!(tat, before, "a refusal books nothing");
    }

    #[test]
    fn a_hold_delays_the_next_call_and_not_before_is_kept() {
        let gcra = Gcra::for_rate(10.0);
        let mut tat = 0;
        gcra.hold(&mut tat, 3_000_000);
        assert_eq!(
            gcra.reserve(&mut tat, 1_000_000, 0, i64::MAX),
            Reservation::Go(Duration::from_secs(2))
        );
        let mut tat = 0;
        assert_eq!(
            gcra.reserve(&mut tat, 0, 500_000, i64::MAX),
            Reservation::Go(Duration::from_millis(500))
        );
    }
}
