//! The stored record: the versioned JSON document and the columns derived from it for indexes.

use agentgw_core::BackendError;
use agentgw_model::{
    Agent, AgentId, AgentIds, Precision, Profile, email_key, format_time, parse_time, username_key,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;

pub(crate) use crate::fault::db_error;

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
    /// Kept exactly (SCIM's `externalId` compares case-exactly).
    pub external_id: Option<String>,
    pub active: i64,
    /// Each team name lowercased, every one between newlines (see migration 0009/0010).
    pub teams_norm: String,
}

/// The version of the derived columns this build writes; rows below it are derived again
/// when the store opens (`rederive`).
pub(crate) const DERIVED_VERSION: i64 = 1;

/// The derived columns `external_id`, `active` and `teams_norm` of a stored document, for a
/// row stored before this build derived them; `None` when the document cannot be read.
pub(crate) fn derive_again(doc: &str) -> Option<(Option<String>, i64, String)> {
    let doc: Doc = serde_json::from_str(doc).ok()?;
    let p = doc.profile;
    Some((
        p.external_id.filter(|e| !e.is_empty()),
        i64::from(p.state.active),
        teams_norm(&p.teams),
    ))
}

/// Fill the derived columns of every row stored before this build derived them, a batch at
/// a time; a row a write derives meanwhile is left as that write made it.
pub(crate) async fn rederive(pool: &sqlx::AnyPool) -> Result<u64, sqlx::Error> {
    let mut done = 0u64;
    loop {
        let rows = sqlx::query(
            "SELECT id, doc FROM agents WHERE deleted = 0 AND derived < $1 ORDER BY id LIMIT 500",
        )
        .bind(DERIVED_VERSION)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let mut tx = pool.begin().await?;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let doc: String = row.try_get("doc")?;
            // An id-map row, or a damaged one, keeps the defaults (and is not read again).
            let (external_id, active, teams) =
                derive_again(&doc).unwrap_or((None, 1, "\n".to_owned()));
            sqlx::query(
                "UPDATE agents SET external_id = $1, active = $2, teams_norm = $3, derived = $4 \
                 WHERE id = $5 AND derived < $4",
            )
            .bind(external_id)
            .bind(active)
            .bind(teams)
            .bind(DERIVED_VERSION)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        done += rows.len() as u64;
    }
}

/// `teams` as the `teams_norm` column holds them: `\nname\nother\n`.
pub(crate) fn teams_norm(teams: &[String]) -> String {
    let mut out = String::from("\n");
    for team in teams {
        out.push_str(&norm(team).replace('\n', " "));
        out.push('\n');
    }
    out
}

/// Lowercase for case-insensitive matching (Unicode-aware, same on SQLite and PostgreSQL).
pub(crate) fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Derived {
    /// The columns of `profile`, refused (naming the field, a 4xx for the face) when a value
    /// is past the limits: what passes is written and always read back, on either database.
    pub fn of(profile: &Profile) -> Result<Derived, BackendError> {
        profile.check_limits()?;
        let doc = serde_json::to_string(&Doc {
            v: DOC_VERSION,
            profile: profile.clone(),
        })
        .map_err(|e| BackendError::Internal(format!("cannot encode agent: {e}")))?;
        Ok(Derived {
            email_norm: email_key(&profile.email),
            username_norm: profile
                .username
                .as_deref()
                .map(username_key)
                .filter(|u| !u.is_empty()),
            first_name_norm: norm(&profile.first_name),
            last_name_norm: norm(&profile.last_name),
            display_name_norm: norm(&profile.display_name),
            role: profile.role.as_str(),
            availability: profile.availability.as_str(),
            confirmed: i64::from(profile.state.confirmed),
            banned: i64::from(profile.state.banned),
            doc,
            external_id: profile.external_id.clone().filter(|e| !e.is_empty()),
            active: i64::from(profile.state.active),
            teams_norm: teams_norm(&profile.teams),
        })
    }
}

