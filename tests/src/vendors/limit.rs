//! The vendors' rate limiters, each counting and refusing as its vendor does (scaled down in
//! time and calls for tests), in front of a fake ([`super::Fake::limit`]):
//!
//! - [`Limiter::rocket_chat`]: Rocket.Chat's API limiter (meteor's `rate-limit` package, keyed
//!   in `ApiClass.ts` by route pattern and method): one fixed window per route, started by
//!   the first call after the last one ended; refused calls count too (`increment` before
//!   `check`); `X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch **milliseconds**) on
//!   every answer of the route; a 429 `{"success": false, "error": "Error, too many
//!   requests. Please slow down. You must wait N seconds before trying this endpoint again.
//!   [error-too-many-requests]"}`, N rounded up, and no `Retry-After`.
//! - [`Limiter::comm100`]: "each IP can call the APIs maximum 300 times every 5 minutes"
//!   and nothing more documented: counted here as a sliding log (the strictest reading: no
//!   span of the window ever holds more), refused calls not counted, and a bare 429.
//! - [`Limiter::chatwoot`]: Rack::Attack's `req/ip` throttle (`RACK_ATTACK_LIMIT`, 3000 a
//!   minute): a fixed window aligned to the epoch (`now / period`), refused calls counted,
//!   and rack-attack's default answer: 429, `text/plain`, `Retry later\n`, no headers.
//! - [`Limiter::libredesk`]: Libredesk's own limiter (`internal/ratelimit`, which it puts on
//!   its login, password and widget routes, not on the agents API): a sliding log of one
//!   window per client address, refused calls counted; `X-RateLimit-Limit`, `-Remaining` and
//!   `-Reset` (epoch **seconds**, always now + the window) on every answer, and on a 429
//!   `Retry-After` (the window, whole) and `{"status": "error", "message": "Rate limit
//!   exceeded"}`.
//!
//! Every answer the limiter lets through goes to the vendor; a refused call never does.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::{Reply, Request};

/// How a vendor's limiter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counting {
    /// A window started by the first call after the last one ended (Rocket.Chat).
    Lazy,
    /// A window aligned to the epoch (Rack::Attack).
    Epoch,
    /// Calls in the last window, whenever they were (a sliding log).
    Sliding,
}

/// How a vendor's limiter answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    RocketChat,
    Comm100,
    Chatwoot,
    Libredesk,
}

/// One key's count.
#[derive(Debug, Default)]
struct Count {
    /// When the current window began (lazy and epoch counting).
    start: Option<Instant>,
    calls: u64,
    /// When each call counted was made (sliding log).
    log: VecDeque<Instant>,
}

/// A vendor's rate limiter.
#[derive(Debug)]
pub struct Limiter {
    limit: u64,
    window: Duration,
    counting: Counting,
    style: Style,
    /// Whether a refused call is counted too.
    counts_refused: bool,
    /// The key a request counts against (its route, or one key for the whole vendor).
    key: fn(&Request) -> String,
    counts: HashMap<String, Count>,
    /// When the limiter was made: epoch windows are aligned to it (a test's epoch).
    born: Instant,
    /// Calls let through and refused.
    pub allowed: u64,
    pub refused: u64,
    /// When the first and the last call it let through came.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    /// Every call it saw: when, and whether it let it through.
    pub seen: Vec<(Instant, bool)>,
}

/// What the limiter says of one request.
pub enum Verdict {
    /// Send it to the vendor, adding these headers to its answer.
    Allowed(Vec<(String, String)>),
    /// Answer this instead.
    Refused(Reply),
}

fn everything(_: &Request) -> String {
    String::new()
}

/// Rocket.Chat's route pattern for a path the fake serves, with the method: the livechat
/// users routes by pattern (`:type` and `:_id` included), anything else as it is.
fn rocket_route(request: &Request) -> String {
    let route = match request.below("/api/v1/livechat/users") {
        Some(rest) if rest.len() == 1 => "/api/v1/livechat/users/:type".to_owned(),
        Some(rest) if rest.len() == 2 => "/api/v1/livechat/users/:type/:_id".to_owned(),
        _ => request.path.clone(),
    };
    format!("{route}{}", request.method.to_ascii_lowercase())
}

