//! One tenant's agents: the `Backend` implementation of the embedded store.

use agentgw_core::{Backend, BackendError, MigrationTarget, TeamRegistry};
use agentgw_model::{
    Agent, AgentId, Availability, ListQuery, NewAgent, Page, ProfilePatch, SortKey,
    derive_username, parse_email, username_key,
};
use async_trait::async_trait;

use chrono::Utc;
use sqlx::AssertSqlSafe;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;

use crate::Pools;
use crate::ids;
use crate::password::hash_password;
use crate::record::{
    COLUMNS, Derived, IdValue, RawRow, Stored, db_error, from_row, id_column, is_unique_violation,
    norm, ts,
};
use crate::search::{self, Arg, Sql};

/// How often a create is retried when a generated id collides.
const ATTEMPTS: usize = 5;
/// How many `name.N` usernames are tried for one derived username before giving up.
const MAX_USERNAME_SUFFIX: u32 = 1000;

/// The embedded backend for one tenant.
#[derive(Clone)]
pub struct TenantStore {
    pools: Pools,
    /// SQLite: a writer locks the whole database (PostgreSQL locks the row), and `live_counts`
    /// has one row per tenant (PostgreSQL's is split in slots).
    sqlite: bool,
    tenant: String,
    teams: crate::teams::Registry,
}

/// Records `agentgw_store_query_duration_seconds{op}` when dropped: every way out of a
/// store call (success, error, `?`) is timed.
pub(crate) struct QueryTimer {
    op: &'static str,
    started: std::time::Instant,
}

impl QueryTimer {
    pub(crate) fn start(op: &'static str) -> QueryTimer {
        if is_write(op) {
            writes_in_flight().increment(1.0);
        }
        QueryTimer {
            op,
            started: std::time::Instant::now(),
        }
    }
}

/// Whether `op` writes (on a SQLite file: takes the one writer connection).
fn is_write(op: &str) -> bool {
    !matches!(op, "list" | "get" | "idmap_resolve" | "idmap_parked")
}

/// `agentgw_store_writes_in_flight`: writes started and not yet answered. On a SQLite file one
/// runs and the rest wait for the writer, so this is its queue (plus one).
fn writes_in_flight() -> &'static metrics::Gauge {
    static GAUGE: std::sync::OnceLock<metrics::Gauge> = std::sync::OnceLock::new();
    GAUGE.get_or_init(|| agentgw_core::telemetry::STORE_WRITES_IN_FLIGHT.gauge([]))
}

/// Every `op` a [`QueryTimer`] names, each with its histogram made on first use: a lookup in
/// the metrics registry (hashing the name and labels) cost 1,500 instructions per store call.
static OPS: [(&str, std::sync::OnceLock<metrics::Histogram>); 12] = [
    ("list", std::sync::OnceLock::new()),
    ("get", std::sync::OnceLock::new()),
    ("create", std::sync::OnceLock::new()),
    ("update", std::sync::OnceLock::new()),
    ("delete", std::sync::OnceLock::new()),
    ("idmap_ensure", std::sync::OnceLock::new()),
    ("idmap_resolve", std::sync::OnceLock::new()),
    ("idmap_shadow", std::sync::OnceLock::new()),
    ("idmap_retire", std::sync::OnceLock::new()),
    ("idmap_park", std::sync::OnceLock::new()),
    ("idmap_parked", std::sync::OnceLock::new()),
    ("idmap_unpark", std::sync::OnceLock::new()),
];

impl Drop for QueryTimer {
    fn drop(&mut self) {
        let took = self.started.elapsed().as_secs_f64();
        if is_write(self.op) {
            writes_in_flight().decrement(1.0);
        }
        match OPS.iter().find(|(op, _)| *op == self.op) {
            Some((op, histogram)) => histogram
                .get_or_init(|| {
                    agentgw_core::telemetry::STORE_QUERY_DURATION.histogram([(*op).into()])
                })
                .record(took),
            None => agentgw_core::telemetry::STORE_QUERY_DURATION
                .histogram([self.op.into()])
                .record(took),
        }
    }
}

