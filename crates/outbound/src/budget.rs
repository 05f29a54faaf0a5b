//! The budget layer: a call waits until the upstream's rate limit lets it go, instead of being
//! sent to be refused; what the vendor's answers say about its limit is learned here.
//!
//! Each upstream has one [`Budget`], kept for the life of the process (a reload must not
//! forget what a vendor said), with one key for the whole upstream or one per endpoint (the
//! route template a path matches, as Rocket.Chat counts). A call goes at the latest of:
//!
//! - the **configured budget** (`rate_limit = { requests, per }`), a GCRA
//!   ([`agentgw_core::Gcra`]) kept in this process, or in the store when gateways share
//!   PostgreSQL (one row per key, updated atomically: the fleet stays within one budget);
//! - a **hold** the vendor asked for: a 429's `Retry-After` or Rocket.Chat's "You must wait N
//!   seconds", a window's reset once `X-RateLimit-Remaining` reached 0, or, after a 429 with
//!   no hint, an exponential back-off with jitter;
//! - the **learned pace**: after a 429 with no hint the pace drops to 70 % of the rate that
//!   was refused, comes back towards 95 % of it within seconds (the vendor's limit is near
//!   there), creeps above it slowly (doubling in a minute without a refusal) to find out
//!   whether the limit rose, and is forgotten after five minutes without a refusal. Calls
//!   refused together (sent before the first refusal came back) count as one refusal; after
//!   the back-off one call probes alone, and its refusal backs off further without lowering
//!   the pace again.
//!
//! A caller that cannot wait that long (a proxied request past its `max_wait`) is refused at
//! once and books nothing: the face answers 429 with `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use agentgw_core::{
    BackendError, Gcra, RateKeeper, RateLimit, Reservation, Scope, UpstreamConfig, micros,
};
use hyper::Method;
use rand::Rng;

use crate::hints::{self, Hint};
use crate::metrics::RateMetrics;
use crate::transport::Answer;

/// The first back-off after a 429 that names no wait; doubled for each one after it.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest back-off after 429s that name no wait.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A 429 with no hint sets the pace to this share of the rate that was refused.
const DECREASE: f64 = 0.7;
/// A learned pace comes back towards 95 % of the refused rate with this time constant…
const RECOVER: Duration = Duration::from_secs(5);
/// …and, past it, doubles in this long without a refusal…
const DOUBLING: Duration = Duration::from_secs(60);
/// …and is forgotten after this long without one.
const FORGET: Duration = Duration::from_secs(300);
/// The sends remembered per key, to measure the rate a vendor refused.
const REMEMBERED: usize = 512;
/// The slowest pace ever learned (one call a minute): a vendor that refuses everything is
/// still asked again.
const SLOWEST: f64 = 1.0 / 60.0;
/// A new WARN when an upstream starts refusing again after this long without a 429.
const QUIET: Duration = Duration::from_secs(300);
/// Paths matching no endpoint template share one key.
const UNMATCHED: &str = "*";
/// Once a window the vendor said was spent has ended, one call goes first, alone for this
/// long or until its answer tells the new window: calls held for a reset do not all rush
/// into a window the vendor has not reset yet (its clock is not this one).
const PROBE: Duration = Duration::from_secs(1);
/// Added to a window's reset before the calls it held go (the vendor's clock, rounding).
const RESET_MARGIN: Duration = Duration::from_millis(50);

/// Every upstream's budget in this process, by upstream name.
static BUDGETS: LazyLock<Mutex<HashMap<String, Arc<Budget>>>> = LazyLock::new(Default::default);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a dialect's vendor counts calls, as its adapter knows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// Route templates below the base URL: `{}` stands for one path segment, and a segment
    /// ending `{}:verb` for an id with a colon verb (Comm100). Unmatched paths share a key.
    pub templates: &'static [&'static str],
    /// Whether the vendor gives each endpoint a budget of its own (Rocket.Chat): the scope
    /// of what is learned when no `rate_limit` is configured.
    pub counted_apart: bool,
}

