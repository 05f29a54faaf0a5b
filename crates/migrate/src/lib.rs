//! agentgw-migrate: copying agents between any two helpdesks, and the delta runs after it —
//! what to do with each agent (`apply::plan`), doing it (`apply::Apply`), what changed since
//! the last copy (`delta`: per-field fingerprints), the wait a vendor's rate limit costs
//! (`pace`), the report (`report`), and the journal it keeps (`journal`: the trait the store
//! implements). The command line, the progress bar and `--watch` are the binary's.

pub mod apply;
pub mod delta;
pub mod journal;
pub mod pace;
pub mod report;

pub use journal::{JournalEntry, MigrationJournal};