/// `%term%` for LIKE, with LIKE's own wildcards escaped.
fn like(term: &str) -> String {
    let escaped = norm(term)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The WHERE clause (after tenant and liveness) and its arguments for a list query.
fn where_clause(q: &ListQuery, sqlite: bool) -> (String, Vec<Arg>) {
    let f = &q.filter;
    let mut sql = String::new();
    let mut args = Vec::new();
    let mut push = |cond: &str, arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        // Placeholders $2.. : $1 is the tenant; one condition may use its placeholder twice.
        sql.push_str(" AND ");
        sql.push_str(&cond.replace('#', &format!("${}", args.len() + 1)));
    };
    if let Some(t) = &f.text {
        push(
            "(username_norm LIKE # ESCAPE '\\' OR display_name_norm LIKE # ESCAPE '\\' OR email_norm LIKE # ESCAPE '\\')",
            Arg::Text(like(t)),
            &mut args,
        );
    }
    let partial = [
        ("first_name_norm", &f.first_name),
        ("last_name_norm", &f.last_name),
        ("email_norm", &f.email),
    ];
    for (column, value) in partial {
        if let Some(v) = value {
            push(
                &format!("{column} LIKE # ESCAPE '\\'"),
                Arg::Text(like(v)),
                &mut args,
            );
        }
    }
    if let Some(u) = &f.username {
        push("username_norm = #", Arg::Text(username_key(u)), &mut args);
    }
    if let Some(r) = f.role {
        push("role = #", Arg::Text(r.as_str().into()), &mut args);
    }
    if let Some(a) = f.availability {
        push("availability = #", Arg::Text(a.as_str().into()), &mut args);
    }
    if let Some(c) = f.confirmed {
        push("confirmed = #", Arg::Int(i64::from(c)), &mut args);
    }
    if let Some(b) = f.banned {
        push("banned = #", Arg::Int(i64::from(b)), &mut args);
    }
    // An id with a control character is no agent's: there is nothing to leave out (and a NUL
    // must never reach PostgreSQL).
    if let Some(id) = f
        .except_short_id
        .as_ref()
        .filter(|id| !id.chars().any(char::is_control))
    {
        push("short_id <> #", Arg::Text(id.clone()), &mut args);
    }
    if f.hide_offline {
        push(
            "availability <> #",
            Arg::Text(Availability::Offline.as_str().into()),
            &mut args,
        );
    }
    let mut more = Sql {
        sqlite,
        args: &mut args,
    };
    if let Some(team) = &f.team {
        let cond = search::in_team(&mut more, team);
        sql.push_str(" AND ");
        sql.push_str(&cond);
    }
    if let Some(condition) = &f.condition {
        let cond = search::condition(&mut more, condition);
        sql.push_str(" AND ");
        sql.push_str(&cond);
    }
    (sql, args)
}

fn bind_args<'q>(
    mut q: Query<'q, sqlx::Any, AnyArguments>,
    args: &[Arg],
) -> Query<'q, sqlx::Any, AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
        };
    }
    q
}

/// A stored agent, or `None` (logged with its id) when its row cannot be read.
fn readable(row: &AnyRow) -> Option<Agent> {
    match from_row(row) {
        Ok(stored) => Some(stored.agent),
        Err(e) => {
            let id = sqlx::Row::try_get::<i64, _>(row, "id").unwrap_or(-1);
            tracing::error!(id, error = %e, "an agent's stored row cannot be read; left out of the list");
            None
        }
    }
}

/// An agent's email must be present, and a new or changed one an address `parse_email`
/// accepts (an unchanged one stays, whatever older rules let in).
fn check_email(email: &str, unchanged_from: Option<&str>) -> Result<(), BackendError> {
    let invalid = |message: String| BackendError::Invalid {
        field: "email".into(),
        message,
    };
    if email.trim().is_empty() {
        return Err(invalid("email is required".into()));
    }
    if unchanged_from == Some(email) {
        return Ok(());
    }
    parse_email(email)
        .map(drop)
        .map_err(|p| invalid(format!("email {p}")))
}

/// The live agent whose `column` (an id column) is `$2`.
pub(crate) fn fetch_sql(column: &str) -> String {
    format!("SELECT {COLUMNS} FROM agents WHERE tenant = $1 AND deleted = 0 AND {column} = $2")
}

impl TenantStore {
    pub(crate) fn new(pools: Pools, sqlite: bool, tenant: &str) -> Self {
        TenantStore {
            teams: crate::teams::Registry::new(pools.clone(), tenant),
            pools,
            sqlite,
            tenant: tenant.to_owned(),
        }
    }