/// One upstream's budget: its keys, what was learned, what it cost.
pub(crate) struct Budget {
    upstream: String,
    limit: RateLimit,
    endpoints: Endpoints,
    /// Where the configured budget lives when gateways share it.
    shared: Option<Arc<dyn RateKeeper>>,
    keys: Mutex<HashMap<String, Arc<Key>>>,
    /// The zero of this budget's clock (microseconds since it).
    epoch: Instant,
    stats: Stats,
    metrics: RateMetrics,
}

/// What a budget's callers have seen, for the status page.
#[derive(Default)]
struct Stats {
    delayed: AtomicU64,
    refused: AtomicU64,
    limited: AtomicU64,
    held: Mutex<Held>,
    last_limited: Mutex<Option<Instant>>,
    /// When the upstream last answered anything (a 429 included), on the budget's clock.
    last_answer: AtomicU64,
}

/// The calls waiting for a budget now, and the time some call was waiting, in all.
#[derive(Default)]
struct Held {
    now: usize,
    since: Option<Instant>,
    total: Duration,
}

impl Held {
    /// The time some call was waiting, up to now.
    fn total(&self) -> Duration {
        self.total + self.since.map_or(Duration::ZERO, |at| at.elapsed())
    }
}

/// One call waiting for a budget, counted until it stops waiting (or is dropped: a client
/// that went away).
struct Waiting<'a>(&'a Mutex<Held>);

impl<'a> Waiting<'a> {
    fn start(held: &'a Mutex<Held>) -> Waiting<'a> {
        let mut h = lock(held);
        if h.now == 0 {
            h.since = Some(Instant::now());
        }
        h.now += 1;
        Waiting(held)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut h = lock(self.0);
        h.now = h.now.saturating_sub(1);
        if h.now == 0
            && let Some(at) = h.since.take()
        {
            h.total += at.elapsed();
        }
    }
}

/// One key of a budget: its name, its state, and a signal to the calls waiting at its gates
/// when an answer changes what the vendor said.
pub(crate) struct Key {
    /// `""` for the whole upstream, `METHOD template` for an endpoint.
    name: String,
    state: Mutex<KeyState>,
    changed: tokio::sync::Notify,
}

/// One key's state.
#[derive(Default)]
struct KeyState {
    /// The configured budget's TAT, when kept in this process.
    tat: i64,
    /// Nothing goes before this: what the vendor asked, or the back-off after a bare 429.
    hold_until: i64,
    /// The vendor's current window, as its answers tell it.
    window: Option<Window>,
    learned: Option<Learned>,
    /// Refusals with no hint since the last answer that was not one (the back-off's
    /// exponent); calls refused together count once.
    strikes: u32,
    /// When the last 429 came back: a call sent before it was refused with it.
    refused_at: Option<i64>,
    /// When recent calls were sent.
    sent: VecDeque<i64>,
}

/// A window of the vendor's limit: calls left in it, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    left: u64,
    end: i64,
    /// Told by the vendor (not a probe after a spent window ended).
    told: bool,
}

/// A pace learned from refusals without a hint.
#[derive(Debug, Clone, Copy)]
struct Learned {
    rate: f64,
    /// The rate that was refused: the vendor's limit is below it.
    ceiling: f64,
    tat: i64,
    /// When `rate` was last lowered or raised.
    since: i64,
    /// When the vendor last refused.
    refused_at: i64,
}

impl KeyState {
    /// Bring the state to `now`: a window that ended is unknown again; a learned pace is
    /// raised for the time since, and forgotten after `FORGET` without a refusal.
    fn advance(&mut self, now: i64) {
        if let Some(w) = self.window
            && w.end <= now
        {
            self.window = (w.left == 0).then_some(Window {
                left: 1,
                end: now + us(PROBE),
                told: false,
            });
        }
        if let Some(l) = &mut self.learned {
            if now - l.refused_at > us(FORGET) {
                self.learned = None;
            } else if now > l.since {
                let dt = (now - l.since) as f64;
                let near = l.ceiling * 0.95;
                l.rate = if l.rate < near {
                    near - (near - l.rate) * (-dt / us(RECOVER) as f64).exp()
                } else {
                    l.rate * 2f64.powf(dt / us(DOUBLING) as f64)
                };
                l.since = now;
            }
        }
    }

