//! agentgw-store: the embedded backend. SQLite in a file by default, PostgreSQL when several
//! gateway instances share state; one code path (sqlx `Any`) for both.
//!
//! Invariants: email (and username, when set) is unique per tenant among live agents,
//! case-insensitively, enforced by a database index; ids are assigned once and never reused
//! (deleted rows stay, scrubbed); an acknowledged write is committed with a full sync.

mod idmap;
mod ids;
mod journal;
mod password;
mod reader;
mod record;
mod teams;
mod tenant;

use std::sync::Arc;
use std::time::Duration;

use agentgw_core::BackendError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use idmap::{IdMap, Mapped};
pub use journal::{Journal, JournalEntry};
pub use password::verify_password;
pub use tenant::TenantStore;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The driver's own reason (connection refused, bad password, …), said once.
    #[error("cannot open the store at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("cannot create the directory for {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot migrate the store schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Database {
    Sqlite,
    Postgres,
}

/// The embedded store: one database, many tenants.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    database: Database,
    /// Inline point reads, for a SQLite file (see `reader`).
    reader: Option<Arc<reader::Reader>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The file a `sqlite:` URL names; `None` for an in-memory database or another database.
pub fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && !file.starts_with(":memory:")).then_some(file)
}

/// Turn a `sqlite://path` URL into one that creates the file, and make its directory.
fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let Some(file) = sqlite_file(url) else {
        return Ok(url.to_owned());
    };
    if let Some(dir) = std::path::Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
            path: file.to_owned(),
            source,
        })?;
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// How long opening the store may take before the gateway gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Open and close one connection to `url`, within [`CONNECT_TIMEOUT`], with the driver's
/// error when it fails.
async fn probe(url: &str) -> Result<(), StoreError> {
    let failed = |reason: String| StoreError::Connect {
        url: redact_url(url),
        reason,
    };
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        <sqlx::AnyConnection as sqlx::Connection>::connect(url),
    )
    .await
    {
        Ok(Ok(conn)) => {
            let _ = sqlx::Connection::close(conn).await;
            Ok(())
        }
        Ok(Err(e)) => Err(failed(e.to_string())),
        Err(_) => Err(failed(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

impl Store {
    /// Open (creating if needed) the database at `url` and bring its schema up to date.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let database = if url.starts_with("sqlite:") {
            Database::Sqlite
        } else {
            Database::Postgres
        };
        let pool = match database {
            Database::Sqlite => {
                let in_memory = url.contains(":memory:");
                let url = prepare_sqlite_url(url)?;
                AnyPoolOptions::new()
                    // An in-memory database lives and dies with its one connection.
                    .max_connections(if in_memory { 1 } else { 4 })
                    .min_connections(if in_memory { 1 } else { 0 })
                    .idle_timeout(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(600))
                    })
                    .max_lifetime(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(1800))
                    })
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; synchronous=FULL makes a
                            // commit durable before it is acknowledged (survives kill -9 and power loss).
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
            }
            Database::Postgres => {
                // One connection first: a pool only says it timed out, the driver says why
                // (refused, unknown host, bad password) — and at once when it can.
                probe(url).await?;
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect(url)
                    .await
            }
        }
        .map_err(|e| StoreError::Connect {
            url: redact_url(url),
            reason: e.to_string(),
        })?;
        match database {
            Database::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Database::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let reader = match database {
            Database::Sqlite => reader::Reader::for_url(url).map(Arc::new),
            Database::Postgres => None,
        };
        Ok(Store {
            pool,
            database,
            reader,
        })
    }

    /// The backend for one tenant's agents.
    pub fn tenant(&self, tenant: &str) -> TenantStore {
        TenantStore::new(
            self.pool.clone(),
            self.database == Database::Sqlite,
            self.reader.clone(),
            tenant,
        )
    }

    /// The id map and shadow fields of the upstream `name`.
    pub fn id_map(&self, name: &str) -> IdMap {
        IdMap::new(self.pool.clone(), self.reader.clone(), name)
    }

    /// The journal of the migration `run` (`<from> -> <to>`).
    pub fn journal(&self, run: &str) -> Journal {
        Journal::new(self.pool.clone(), run)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), BackendError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(record::db_error)
    }

    /// Close every connection (flushes SQLite's WAL on the last one).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL with any password replaced, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            let masked = if userinfo.contains(':') {
                format!("{user}:**redacted**")
            } else {
                user.to_owned()
            };
            format!("{}{}{}", &url[..scheme_end + 3], masked, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            redact_url("postgres://u:pw@h/db"),
            "postgres://u:**redacted**@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/a.db"), "sqlite://data/a.db");
    }

    /// The inline reader must really answer (a silent fallback to sqlx would hide a broken one).
    #[tokio::test]
    async fn reads_by_id_are_answered_inline_on_a_sqlite_file()
    -> Result<(), Box<dyn std::error::Error>> {
        use agentgw_core::Backend;
        use agentgw_model::{AgentId, NewAgent, Profile};
        use record::IdValue;
        let dir = tempfile::tempdir()?;
        let store = Store::connect(&format!("sqlite://{}/s.db", dir.path().display())).await?;
        assert!(store.reader.is_some());

        let tenant = store.tenant("t");
        let new = NewAgent {
            profile: Profile {
                email: "inline@example.com".into(),
                first_name: "In".into(),
                ..Profile::default()
            },
            password: None,
        };
        let agent = tenant.create(new).await?;
        let by_guid = tenant.fetch_inline(
            &tenant::fetch_sql("guid"),
            &IdValue::Text(agent.ids.guid.to_string()),
        );
        assert_eq!(
            by_guid.map(|r| r.map(|s| s.agent)).transpose()?,
            Some(agent.clone())
        );
        tenant.delete(&AgentId::Int(agent.ids.int)).await?;
        let gone = tenant.fetch_inline(&tenant::fetch_sql("id"), &IdValue::Int(agent.ids.int));
        assert!(matches!(
            gone,
            Some(Err(agentgw_core::BackendError::NotFound))
        ));

        let map = store.id_map("up");
        let mapped = map.ensure_one("native-7").await?;
        let resolved = map.resolve_inline(
            &idmap::resolve_sql("short_id"),
            &IdValue::Text(mapped.ids.short.clone()),
        );
        assert_eq!(
            resolved.transpose()?,
            Some(Some(("native-7".to_owned(), mapped)))
        );
        Ok(())
    }

    #[test]
    fn sqlite_urls_create_their_file() {
        let dir = std::env::temp_dir().join(format!("agentgw-url-{}", std::process::id()));
        let url = format!("sqlite://{}/sub/a.db", dir.display());
        assert_eq!(
            prepare_sqlite_url(&url).ok(),
            Some(format!("{url}?mode=rwc"))
        );
        assert!(dir.join("sub").is_dir());
        let _ = std::fs::remove_dir_all(dir);
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").ok().as_deref(),
            Some("sqlite::memory:")
        );
    }
}