    async fn fetch(&self, id: &AgentId) -> Result<Stored, BackendError> {
        let (column, value) = id_column(id).ok_or(BackendError::NotFound)?;
        let sql = fetch_sql(column);
        if let Some(found) = self.fetch_inline(&sql, &value) {
            return found;
        }
        let row = value
            .bind(sqlx::query(AssertSqlSafe(sql)).bind(&self.tenant))
            .fetch_optional(self.pools.read()?)
            .await
            .map_err(db_error)?
            .ok_or(BackendError::NotFound)?;
        from_row(&row)
    }

    /// The tenant's live agents from `live_counts`, which both stores keep by triggers.
    async fn live_count(&self) -> Result<i64, BackendError> {
        let sql = if self.sqlite {
            "SELECT live FROM live_counts WHERE tenant = $1"
        } else {
            // The sum of the tenant's slots (see migration 0008); no slot yet sums to NULL.
            "SELECT SUM(live)::BIGINT AS live FROM live_counts WHERE tenant = $1"
        };
        let inline = self
            .pools
            .reader()
            .and_then(|r| r.row(sql, &[&self.tenant], |row| row.get::<_, i64>(0)));
        let found = match inline {
            Some(found) => found,
            None => sqlx::query(sql)
                .bind(&self.tenant)
                .fetch_optional(self.pools.read()?)
                .await
                .map_err(db_error)?
                .map(|row| sqlx::Row::try_get::<Option<i64>, _>(&row, "live"))
                .transpose()
                .map_err(db_error)?
                .flatten(),
        };
        // A tenant that never had an agent has no row.
        Ok(found.unwrap_or(0))
    }

    /// The row through the inline SQLite reader; `None` when there is none or it failed.
    pub(crate) fn fetch_inline(
        &self,
        sql: &str,
        value: &IdValue,
    ) -> Option<Result<Stored, BackendError>> {
        let found = self
            .pools
            .reader()?
            .row(sql, &[&self.tenant, value], RawRow::from_sqlite)?;
        Some(found.ok_or(BackendError::NotFound).and_then(RawRow::decode))
    }

    /// After a unique violation: which live field is taken, if any (else an id collided).
    async fn taken_field(
        &self,
        d: &Derived,
        except: Option<i64>,
    ) -> Result<Option<&'static str>, BackendError> {
        let except = except.unwrap_or(-1);
        // Column names come from this fixed list, never from input.
        let candidates = [
            ("email", "email_norm", Some(&d.email_norm)),
            ("username", "username_norm", d.username_norm.as_ref()),
        ];
        for (field, column, value) in candidates {
            let Some(value) = value else { continue };
            let sql = format!(
                "SELECT 1 FROM agents WHERE tenant = $1 AND deleted = 0 AND {column} = $2 AND id <> $3"
            );
            let taken = sqlx::query(AssertSqlSafe(sql))
                .bind(&self.tenant)
                .bind(value.clone())
                .bind(except)
                .fetch_optional(self.pools.read()?)
                .await
                .map_err(db_error)?;
            if taken.is_some() {
                return Ok(Some(field));
            }
        }
        Ok(None)
    }

    /// The tenant this backend serves.
    pub fn tenant_name(&self) -> &str {
        &self.tenant
    }

    /// The stored password hash of an agent (for tests and a future login check).
    pub async fn password_hash(&self, id: &AgentId) -> Result<Option<String>, BackendError> {
        let (column, value) = id_column(id).ok_or(BackendError::NotFound)?;
        let sql = format!(
            "SELECT password_hash FROM agents WHERE tenant = $1 AND deleted = 0 AND {column} = $2"
        );
        let row = value
            .bind(sqlx::query(AssertSqlSafe(sql)).bind(&self.tenant))
            .fetch_optional(self.pools.read()?)
            .await
            .map_err(db_error)?
            .ok_or(BackendError::NotFound)?;
        sqlx::Row::try_get::<Option<String>, _>(&row, "password_hash").map_err(db_error)
    }
}