    /// A key's state before anything is known: its first call goes alone (a probe), so
    /// that a vendor that tells its window is heard before a crowd of calls is sent.
    fn new(now: i64) -> KeyState {
        KeyState {
            window: Some(Window {
                left: 1,
                end: now + us(PROBE),
                told: false,
            }),
            ..KeyState::default()
        }
    }

    /// When the vendor's word lets a call go: a hold, and (when paced) a spent window. Not
    /// booked: a call waits at the gate until then or until an answer changes it.
    fn gate(&self, now: i64, paced: bool) -> i64 {
        let mut at = self.hold_until.max(now);
        if paced && let Some(Window { left: 0, end, .. }) = self.window {
            at = at.max(end);
        }
        at
    }

    /// Book a call through the gate at `now`: its place in the learned pace (when it would
    /// wait no longer than `max_wait`), taken off the window; when it goes.
    fn book(&mut self, now: i64, max_wait: i64) -> Reservation {
        let go = match &mut self.learned {
            Some(l) => match Gcra::for_rate(l.rate).reserve(&mut l.tat, now, now, max_wait) {
                Reservation::Go(wait) => now + us(wait),
                refused => return refused,
            },
            None => now,
        };
        if let Some(w) = &mut self.window {
            w.left = w.left.saturating_sub(1);
        }
        if self.sent.len() == REMEMBERED {
            self.sent.pop_front();
        }
        self.sent.push_back(go);
        Reservation::Go(micros(go - now))
    }

    /// The rate calls were sent at recently (calls a second, over the last 10 s and at least
    /// a second).
    fn recent_rate(&self, now: i64) -> f64 {
        let from = now - us(Duration::from_secs(10));
        let recent: Vec<i64> = self.sent.iter().copied().filter(|t| *t >= from).collect();
        let span = recent
            .first()
            .map_or(0, |first| now - first)
            .max(us(Duration::from_secs(1)));
        recent.len() as f64 / (span as f64 / 1e6)
    }
}

