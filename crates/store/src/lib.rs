//! agentgw-store: the embedded backend. SQLite in a file by default, PostgreSQL when several
//! gateway instances share state; one code path (sqlx `Any`) for both.
//!
//! Invariants: email (and username, when set) is unique per tenant among live agents,
//! case-insensitively, enforced by a database index; ids are assigned once and never reused
//! (deleted rows stay, scrubbed); an acknowledged write is committed with a full sync.

mod checkpoint;
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
use sqlx::{AnyPool, AssertSqlSafe, Executor};

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
    pools: Pools,
    database: Database,
    /// Inline point reads, for a SQLite file (see `reader`).
    reader: Option<Arc<reader::Reader>>,
    /// WAL checkpoints off the request path, for a SQLite file (see `checkpoint`).
    checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

/// The connections a store's statements take. On a SQLite file, writes queue in order for one
/// connection of their own and reads run beside it on others: SQLite lets one writer in at a
/// time, and writers on several connections wait for its lock in its busy handler, sleeping up
/// to 100 ms a turn in no order, so a durable create's p99 was hundreds of times its median.
/// On PostgreSQL, which locks rows, and in memory, both are one pool.
#[derive(Clone)]
pub(crate) struct Pools {
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
}

/// How many connections read a SQLite file (beside the inline reader and the one writer).
const SQLITE_READERS: u32 = 4;

/// A pool on the SQLite database at `url` with at most `max` connections, each durable (WAL,
/// `synchronous = FULL`: a commit is on disk before it is acknowledged, through kill -9 and
/// power loss). The `writer`'s commits never checkpoint (see `checkpoint`).
async fn sqlite_pool(
    url: &str,
    max: u32,
    in_memory: bool,
    writer: bool,
) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        // An in-memory database lives and dies with its one connection.
        .max_connections(if in_memory { 1 } else { max })
        .min_connections(if in_memory { 1 } else { 0 })
        .idle_timeout((!in_memory).then_some(Duration::from_secs(600)))
        .max_lifetime((!in_memory).then_some(Duration::from_secs(1800)))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // WAL lets readers run beside the writer.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                // Another process (`agentgw migrate`) may hold the write lock for a while.
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                if writer {
                    conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                    conn.execute(AssertSqlSafe(format!(
                        "PRAGMA journal_size_limit = {}",
                        checkpoint::WAL_SIZE_LIMIT
                    )))
                    .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
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
        let pools = match database {
            Database::Sqlite => {
                let in_memory = url.contains(":memory:");
                let url = prepare_sqlite_url(url)?;
                match sqlite_pool(&url, SQLITE_READERS, in_memory, in_memory).await {
                    Ok(read) if in_memory => Ok(Pools {
                        write: read.clone(),
                        read,
                    }),
                    Ok(read) => sqlite_pool(&url, 1, false, true)
                        .await
                        .map(|write| Pools { read, write }),
                    Err(e) => Err(e),
                }
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
                    .map(|pool| Pools {
                        read: pool.clone(),
                        write: pool,
                    })
            }
        }
        .map_err(|e| StoreError::Connect {
            url: redact_url(url),
            reason: e.to_string(),
        })?;
        match database {
            Database::Sqlite => SQLITE_MIGRATIONS.run(&pools.write).await?,
            Database::Postgres => POSTGRES_MIGRATIONS.run(&pools.write).await?,
        }
        let reader = match database {
            Database::Sqlite => reader::Reader::for_url(url).map(Arc::new),
            Database::Postgres => None,
        };
        // A file has a reader and its own writer; memory and PostgreSQL have neither.
        let checkpointer = reader
            .as_ref()
            .map(|_| Arc::new(checkpoint::Checkpointer::start(pools.clone())));
        Ok(Store {
            pools,
            database,
            reader,
            checkpointer,
        })
    }

    /// The backend for one tenant's agents.
    pub fn tenant(&self, tenant: &str) -> TenantStore {
        TenantStore::new(
            self.pools.clone(),
            self.database == Database::Sqlite,
            self.reader.clone(),
            tenant,
        )
    }

    /// The id map and shadow fields of the upstream `name`.
    pub fn id_map(&self, name: &str) -> IdMap {
        IdMap::new(self.pools.clone(), self.reader.clone(), name)
    }

    /// The journal of the migration `run` (`<from> -> <to>`).
    pub fn journal(&self, run: &str) -> Journal {
        Journal::new(self.pools.clone(), run)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), BackendError> {
        sqlx::query("SELECT 1")
            .execute(&self.pools.read)
            .await
            .map(drop)
            .map_err(record::db_error)
    }

    /// Close every connection; on a SQLite file, first fold the WAL into the database.
    pub async fn close(&self) {
        if self.checkpointer.is_some()
            && let Err(e) = checkpoint::truncate(&self.pools.write).await
        {
            tracing::warn!(error = %e, "closing the store: the WAL stays, to be replayed on open");
        }
        self.pools.read.close().await;
        self.pools.write.close().await;
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

    /// Creates alone used to never checkpoint: a 10,000-agent seed left a 500 MB WAL beside a
    /// 4 KiB database. Now the WAL restarts while creates stream in from several writers at
    /// once (no moment without a write in the queue), and closing the store folds it in.
    #[tokio::test]
    async fn the_wal_stays_bounded_under_creates_and_closing_folds_it_in()
    -> Result<(), Box<dyn std::error::Error>> {
        use agentgw_core::Backend;
        use agentgw_model::{NewAgent, Profile};
        let dir = tempfile::tempdir()?;
        let store = Store::connect(&format!("sqlite://{}/s.db", dir.path().display())).await?;
        let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
        let wal = dir.path().join("s.db-wal");
        const WRITERS: u32 = 4;
        const EACH: u32 = 1000;
        let writers = (0..WRITERS).map(|w| {
            let (tenant, wal) = (store.tenant("t"), wal.clone());
            tokio::spawn(async move {
                let mut largest = 0;
                for i in 0..EACH {
                    let profile = Profile {
                        email: format!("wal{w}-{i}@example.com"),
                        first_name: format!("Wal {i}"),
                        ..Profile::default()
                    };
                    let new = NewAgent {
                        profile,
                        password: None,
                    };
                    tenant.create(new).await?;
                    largest = largest.max(size(&wal));
                }
                Ok::<_, agentgw_core::BackendError>(largest)
            })
        });
        let mut largest = 0;
        for w in futures_util::future::join_all(writers).await {
            largest = largest.max(w??);
        }
        store.close().await;
        let db = size(&dir.path().join("s.db"));
        // Every create rewrites several pages of the table and its indexes: unchecked, these
        // 4,000 creates grow the WAL to ~190 MB (50 times the database); restarted, to a tick's
        // worth of writes (~30 MB here).
        eprintln!("largest WAL {largest} bytes; database {db} bytes");
        assert!(
            largest < 96 * 1024 * 1024,
            "the WAL restarted as it went: {largest} bytes"
        );
        assert_eq!(size(&wal), 0, "closing folds the WAL in");
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
