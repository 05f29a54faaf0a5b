//! A migration against its upstreams' rate limits: whether a side's budget is being waited
//! for now (the progress bar says so), and what the limits cost a run (its summary).

use std::time::{Duration, SystemTime};

use agentgw_outbound::BudgetState;
use serde::Serialize;

/// The rate limits of a run's upstream sides, as they stood when it began.
pub struct Pace {
    before: Vec<BudgetState>,
}

/// What one upstream's rate limit cost a run.
#[derive(Debug, Clone, Serialize)]
pub struct Waited {
    pub upstream: String,
    /// The budget in words (configured, or learned from the vendor).
    pub budget: String,
    /// Calls that waited for the budget.
    pub delayed_calls: u64,
    /// How long some call was waiting for it (wall time).
    pub waited_seconds: f64,
    /// 429s the upstream answered (each call was sent again after the wait).
    pub refused_by_upstream: u64,
}

impl Pace {
    /// The budgets of `sides` (upstream names; `embedded:` sides have none) as they stand.
    pub fn start(sides: &[&str]) -> Pace {
        Pace {
            before: sides
                .iter()
                .filter_map(|name| agentgw_outbound::budget(name))
                .collect(),
        }
    }

    /// The upstreams it follows.
    pub fn sides(&self) -> Vec<String> {
        self.before.iter().map(|b| b.upstream.clone()).collect()
    }

    /// "waiting for `c100`'s rate limit (next call in 3 s)" while a side's calls wait.
    pub fn waiting(&self) -> Option<String> {
        self.before.iter().find_map(|b| {
            let now = agentgw_outbound::budget(&b.upstream)?;
            (now.waiting > 0).then(|| {
                let next = now
                    .next_call_at
                    .and_then(|at| at.duration_since(SystemTime::now()).ok())
                    .map(|d| format!(" (next call in {} s)", d.as_secs() + 1))
                    .unwrap_or_default();
                format!("waiting for `{}`'s rate limit{next}", b.upstream)
            })
        })
    }

    /// What each side's rate limit cost since [`Pace::start`] (sides it cost nothing left out).
    pub fn cost(&self) -> Vec<Waited> {
        self.before
            .iter()
            .filter_map(|before| {
                let now = agentgw_outbound::budget(&before.upstream)?;
                let waited = now.waited.saturating_sub(before.waited);
                let refused = now.limited.saturating_sub(before.limited);
                let delayed = now.delayed.saturating_sub(before.delayed);
                (delayed + refused > 0).then(|| Waited {
                    upstream: now.upstream.clone(),
                    budget: now.describe(),
                    delayed_calls: delayed,
                    waited_seconds: round(waited),
                    refused_by_upstream: refused,
                })
            })
            .collect()
    }
}

fn round(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

impl Waited {
    /// "`c100` (300 per 5m): waited 41.2 s, 57 calls held back; 3 refused with 429 and sent
    /// again".
    pub fn line(&self) -> String {
        let mut line = format!(
            "`{}` ({}): waited {:.1} s, {} calls held back",
            self.upstream, self.budget, self.waited_seconds, self.delayed_calls
        );
        if self.refused_by_upstream > 0 {
            line.push_str(&format!(
                "; {} refused with 429 and sent again",
                self.refused_by_upstream
            ));
        }
        line
    }
}
