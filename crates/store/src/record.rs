//! The stored record: the versioned JSON document and the columns derived from it for indexes.

use agentgw_core::BackendError;
use agentgw_model::{Agent, AgentIds, Profile};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The document kept in `agents.doc`. `v` lets a later schema read older rows.
#[derive(Serialize, Deserialize)]
struct Doc {
    v: u32,
    profile: Profile,
}

const DOC_VERSION: u32 = 1;

/// The columns of `agents` derived from a profile, for filtering, ordering and uniqueness.
pub(crate) struct Derived {
    pub email_norm: String,
    pub username_norm: Option<String>,
    pub first_name_norm: String,
    pub last_name_norm: String,
    pub display_name_norm: String,
    pub role: &'static str,
    pub availability: &'static str,
    pub confirmed: i64,
    pub banned: i64,
    pub doc: String,
}

/// Lowercase for case-insensitive matching (Unicode-aware, same on SQLite and PostgreSQL).
pub(crate) fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Derived {
    pub fn of(profile: &Profile) -> Result<Derived, BackendError> {
        let doc = serde_json::to_string(&Doc {
            v: DOC_VERSION,
            profile: profile.clone(),
        })
        .map_err(|e| BackendError::Internal(format!("cannot encode agent: {e}")))?;
        Ok(Derived {
            email_norm: norm(&profile.email),
            username_norm: profile
                .username
                .as_deref()
                .map(norm)
                .filter(|u| !u.is_empty()),
            first_name_norm: norm(&profile.first_name),
            last_name_norm: norm(&profile.last_name),
            display_name_norm: norm(&profile.display_name),
            role: profile.role.as_str(),
            availability: profile.availability.as_str(),
            confirmed: i64::from(profile.state.confirmed),
            banned: i64::from(profile.state.banned),
            doc,
        })
    }
}

/// Timestamps are stored as fixed-width RFC 3339 text so they sort as text on both databases.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>, BackendError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| BackendError::Internal(format!("bad stored timestamp {s:?}: {e}")))
}

/// The columns `from_row` reads, for SELECT lists.
pub(crate) const COLUMNS: &str = "id, guid, short_id, doc, version, created_at, updated_at";

/// A row read back, with the version used for optimistic updates.
pub(crate) struct Stored {
    pub agent: Agent,
    pub version: i64,
}

pub(crate) fn from_row(row: &AnyRow) -> Result<Stored, BackendError> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(db_error);
    let doc: Doc = serde_json::from_str(&get_s("doc")?)
        .map_err(|e| BackendError::Internal(format!("bad stored agent: {e}")))?;
    let guid = get_s("guid")?;
    Ok(Stored {
        agent: Agent {
            ids: AgentIds {
                int: row.try_get::<i64, _>("id").map_err(db_error)?,
                guid: guid.parse().map_err(|e| {
                    BackendError::Internal(format!("bad stored guid {guid:?}: {e}"))
                })?,
                short: get_s("short_id")?,
            },
            profile: doc.profile,
            created_at: parse_ts(&get_s("created_at")?)?,
            updated_at: parse_ts(&get_s("updated_at")?)?,
        },
        version: row.try_get::<i64, _>("version").map_err(db_error)?,
    })
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Map a database error to the backend error a face renders (details are logged, not shown).
pub(crate) fn db_error(e: sqlx::Error) -> BackendError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            BackendError::Unavailable(e.to_string())
        }
        other => BackendError::Internal(format!("database: {other}")),
    }
}