impl Derived {
    /// Bind every derived column, in the order `email_norm`, `username_norm`,
    /// `first_name_norm`, `last_name_norm`, `display_name_norm`, `role`, `availability`,
    /// `confirmed`, `banned`, `doc`, `external_id`, `active`, `teams_norm`, `derived`: the
    /// INSERT and the UPDATE list them the same way.
    pub fn bind_columns<'q>(
        &self,
        q: Query<'q, sqlx::Any, AnyArguments>,
    ) -> Query<'q, sqlx::Any, AnyArguments> {
        q.bind(self.email_norm.clone())
            .bind(self.username_norm.clone())
            .bind(self.first_name_norm.clone())
            .bind(self.last_name_norm.clone())
            .bind(self.display_name_norm.clone())
            .bind(self.role)
            .bind(self.availability)
            .bind(self.confirmed)
            .bind(self.banned)
            .bind(self.doc.clone())
            .bind(self.external_id.clone())
            .bind(self.active)
            .bind(self.teams_norm.clone())
            .bind(DERIVED_VERSION)
    }
}

/// Timestamps are stored as fixed-width RFC 3339 text so they sort as text on both databases.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    format_time(t, Precision::Micros)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>, BackendError> {
    parse_time(s).ok_or_else(|| BackendError::Internal(format!("bad stored timestamp {s:?}")))
}

/// The columns `from_row` reads, for SELECT lists; `RawRow::from_sqlite` reads them by position.
pub(crate) const COLUMNS: &str = "id, guid, short_id, doc, created_at, updated_at";

/// A row read back.
pub(crate) struct Stored {
    pub agent: Agent,
}

/// The `COLUMNS` of one row as the database gave them, before decoding.
pub(crate) struct RawRow {
    id: i64,
    guid: String,
    short_id: String,
    doc: String,
    created_at: String,
    updated_at: String,
}

impl RawRow {
    /// Read through sqlx.
    fn from_any(row: &AnyRow) -> Result<RawRow, BackendError> {
        let s = |c: &str| row.try_get::<String, _>(c).map_err(db_error);
        let i = |c: &str| row.try_get::<i64, _>(c).map_err(db_error);
        Ok(RawRow {
            id: i("id")?,
            guid: s("guid")?,
            short_id: s("short_id")?,
            doc: s("doc")?,
            created_at: s("created_at")?,
            updated_at: s("updated_at")?,
        })
    }

    /// Read through the inline SQLite reader, by position in [`COLUMNS`] (by name, each
    /// column was found by comparing every column's name: 3 % of a GET by id).
    pub fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            id: row.get(0)?,
            guid: row.get(1)?,
            short_id: row.get(2)?,
            doc: row.get(3)?,
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
        })
    }

    pub fn decode(self) -> Result<Stored, BackendError> {
        let doc: Doc = serde_json::from_str(&self.doc)
            .map_err(|e| BackendError::Internal(format!("bad stored agent: {e}")))?;
        let guid = self.guid;
        Ok(Stored {
            agent: Agent {
                ids: AgentIds {
                    int: self.id,
                    guid: guid.parse().map_err(|e| {
                        BackendError::Internal(format!("bad stored guid {guid:?}: {e}"))
                    })?,
                    short: self.short_id,
                },
                profile: doc.profile,
                created_at: parse_ts(&self.created_at)?,
                updated_at: parse_ts(&self.updated_at)?,
            },
        })
    }
}

pub(crate) fn from_row(row: &AnyRow) -> Result<Stored, BackendError> {
    RawRow::from_any(row)?.decode()
}

/// An id's value, bound to a query through sqlx or the inline reader.
pub(crate) enum IdValue {
    Int(i64),
    Text(String),
}

/// The column an id kind is looked up by, and its bound value; `None` for a short id that no
/// agent can have (every one is 17 ASCII letters and digits), which is never sent to a
/// database: PostgreSQL would refuse a NUL in it rather than find nothing.
pub(crate) fn id_column(id: &AgentId) -> Option<(&'static str, IdValue)> {
    match id {
        AgentId::Int(i) => Some(("id", IdValue::Int(*i))),
        AgentId::Guid(g) => Some(("guid", IdValue::Text(g.to_string()))),
        AgentId::Short(s) if s.len() == 17 && s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Some(("short_id", IdValue::Text(s.clone())))
        }
        AgentId::Short(_) => None,
    }
}

impl IdValue {
    /// Bind as the next parameter of a sqlx query.
    pub fn bind<'q>(
        self,
        q: Query<'q, sqlx::Any, AnyArguments>,
    ) -> Query<'q, sqlx::Any, AnyArguments> {
        match self {
            IdValue::Int(i) => q.bind(i),
            IdValue::Text(s) => q.bind(s),
        }
    }
}

impl rusqlite::ToSql for IdValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            IdValue::Int(i) => i.to_sql(),
            IdValue::Text(s) => s.to_sql(),
        }
    }
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