fn us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl Budget {
    /// The budget of upstream `cfg`: the one this process already keeps for it, unless its
    /// `rate_limit` changed.
    pub fn of(
        cfg: &UpstreamConfig,
        shared: Option<Arc<dyn RateKeeper>>,
        endpoints: Endpoints,
    ) -> Arc<Budget> {
        let shared = match cfg.rate_limit {
            RateLimit::Budget { .. } => shared,
            _ => None,
        };
        let mut budgets = lock(&BUDGETS);
        if let Some(kept) = budgets.get(&cfg.name)
            && kept.limit == cfg.rate_limit
            && kept.endpoints == endpoints
            && kept.shared.is_some() == shared.is_some()
        {
            return kept.clone();
        }
        let budget = Arc::new(Budget {
            upstream: cfg.name.clone(),
            limit: cfg.rate_limit,
            endpoints,
            shared,
            keys: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
            stats: Stats::default(),
            metrics: RateMetrics::new(&cfg.name),
        });
        budgets.insert(cfg.name.clone(), budget.clone());
        budget
    }

    fn now(&self) -> i64 {
        us(self.epoch.elapsed())
    }

    /// The key a call on `method path` counts against.
    pub fn key(&self, method: &Method, path: &str) -> Arc<Key> {
        let apart = match self.limit {
            RateLimit::Budget { scope, .. } => scope == Scope::Endpoint,
            RateLimit::Learned => self.endpoints.counted_apart,
            RateLimit::Off => false,
        };
        let template = if apart {
            self.endpoints
                .templates
                .iter()
                .find(|t| matches(t, path))
                .copied()
                .unwrap_or(UNMATCHED)
        } else {
            ""
        };
        let mut keys = lock(&self.keys);
        // Looked up before a name is made: nothing is allocated on the path every call takes.
        if let Some(k) = keys
            .iter()
            .find(|(name, _)| is_key(name, method, template))
            .map(|(_, k)| k.clone())
        {
            return k;
        }
        let name = if apart {
            format!("{method} {template}")
        } else {
            String::new()
        };
        let k = Arc::new(Key {
            name: name.clone(),
            state: Mutex::new(KeyState::new(self.now())),
            changed: tokio::sync::Notify::new(),
        });
        keys.insert(name, k.clone());
        k
    }

    /// The shared row of `k`: the upstream's name, and the endpoint's when counted apart.
    fn row(&self, k: &Key) -> String {
        if k.name.is_empty() {
            self.upstream.clone()
        } else {
            format!("{} {}", self.upstream, k.name)
        }
    }

    /// Wait until a call on `k` may go; refused (the face's 429) when that is further away
    /// than `patience`. Returns how long it waited, and when it went on this budget's clock
    /// (what [`Budget::refused`] takes).
    pub async fn admit(
        &self,
        k: &Key,
        patience: Duration,
    ) -> Result<(Duration, i64), BackendError> {
        // The path nearly every call takes: nothing configured, nothing said, nothing learned.
        if !matches!(self.limit, RateLimit::Budget { .. }) {
            let now = self.now();
            let mut s = lock(&k.state);
            s.advance(now);
            if s.learned.is_none() && s.gate(now, self.limit != RateLimit::Off) <= now {
                s.book(now, 0);
                return Ok((Duration::ZERO, now));
            }
        }
        let started = Instant::now();
        let mut held = false;
        loop {
            let left = patience.saturating_sub(started.elapsed());
            let wait = match self.book(k, left, &mut held).await? {
                Reservation::Go(wait) => wait,
                Reservation::Refused(wait) => {
                    self.stats.refused.fetch_add(1, Ordering::Relaxed);
                    self.metrics.refused();
                    return Err(BackendError::RateLimited { retry_after: wait });
                }
            };
            if wait.is_zero() && !held {
                return Ok((Duration::ZERO, self.now()));
            }
            held = true;
            // Its turn in the pace, unless the vendor refuses meanwhile: a call booked before
            // a 429 must not go out during the hold that 429 set.
            let changed = k.changed.notified();
            let interrupted = self
                .waiting(async {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => false,
                        () = changed => true,
                    }
                })
                .await;
            let now = self.now();
            let gate = lock(&k.state).gate(now, self.limit != RateLimit::Off);
            if !interrupted || gate <= now {
                let waited = started.elapsed();
                self.stats.delayed.fetch_add(1, Ordering::Relaxed);
                self.metrics.delayed(waited);
                return Ok((waited, now));
            }
        }
    }

    /// Wait at the gates (what the vendor said, looked at again whenever an answer changes
    /// it), then book the call's place in the paces: the learned one, then the budget.
    async fn book(
        &self,
        k: &Key,
        patience: Duration,
        held: &mut bool,
    ) -> Result<Reservation, BackendError> {
        let paced = self.limit != RateLimit::Off;
        let started = Instant::now();
        let booked = loop {
            let now = self.now();
            let left = us(patience.saturating_sub(started.elapsed()));
            let (gate, changed) = {
                let mut s = lock(&k.state);
                s.advance(now);
                let gate = s.gate(now, paced);
                if gate <= now {
                    break s.book(now, left);
                }
                // Made before the lock is let go: no change can slip between.
                (gate, k.changed.notified())
            };
            if gate - now > left {
                return Ok(Reservation::Refused(micros(gate - now)));
            }
            *held = true;
            self.waiting(async {
                tokio::select! {
                    () = tokio::time::sleep(micros(gate - now)) => {}
                    () = changed => {}
                }
            })
            .await;
        };
        let (Reservation::Go(learned), RateLimit::Budget { requests, per, .. }) =
            (booked, self.limit)
        else {
            return Ok(booked);
        };
        let gcra = Gcra::for_budget(requests, per);
        let left = patience.saturating_sub(started.elapsed());
        Ok(match &self.shared {
            Some(keeper) => keeper.reserve(&self.row(k), gcra, learned, left).await?,
            None => {
                let now = self.now();
                let mut s = lock(&k.state);
                gcra.reserve(&mut s.tat, now, now + us(learned), us(left))
            }
        })
    }

    /// Run `wait`, counted among the calls waiting for this budget.
    async fn waiting<T>(&self, wait: impl std::future::Future<Output = T>) -> T {
        let _counted = Waiting::start(&self.stats.held);
        wait.await
    }

    /// Whether a background check of the upstream should call it now — not when it answered
    /// a call in the last `fresh`, nor while a 429 or a spent window it told holds calls back
    /// (it is up either way, and a probe would be one more call to a vendor that counts
    /// them) — and if so, the probe is counted in the configured budget.
    pub async fn probe(&self, fresh: Duration) -> bool {
        let now = self.now();
        let last = i64::try_from(self.stats.last_answer.load(Ordering::Relaxed)).unwrap_or(0);
        if last > 0 && now - last < us(fresh) {
            return false;
        }
        let k = self.key(&Method::GET, "/");
        {
            let s = lock(&k.state);
            let spent = s
                .window
                .is_some_and(|w| w.told && w.left == 0 && w.end > now);
            if s.hold_until > now || spent {
                return false;
            }
        }
        if let RateLimit::Budget { requests, per, .. } = self.limit {
            let gcra = Gcra::for_budget(requests, per);
            match &self.shared {
                // Booked, not waited for: the probe goes now and the calls after it wait.
                Some(keeper) => {
                    let _ = keeper
                        .reserve(&self.row(&k), gcra, Duration::ZERO, hints::LONGEST)
                        .await;
                }
                None => {
                    let _ = gcra.reserve(&mut lock(&k.state).tat, now, now, i64::MAX);
                }
            }
        }
        true
    }

    /// Note that the upstream answered.
    fn heard(&self) {
        let now = u64::try_from(self.now()).unwrap_or(0).max(1);
        self.stats.last_answer.store(now, Ordering::Relaxed);
    }

    /// Learn from an answer that was not a 429: the vendor's window, if it tells it.
    pub fn answered(&self, k: &Key, answer: &Answer) {
        self.heard();
        let hint = hints::read(&answer.headers, None);
        let mut s = lock(&k.state);
        s.strikes = 0;
        if let (Some(remaining), Some(reset)) = (hint.remaining, hint.reset) {
            let now = self.now();
            let end = now + us(reset + RESET_MARGIN);
            // Answers to calls sent before others arrive after them: within one window the
            // lowest count is the truest, and the calls booked since are already taken off.
            let left = match s.window {
                Some(w) if w.told && (w.end - end).abs() < us(Duration::from_secs(1)) => {
                    w.left.min(remaining)
                }
                _ => remaining,
            };
            s.window = Some(Window {
                left,
                end,
                told: true,
            });
            k.changed.notify_waiters();
        } else if s.window.is_some_and(|w| !w.told) {
            // A vendor that does not tell its window: nothing to wait for but the pace.
            s.window = None;
            k.changed.notify_waiters();
        }
    }

    /// The vendor refused a call sent at `sent` (429): hold the key as long as it asks — or,
    /// when it names no wait, back off and lower the pace — so the call can be sent again.
    pub async fn refused(&self, k: &Key, answer: &Answer, sent: i64) -> Result<(), BackendError> {
        self.heard();
        self.stats.limited.fetch_add(1, Ordering::Relaxed);
        self.metrics.limited();
        self.warn_once();
        let hint = hints::read(&answer.headers, Some(&answer.body));
        let now = self.now();
        let hold = {
            let mut s = lock(&k.state);
            s.advance(now);
            // Sent before the last refusal came back: refused with it, already waited for.
            let together = s.refused_at.is_some_and(|at| sent < at);
            let hold = match told_wait(&hint) {
                Some(wait) => wait + RESET_MARGIN,
                None if together => micros(s.hold_until - now),
                None => self.back_off(&mut s, now),
            };
            s.refused_at = Some(now);
            s.hold_until = s.hold_until.max(now + us(hold));
            // Calls waiting for their turn look again: none goes during the hold.
            k.changed.notify_waiters();
            if hint.reset.is_some() {
                s.window = Some(Window {
                    left: 0,
                    end: now + us(hold),
                    told: true,
                });
            }
            hold
        };
        if let (Some(keeper), RateLimit::Budget { requests, per, .. }) = (&self.shared, self.limit)
        {
            keeper
                .hold(&self.row(k), Gcra::for_budget(requests, per), hold)
                .await?;
        }
        tracing::debug!(upstream = %self.upstream, key = %k.name, hold_ms = hold.as_millis() as u64, ?hint, "upstream refused a call (429)");
        Ok(())
    }

    /// A 429 that named no wait: the next wait of an exponential back-off with jitter, and
    /// a slower pace.
    fn back_off(&self, s: &mut KeyState, now: i64) -> Duration {
        s.strikes = s.strikes.saturating_add(1);
        let ceiling = FIRST_BACKOFF
            .saturating_mul(1 << (s.strikes - 1).min(16))
            .min(MAX_BACKOFF);
        let wait = rand::rng().random_range(ceiling / 2..=ceiling);
        // After the wait one call goes alone: while the vendor still refuses, its window is
        // still full, and a crowd sent into it would only be refused together.
        s.window = Some(Window {
            left: 1,
            end: now + us(wait + PROBE),
            told: false,
        });
        // The pace is lowered once per refusal after an answer that was not one: refusals of
        // probes into a window still full say nothing of the rate the vendor allows.
        if self.limit == RateLimit::Off || s.strikes > 1 {
            return wait;
        }
        // The rate refused: the pace learned before, or else what was being sent; no more
        // than the configured budget.
        let mut refused = s.learned.map_or_else(|| s.recent_rate(now), |l| l.rate);
        if let RateLimit::Budget { requests, per, .. } = self.limit {
            refused = refused.min(Gcra::for_budget(requests, per).rate());
        }
        let refused = refused.max(SLOWEST);
        let rate = (refused * DECREASE).max(SLOWEST);
        tracing::info!(upstream = %self.upstream, calls_per_second = format!("{rate:.2}"), "refused without a hint: pacing calls slower");
        s.learned = Some(Learned {
            rate,
            ceiling: refused,
            tat: now + us(wait),
            since: now,
            refused_at: now,
        });
        wait
    }

    /// One WARN when the upstream starts refusing, not one per call.
    fn warn_once(&self) {
        let mut last = lock(&self.stats.last_limited);
        if last.is_none_or(|at| at.elapsed() > QUIET) {
            tracing::warn!(upstream = %self.upstream, "the upstream is refusing calls as too many (429): calls wait and are sent again; see the status page");
        }
        *last = Some(Instant::now());
    }

    /// How the budget stands, for the status page and `migrate`.
    pub fn state_now(&self) -> BudgetState {
        let now = self.now();
        let wall = SystemTime::now();
        let keys: Vec<Arc<Key>> = lock(&self.keys).values().cloned().collect();
        let mut next = now;
        let mut learned: Option<f64> = None;
        for k in keys {
            let mut s = lock(&k.state);
            s.advance(now);
            next = next.max(s.gate(now, self.limit != RateLimit::Off));
            if let Some(l) = s.learned {
                next = next.max(l.tat);
            }
            if let Some(l) = s.learned {
                learned = Some(learned.map_or(l.rate, |r| r.min(l.rate)));
            }
        }
        let last_limited = *lock(&self.stats.last_limited);
        let held = lock(&self.stats.held);
        BudgetState {
            upstream: self.upstream.clone(),
            limit: self.limit,
            shared: self.shared.is_some(),
            learned_rate: learned,
            delayed: self.stats.delayed.load(Ordering::Relaxed),
            waited: held.total(),
            refused: self.stats.refused.load(Ordering::Relaxed),
            limited: self.stats.limited.load(Ordering::Relaxed),
            waiting: held.now,
            next_call_at: (next > now).then(|| wall + micros(next - now)),
            last_limited_at: last_limited.map(|at| wall - at.elapsed()),
        }
    }
}