#[async_trait]
impl Backend for TenantStore {
    async fn list(&self, query: &ListQuery) -> Result<Page, BackendError> {
        let _timer = QueryTimer::start("list");
        if query.filter.is_unmatchable() {
            // A control character is in no stored value; PostgreSQL would refuse a NUL outright.
            return Ok(Page {
                items: Vec::new(),
                total: 0,
            });
        }
        let (cond, args) = where_clause(query, self.sqlite);
        let total: i64 = if cond.is_empty() {
            self.live_count().await?
        } else {
            let count_sql =
                format!("SELECT COUNT(*) AS n FROM agents WHERE tenant = $1 AND deleted = 0{cond}");
            let row = bind_args(
                sqlx::query(AssertSqlSafe(count_sql)).bind(&self.tenant),
                &args,
            )
            .fetch_one(self.pools.read()?)
            .await
            .map_err(db_error)?;
            sqlx::Row::try_get(&row, "n").map_err(db_error)?
        };
        let column = match query.sort.key {
            SortKey::Name => "display_name_norm",
            SortKey::Username => "username_norm",
            SortKey::Email => "email_norm",
            SortKey::Updated => "updated_at",
            SortKey::Created => "id",
        };
        let direction = if query.sort.descending { "DESC" } else { "ASC" };
        let order = format!("{column} {direction}, id {direction}");
        let matching =
            format!("FROM agents WHERE tenant = $1 AND deleted = 0{cond} ORDER BY {order}");
        let mut sql = format!("SELECT {COLUMNS} {matching}");
        let mut window_args = Vec::new();
        if let Some(w) = query.window {
            let n = args.len() + 2;
            // The window is found on ids alone, then only its rows are read: an OFFSET over
            // whole rows makes the database read every skipped row (page 1000 of 100,000
            // took 10 ms on SQLite; its ids alone come off the covering index in 4).
            sql = format!(
                "SELECT {COLUMNS} FROM agents WHERE id IN (SELECT id {matching} LIMIT ${n} OFFSET ${}) ORDER BY {order}",
                n + 1
            );
            window_args.push(Arg::Int(i64::try_from(w.limit).unwrap_or(i64::MAX)));
            window_args.push(Arg::Int(i64::try_from(w.offset).unwrap_or(i64::MAX)));
        }
        let q = bind_args(
            bind_args(sqlx::query(AssertSqlSafe(sql)).bind(&self.tenant), &args),
            &window_args,
        );
        let rows = q.fetch_all(self.pools.read()?).await.map_err(db_error)?;
        // One row that cannot be read (written by an older version, or damaged) must not take
        // every list down with it: it is logged and left out; a GET of it is that agent's 500.
        let items = rows.iter().filter_map(readable).collect();
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn get(&self, id: &AgentId) -> Result<Agent, BackendError> {
        let _timer = QueryTimer::start("get");
        Ok(self.fetch(id).await?.agent)
    }

    async fn create(&self, new: NewAgent) -> Result<Agent, BackendError> {
        let _timer = QueryTimer::start("create");
        let NewAgent {
            mut profile,
            password,
        } = new;
        check_email(&profile.email, None)?;
        // An agent without a username gets one derived from its email, made unique here with a
        // numeric suffix, and kept: livechat clients address agents by it.
        let given = profile.username.take().filter(|u| !u.trim().is_empty());
        let derived = given.is_none();
        let base = given.unwrap_or_else(|| derive_username(&profile.email));
        let mut suffix = 1u32;
        let hash = match password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let now = ts(Utc::now());
        let mut id_collisions = 0;
        while id_collisions < ATTEMPTS && suffix <= MAX_USERNAME_SUFFIX {
            profile.username = Some(if suffix == 1 {
                base.clone()
            } else {
                format!("{base}.{suffix}")
            });
            let d = Derived::of(&profile)?;
            let (guid, short) = (ids::guid(), ids::short_id());
            let insert = sqlx::query(
                "INSERT INTO agents (tenant, guid, short_id, email_norm, username_norm, first_name_norm, last_name_norm, \
                 display_name_norm, role, availability, confirmed, banned, doc, external_id, active, teams_norm, derived, password_hash, \
                 created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
            )
            .bind(&self.tenant)
            .bind(guid.to_string())
            .bind(&short);
            // `fetch_all`, not `fetch_one`: SQLite returns the new row at the statement's first
            // step and commits at its last, and `fetch_one` stops after the row, so a commit
            // that failed (a full disk) went unseen and the create answered a 404 for the id
            // it had been given.
            let inserted = d
                .bind_columns(insert)
                .bind(hash.clone())
                .bind(&now)
                .fetch_all(self.pools.write()?)
                .await;
            match inserted {
                Ok(rows) => {
                    let row = rows
                        .first()
                        .ok_or_else(|| BackendError::Internal("an insert returned no id".into()))?;
                    let id: i64 = sqlx::Row::try_get(row, "id").map_err(db_error)?;
                    return self.get(&AgentId::Int(id)).await;
                }
                Err(e) if is_unique_violation(&e) => match self.taken_field(&d, None).await? {
                    Some("username") if derived => suffix += 1,
                    Some(field) => return Err(BackendError::Conflict { field }),
                    // A generated id collided (or the taker was deleted meanwhile): new ids.
                    None => id_collisions += 1,
                },
                Err(e) => return Err(db_error(e)),
            }
        }
        Err(BackendError::Internal(
            "could not allocate a unique id or username".into(),
        ))
    }

    async fn update(&self, id: &AgentId, mut patch: ProfilePatch) -> Result<Agent, BackendError> {
        let _timer = QueryTimer::start("update");
        let (column, value) = id_column(id).ok_or(BackendError::NotFound)?;
        // Hashed before the row is locked: a writer never waits for another's argon2.
        let hash = match patch.password.take() {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        // One writer per agent at a time, so concurrent updates all apply and none is lost:
        // SQLite takes its write lock at BEGIN IMMEDIATE (a deferred BEGIN would let two
        // readers race to upgrade, and one fail), PostgreSQL locks the row with FOR UPDATE.
        let (begin, lock) = if self.sqlite {
            ("BEGIN IMMEDIATE", "")
        } else {
            ("BEGIN", " FOR UPDATE")
        };
        let mut tx = self
            .pools
            .write()?
            .begin_with(begin)
            .await
            .map_err(db_error)?;
        let row = value
            .bind(sqlx::query(AssertSqlSafe(fetch_sql(column) + lock)).bind(&self.tenant))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .ok_or(BackendError::NotFound)?;
        let current = from_row(&row)?.agent;
        let mut profile = current.profile.clone();
        patch.apply(&mut profile);
        check_email(&profile.email, Some(&current.profile.email))?;
        let d = Derived::of(&profile)?;
        let update = sqlx::query(AssertSqlSafe(format!(
            "UPDATE agents SET email_norm = $1, username_norm = $2, first_name_norm = $3, last_name_norm = $4, \
             display_name_norm = $5, role = $6, availability = $7, confirmed = $8, banned = $9, doc = $10, \
             external_id = $11, active = $12, teams_norm = $13, derived = $14, \
             password_hash = COALESCE($15, password_hash), updated_at = $16, version = version + 1 \
             WHERE id = $17 AND deleted = 0 RETURNING {COLUMNS}"
        )));
        let updated = d
            .bind_columns(update)
            .bind(hash)
            .bind(ts(Utc::now()))
            .bind(current.ids.int)
            .fetch_one(&mut *tx)
            .await;
        match updated {
            Ok(row) => {
                let stored = from_row(&row)?;
                tx.commit().await.map_err(db_error)?;
                Ok(stored.agent)
            }
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await.map_err(db_error)?;
                let field = self
                    .taken_field(&d, Some(current.ids.int))
                    .await?
                    .unwrap_or("email");
                Err(BackendError::Conflict { field })
            }
            Err(e) => Err(db_error(e)),
        }
    }

    async fn delete(&self, id: &AgentId) -> Result<(), BackendError> {
        let _timer = QueryTimer::start("delete");
        let (column, value) = id_column(id).ok_or(BackendError::NotFound)?;
        // The row stays (its ids stay taken forever); personal data and the hash go.
        let sql = format!(
            "UPDATE agents SET deleted = 1, email_norm = NULL, username_norm = NULL, first_name_norm = '', \
             last_name_norm = '', display_name_norm = '', external_id = NULL, teams_norm = '', password_hash = NULL, doc = '{{\"v\":1,\"profile\":{{}}}}', \
             updated_at = $3, version = version + 1 WHERE tenant = $1 AND deleted = 0 AND {column} = $2"
        );
        let q = value
            .bind(sqlx::query(AssertSqlSafe(sql)).bind(&self.tenant))
            .bind(ts(Utc::now()));
        match q
            .execute(self.pools.write()?)
            .await
            .map_err(db_error)?
            .rows_affected()
        {
            0 => Err(BackendError::NotFound),
            _ => Ok(()),
        }
    }

    fn teams(&self) -> Result<&dyn TeamRegistry, BackendError> {
        Ok(&self.teams)
    }
}

/// The embedded store holds every field, needs no password and has no defaults to check.
impl MigrationTarget for TenantStore {}
