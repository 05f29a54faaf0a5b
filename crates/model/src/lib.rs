//! The canonical agent model: what every dialect says about an agent, in one dialect-free shape.
//!
//! This crate does no I/O and knows nothing of HTTP or of any dialect. Faces translate their
//! wire types into these types and back; backends store or forward them.

mod agent;
mod condition;
mod email;
mod field;
mod flags;
pub mod limits;
mod names;
mod patch;
mod query;
mod secret;
mod time;
mod zone;

pub use agent::{
    AccountState, Agent, AgentId, AgentIds, Availability, NewAgent, Profile, Role, Team,
};
pub use condition::{Attr, Condition, Op, Operand, comparable};
pub use email::{
    AddressProblem, MAX_EMAIL_BYTES, email_key, is_valid_email, parse_email, parse_username,
    username_key,
};
pub use field::{Field, merge_shadow};
pub use flags::{Extensions, FlagKind, Flags};
pub use limits::Refusal;
pub use names::{derive_username, join_name, split_name};
pub use patch::ProfilePatch;
pub use query::{Filter, ListQuery, OrderKey, Page, Ranked, SortKey, SortOrder, Window};
pub use secret::Password;
pub use time::{Precision, format_time, parse_time};
pub use zone::{TimeZone, TimeZoneError};