/// The wait a 429's hint names: `Retry-After` or its words, else the window's reset.
fn told_wait(hint: &Hint) -> Option<Duration> {
    hint.retry_after.or(hint.reset)
}

/// Whether `name` is the key of `method` on `template` (`""`: the whole upstream).
fn is_key(name: &str, method: &Method, template: &str) -> bool {
    if template.is_empty() {
        return name.is_empty();
    }
    name.strip_prefix(method.as_str())
        .and_then(|rest| rest.strip_prefix(' '))
        == Some(template)
}

/// Whether `path` matches `template` segment by segment (`{}` is any one segment).
fn matches(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if segment(t, p) => {}
            _ => return false,
        }
    }
}

fn segment(template: &str, segment: &str) -> bool {
    match template.strip_prefix("{}") {
        Some("") => !segment.is_empty() && !segment.contains(':'),
        Some(verb) => segment.len() > verb.len() && segment.ends_with(verb),
        None => template.eq_ignore_ascii_case(segment),
    }
}

/// How one upstream's budget stands (never a credential).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetState {
    pub upstream: String,
    /// As configured.
    pub limit: RateLimit,
    /// Whether the configured budget is shared with the gateways on the same PostgreSQL.
    pub shared: bool,
    /// The slowest pace learned from refusals, in calls a second, while one is kept.
    pub learned_rate: Option<f64>,
    /// Calls that waited for the budget.
    pub delayed: u64,
    /// How long some call was waiting for it, in all (wall time, not a sum over calls).
    pub waited: Duration,
    /// Calls not sent because they could not wait that long (answered 429 to the client).
    pub refused: u64,
    /// 429s received from the upstream.
    pub limited: u64,
    /// Calls waiting for the budget now.
    pub waiting: usize,
    /// When the next call may go, if not now.
    pub next_call_at: Option<SystemTime>,
    /// When the upstream last refused a call (429).
    pub last_limited_at: Option<SystemTime>,
}