impl Limiter {
    fn new(
        limit: u64,
        window: Duration,
        counting: Counting,
        style: Style,
        key: fn(&Request) -> String,
    ) -> Limiter {
        Limiter {
            limit,
            window,
            counting,
            style,
            counts_refused: style != Style::Comm100,
            key,
            counts: HashMap::new(),
            born: Instant::now(),
            allowed: 0,
            refused: 0,
            first: None,
            last: None,
            seen: Vec::new(),
        }
    }

    /// Rocket.Chat's: `limit` calls per `window` for each route and method.
    pub fn rocket_chat(limit: u64, window: Duration) -> Limiter {
        Limiter::new(
            limit,
            window,
            Counting::Lazy,
            Style::RocketChat,
            rocket_route,
        )
    }

    /// Comm100's: `limit` calls per `window` from the client, every endpoint together.
    pub fn comm100(limit: u64, window: Duration) -> Limiter {
        Limiter::new(limit, window, Counting::Sliding, Style::Comm100, everything)
    }

    /// Chatwoot's Rack::Attack `req/ip`: `limit` calls per `window` from the client.
    pub fn chatwoot(limit: u64, window: Duration) -> Limiter {
        Limiter::new(limit, window, Counting::Epoch, Style::Chatwoot, everything)
    }

    /// Libredesk's: `limit` calls per `window` from the client.
    pub fn libredesk(limit: u64, window: Duration) -> Limiter {
        Limiter::new(
            limit,
            window,
            Counting::Sliding,
            Style::Libredesk,
            everything,
        )
    }

    /// Count `request` at `now` and say whether it goes to the vendor.
    pub fn check(&mut self, request: &Request, now: Instant) -> Verdict {
        let key = (self.key)(request);
        let (limit, window, counting, born) = (self.limit, self.window, self.counting, self.born);
        let count = self.counts.entry(key).or_default();
        // Where the window stands: calls counted in it before this one, and when it ends.
        let ends = match counting {
            Counting::Lazy => {
                let start = match count.start {
                    Some(s) if now.duration_since(s) <= window => s,
                    _ => {
                        count.calls = 0;
                        now
                    }
                };
                count.start = Some(start);
                start + window
            }
            Counting::Epoch => {
                let n = now.duration_since(born).as_nanos() / window.as_nanos().max(1);
                let start = born + window.mul_f64(n as f64);
                if count.start != Some(start) {
                    count.calls = 0;
                    count.start = Some(start);
                }
                start + window
            }
            Counting::Sliding => {
                while count
                    .log
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= window)
                {
                    count.log.pop_front();
                }
                count.calls = count.log.len() as u64;
                count.log.front().map_or(now, |first| *first) + window
            }
        };
        let over = count.calls >= limit;
        if !over || self.counts_refused {
            count.calls += 1;
            if counting == Counting::Sliding {
                count.log.push_back(now);
            }
        }
        self.seen.push((now, !over));
        let remaining = limit.saturating_sub(count.calls);
        let to_reset = ends.saturating_duration_since(now);
        if over {
            self.refused += 1;
            Verdict::Refused(self.refusal(to_reset))
        } else {
            self.allowed += 1;
            self.first.get_or_insert(now);
            self.last = Some(now);
            Verdict::Allowed(self.headers(remaining, to_reset))
        }
    }

    /// The headers every answer carries, where the vendor sends them.
    fn headers(&self, remaining: u64, to_reset: Duration) -> Vec<(String, String)> {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let reset = match self.style {
            Style::RocketChat => (epoch + to_reset).as_millis().to_string(),
            // Libredesk says now + the window whatever is left of it.
            Style::Libredesk => (epoch + self.window).as_secs().to_string(),
            Style::Comm100 | Style::Chatwoot => return Vec::new(),
        };
        vec![
            ("x-ratelimit-limit".into(), self.limit.to_string()),
            ("x-ratelimit-remaining".into(), remaining.to_string()),
            ("x-ratelimit-reset".into(), reset),
        ]
    }

    /// The vendor's 429.
    fn refusal(&self, to_reset: Duration) -> Reply {
        match self.style {
            Style::RocketChat => {
                let seconds = to_reset.as_millis().div_ceil(1000);
                Reply::json(
                    429,
                    json!({"success": false, "error": format!("Error, too many requests. Please slow down. You must wait {seconds} seconds before trying this endpoint again. [error-too-many-requests]")}),
                )
                .with_headers(self.headers(0, to_reset))
            }
            Style::Comm100 => Reply::empty(429),
            Style::Chatwoot => Reply::text(429, "Retry later\n"),
            Style::Libredesk => {
                let mut headers = self.headers(0, to_reset);
                headers.push(("retry-after".into(), self.window.as_secs().to_string()));
                Reply::json(
                    429,
                    json!({"status": "error", "message": "Rate limit exceeded"}),
                )
                .with_headers(headers)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request {
        Request::new("GET", path, &[], None)
    }

    fn allowed(l: &mut Limiter, r: &Request, at: Instant) -> bool {
        matches!(l.check(r, at), Verdict::Allowed(_))
    }

    #[test]
    fn rocket_chat_counts_each_route_in_a_lazy_window_refusals_included() {
        let mut l = Limiter::rocket_chat(2, Duration::from_secs(10));
        let t0 = Instant::now();
        let (a, b) = (
            get("/api/v1/livechat/users/agent/x1"),
            get("/api/v1/livechat/users/manager/y"),
        );
        assert!(allowed(&mut l, &a, t0));
        assert!(
            allowed(&mut l, &b, t0),
            "same route pattern, other :type: counted together"
        );
        match l.check(&a, t0 + Duration::from_millis(1500)) {
            Verdict::Refused(reply) => {
                assert_eq!(reply.status, 429);
                let text = reply.body.map(|b| b.to_string()).unwrap_or_default();
                assert!(text.contains("You must wait 9 seconds"), "{text}");
            }
            Verdict::Allowed(_) => panic!("a third call in the window"),
        }
        assert!(
            allowed(&mut l, &get("/api/v1/livechat/users/agent"), t0),
            "another route"
        );
        assert!(
            allowed(&mut l, &a, t0 + Duration::from_secs(11)),
            "a new window"
        );
    }

    #[test]
    fn comm100_slides_and_does_not_count_refusals() {
        let mut l = Limiter::comm100(2, Duration::from_secs(2));
        let t0 = Instant::now();
        let r = get("/v4/global/agents");
        assert!(allowed(&mut l, &r, t0));
        assert!(allowed(&mut l, &r, t0 + Duration::from_secs(1)));
        assert!(!allowed(&mut l, &r, t0 + Duration::from_millis(1900)));
        assert!(
            allowed(&mut l, &r, t0 + Duration::from_secs(2)),
            "the first left the window"
        );
        assert!(!allowed(&mut l, &r, t0 + Duration::from_millis(2500)));
    }

    #[test]
    fn chatwoot_answers_in_plain_text_with_no_headers() {
        let mut l = Limiter::chatwoot(1, Duration::from_secs(60));
        let t0 = l.born;
        let r = get("/api/v1/accounts/1/agents");
        assert!(matches!(l.check(&r, t0), Verdict::Allowed(h) if h.is_empty()));
        match l.check(&r, t0) {
            Verdict::Refused(reply) => {
                assert_eq!(
                    (reply.status, reply.text.as_deref()),
                    (429, Some("Retry later\n"))
                );
                assert!(reply.headers.is_empty());
            }
            Verdict::Allowed(_) => panic!("over the limit"),
        }
    }
}