impl BudgetState {
    /// The budget in words: "300 per 5m", "10 per 1m per endpoint", "learned 5.90/s", "off".
    pub fn describe(&self) -> String {
        match self.limit {
            RateLimit::Off => "off".into(),
            RateLimit::Budget {
                requests,
                per,
                scope,
            } => {
                let per = humantime_short(per);
                let scope = match scope {
                    Scope::Upstream => "",
                    Scope::Endpoint => " per endpoint",
                };
                let shared = if self.shared { ", shared" } else { "" };
                match self.learned_rate {
                    Some(r) => format!("{requests} per {per}{scope}{shared}; learned {r:.2}/s"),
                    None => format!("{requests} per {per}{scope}{shared}"),
                }
            }
            RateLimit::Learned => match self.learned_rate {
                Some(r) => format!("learned {r:.2}/s"),
                None => "learned from its answers".into(),
            },
        }
    }
}

/// `5m`, `60s`, `1h 30m`: a duration as the configuration writes it.
fn humantime_short(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() == 0 && secs > 0 {
        match secs {
            s if s % 3600 == 0 => format!("{}h", s / 3600),
            s if s % 60 == 0 => format!("{}m", s / 60),
            s => format!("{s}s"),
        }
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// How every upstream's budget in this process stands, by name.
pub fn budgets() -> Vec<BudgetState> {
    let budgets: Vec<Arc<Budget>> = lock(&BUDGETS).values().cloned().collect();
    let mut states: Vec<BudgetState> = budgets.iter().map(|b| b.state_now()).collect();
    states.sort_by(|a, b| a.upstream.cmp(&b.upstream));
    states
}

/// Whether a background check of upstream `name` should call it now (see
/// [`Budget::probe`]); an upstream with no budget in this process yet is always checked.
pub async fn probe_allowed(name: &str, fresh: Duration) -> bool {
    let budget = lock(&BUDGETS).get(name).cloned();
    match budget {
        Some(b) => b.probe(fresh).await,
        None => true,
    }
}

/// How upstream `name`'s budget stands, if it has been built in this process.
pub fn budget(name: &str) -> Option<BudgetState> {
    let budget = lock(&BUDGETS).get(name).cloned();
    budget.map(|b| b.state_now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert!(matches("/v4/global/agents/{}", "/v4/global/agents/7f3e"));
        assert!(matches(
            "/v4/global/agents/{}:unlock",
            "/v4/global/agents/7f3e:unlock"
        ));
        assert!(!matches(
            "/v4/global/agents/{}:unlock",
            "/v4/global/agents/7f3e"
        ));
        assert!(
            !matches("/v4/global/agents/{}", "/v4/global/agents/7f3e:unlock"),
            "a colon verb is its own endpoint"
        );
        assert!(matches(
            "/api/v1/livechat/users/{}/{}",
            "/api/v1/livechat/users/agent/abc"
        ));
        assert!(!matches(
            "/api/v1/livechat/users/{}/{}",
            "/api/v1/livechat/users/agent"
        ));
        assert!(!matches(
            "/api/v1/livechat/users/{}",
            "/api/v1/livechat/users/"
        ));
        assert!(matches("/V4/Global/agents", "/v4/global/agents"));
    }

    #[test]
    fn a_learned_pace_comes_back_near_the_refused_rate_creeps_past_it_then_is_forgotten() {
        let mut s = KeyState {
            learned: Some(Learned {
                rate: 7.0,
                ceiling: 10.0,
                tat: 0,
                since: 0,
                refused_at: 0,
            }),
            ..KeyState::default()
        };
        let rate = |s: &KeyState| s.learned.map(|l| l.rate).unwrap_or(0.0);
        s.advance(us(RECOVER));
        let once = rate(&s);
        assert!(once > 8.5 && once < 9.5, "{once}");
        s.advance(us(RECOVER) * 6);
        let near = rate(&s);
        assert!((near - 9.5).abs() < 0.05, "{near}");
        // Past 95 % it doubles in a minute, no faster.
        s.learned = s.learned.map(|l| Learned { rate: 9.5, ..l });
        s.advance(us(RECOVER) * 6 + us(DOUBLING));
        assert!((rate(&s) - 19.0).abs() < 1e-6, "{}", rate(&s));
        s.advance(us(FORGET) + 1);
        assert!(s.learned.is_none());
    }

    #[test]
    fn a_spent_window_holds_until_it_ends_then_one_call_probes() {
        let mut s = KeyState {
            window: Some(Window {
                left: 1,
                end: 5_000_000,
                told: true,
            }),
            ..KeyState::default()
        };
        assert_eq!(s.gate(0, true), 0);
        assert_eq!(s.book(0, 0), Reservation::Go(Duration::ZERO));
        assert_eq!(s.gate(0, true), 5_000_000);
        assert_eq!(s.gate(0, false), 0, "not paced: only holds count");
        // The window ended: one call goes, the next waits for its answer (or a second).
        s.advance(5_000_000);
        assert_eq!(s.gate(5_000_000, true), 5_000_000);
        s.book(5_000_000, 0);
        assert_eq!(s.gate(5_000_000, true), 5_000_000 + us(PROBE));
        // A window that ended with calls left is simply unknown again.
        let mut s = KeyState {
            window: Some(Window {
                left: 3,
                end: 5_000_000,
                told: true,
            }),
            ..KeyState::default()
        };
        s.advance(5_000_000);
        assert_eq!(s.window, None);
    }

    #[test]
    fn a_learned_pace_spaces_calls_and_refuses_what_cannot_wait() {
        let mut s = KeyState {
            learned: Some(Learned {
                rate: 2.0,
                ceiling: 3.0,
                tat: 0,
                since: 0,
                refused_at: 0,
            }),
            ..KeyState::default()
        };
        assert_eq!(s.book(0, i64::MAX), Reservation::Go(Duration::ZERO));
        assert_eq!(
            s.book(0, i64::MAX),
            Reservation::Go(Duration::from_millis(500))
        );
        assert!(matches!(s.book(0, 100_000), Reservation::Refused(_)));
    }
}
