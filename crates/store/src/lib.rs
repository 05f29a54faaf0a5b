//! agentgw-store: the embedded backend. SQLite in a file by default, PostgreSQL when several
//! gateway instances share state; one code path (sqlx `Any`) for both.
//!
//! Invariants: email (and username, when set) is unique per tenant among live agents,
//! case-insensitively, enforced by a database index; ids are assigned once and never reused
//! (deleted rows stay, scrubbed); an acknowledged write is committed with a full sync.

mod checkpoint;
mod fault;
mod idmap;
mod ids;
mod journal;
mod password;
mod pools;
mod rates;
mod reader;
mod record;
mod search;
pub mod status;
mod teams;
mod tenant;
mod tokens;
mod warm;

use std::time::Duration;

use agentgw_core::BackendError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, AssertSqlSafe, Executor};

pub use idmap::{IdMap, IdMapping, Mapped, NativeId, ParkedId};
pub use journal::{Journal, JournalEntry, MigrationJournal};
pub use password::verify_password;
pub use tenant::TenantStore;

use pools::{Open, Pools};

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

impl StoreError {
    /// Whether trying again later may succeed: the database is down, full, or not answering.
    /// A directory that cannot be made or a schema that does not match this build is a
    /// mistake in the deployment, and waiting would only hide it.
    fn passes(&self) -> bool {
        use sqlx::migrate::MigrateError as M;
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Directory { .. } => false,
            StoreError::Migrate(M::Execute(e) | M::ExecuteMigration(e, _)) => {
                fault::classify(e).is_some()
            }
            StoreError::Migrate(_) => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    fn of(url: &str) -> Database {
        if url.starts_with("sqlite:") {
            Database::Sqlite
        } else {
            Database::Postgres
        }
    }
}

/// The embedded store: one database, many tenants.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    database: Database,
}

/// How many connections read a SQLite file (beside the inline reader and the one writer).
const SQLITE_READERS: u32 = 4;
/// How many connections a gateway keeps to PostgreSQL, all opened before it accepts.
const POSTGRES_CONNECTIONS: u32 = 8;

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

/// Derive the columns rows stored by an older build lack (see `record::rederive`).
async fn rederive(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let done = record::rederive(pool).await?;
    if done > 0 {
        tracing::info!(
            rows = done,
            "store: derived the new search columns of the rows already stored"
        );
    }
    Ok(())
}

/// Connect to the database at `url`, bring its schema up to date, and open and warm every
/// connection the gateway keeps, so that no request waits for one being set up.
async fn open(url: &str, database: Database) -> Result<Open, StoreError> {
    let connect_error = |e: sqlx::Error| StoreError::Connect {
        url: redact_url(url),
        reason: e.to_string(),
    };
    match database {
        Database::Sqlite => {
            let in_memory = url.contains(":memory:");
            let full_url = prepare_sqlite_url(url)?;
            let read = sqlite_pool(&full_url, SQLITE_READERS, in_memory, in_memory)
                .await
                .map_err(connect_error)?;
            let write = if in_memory {
                read.clone()
            } else {
                sqlite_pool(&full_url, 1, false, true)
                    .await
                    .map_err(connect_error)?
            };
            SQLITE_MIGRATIONS.run(&write).await?;
            rederive(&write).await.map_err(connect_error)?;
            let reader = reader::Reader::for_url(url);
            // A file has a reader and its own writer; memory has neither.
            let checkpointer = reader
                .as_ref()
                .map(|_| checkpoint::Checkpointer::start(read.clone(), write.clone()));
            Ok(Open {
                read,
                write,
                reader,
                checkpointer,
            })
        }
        Database::Postgres => {
            // One connection first: a pool only says it timed out, the driver says why
            // (refused, unknown host, bad password) — and at once when it can.
            probe(url).await?;
            let pool = warm::postgres_pool(POSTGRES_CONNECTIONS, CONNECT_TIMEOUT)
                .connect_lazy(url)
                .map_err(connect_error)?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            rederive(&pool).await.map_err(connect_error)?;
            warm::fill(&pool, POSTGRES_CONNECTIONS)
                .await
                .map_err(connect_error)?;
            Ok(Open {
                read: pool.clone(),
                write: pool,
                reader: None,
                checkpointer: None,
            })
        }
    }
}

impl Store {
    /// Open (creating if needed) the database at `url` and bring its schema up to date, or
    /// fail at once: for commands (`migrate`) and tests.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let database = Database::of(url);
        Ok(Store {
            pools: Pools::ready(open(url, database).await?),
            database,
        })
    }

    /// As [`Store::connect`], but a database that cannot be reached now (down, refusing,
    /// full) does not stop the gateway: the store answers 503 while a background task keeps
    /// trying with capped back-off, and serves once it connects (migrations included). A
    /// deployment mistake (a directory that cannot be made, a schema from another build) is
    /// still an error at once.
    pub async fn connect_or_wait(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let database = Database::of(url);
        match open(url, database).await {
            Ok(open) => Ok(Store {
                pools: Pools::ready(open),
                database,
            }),
            Err(e) if e.passes() => {
                let pools = Pools::waiting(e.to_string());
                let url = url.to_owned();
                pools.retry(redact_url(&url), move || {
                    let url = url.clone();
                    async move { open(&url, database).await }
                });
                Ok(Store { pools, database })
            }
            Err(e) => Err(e),
        }
    }

    /// The backend for one tenant's agents.
    pub fn tenant(&self, tenant: &str) -> TenantStore {
        TenantStore::new(
            self.pools.clone(),
            self.database == Database::Sqlite,
            tenant,
        )
    }

    /// The id map and shadow fields of the upstream `name`.
    pub fn id_map(&self, name: &str) -> IdMap {
        IdMap::new(self.pools.clone(), name)
    }

    /// The journal of the migration `run` (`<from> -> <to>`).
    pub fn journal(&self, run: &str) -> Journal {
        Journal::new(self.pools.clone(), run)
    }

    /// Whether the database answers; its outage (with the cause) when it does not.
    pub async fn ping(&self) -> Result<(), BackendError> {
        sqlx::query("SELECT 1")
            .execute(self.pools.read()?)
            .await
            .map(drop)
            .map_err(fault::db_error)
    }

    /// Close every connection; on a SQLite file, first fold the WAL into the database.
    pub async fn close(&self) {
        self.pools.stop_retrying();
        let Ok(open) = self.pools.open() else {
            return;
        };
        if open.checkpointer.is_some()
            && let Err(e) = checkpoint::truncate(&open.write).await
        {
            tracing::warn!(error = %e, "closing the store: the WAL stays, to be replayed on open");
        }
        open.read.close().await;
        open.write.close().await;
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
    use agentgw_upstream::IdMapping;

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
        assert!(store.pools.reader().is_some());

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
            Some(Some((idmap::NativeId::Live("native-7".to_owned()), mapped)))
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

    /// A full database (SQLITE_FULL, here from `max_page_count` on the writer, so the test
    /// needs no small filesystem; tests/e2e/storage.rs fills a real one) refuses writes with
    /// a disk-full outage, changes nothing, keeps reads going, and takes writes again once
    /// there is room.
    #[tokio::test]
    async fn a_full_database_refuses_writes_as_an_outage_and_recovers()
    -> Result<(), Box<dyn std::error::Error>> {
        use agentgw_core::{Backend, Outage};
        use agentgw_model::{AgentId, NewAgent, Profile, ProfilePatch};
        let dir = tempfile::tempdir()?;
        let store = Store::connect(&format!("sqlite://{}/s.db", dir.path().display())).await?;
        let tenant = store.tenant("t");
        let new = |i: usize| NewAgent {
            profile: Profile {
                email: format!("full{i}@example.com"),
                first_name: "x".repeat(200),
                ..Profile::default()
            },
            password: None,
        };
        let first = tenant.create(new(0)).await?;
        let write = store.pools.write()?;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(write)
            .await?;
        sqlx::query(AssertSqlSafe(format!("PRAGMA max_page_count = {pages}")))
            .execute(write)
            .await?;

        let mut made = 1;
        let refused = loop {
            match tenant.create(new(made)).await {
                Ok(_) => made += 1,
                Err(e) => break e,
            }
            assert!(made < 10_000, "the database never filled up");
        };
        assert!(
            matches!(
                refused,
                BackendError::Unavailable {
                    outage: Outage::DiskFull,
                    ..
                }
            ),
            "{refused:?}"
        );
        // Nothing half-written: the count and the list agree with the creates acknowledged.
        let page = tenant.list(&agentgw_model::ListQuery::default()).await?;
        assert_eq!((page.total, page.items.len()), (made as u64, made));
        let id = AgentId::Int(first.ids.int);
        assert_eq!(tenant.get(&id).await?, first, "reads go on");
        let patch = ProfilePatch {
            last_name: Some("y".repeat(255)),
            ..ProfilePatch::default()
        };
        // An update or delete may still fit in the pages the database has; whatever it
        // answers is an answer, never a 404 or a bug.
        for result in [
            tenant.update(&id, patch.clone()).await.map(drop),
            tenant.delete(&id).await,
        ] {
            if let Err(e) = result {
                assert!(matches!(e, BackendError::Unavailable { .. }), "{e:?}");
            }
        }

        sqlx::query("PRAGMA max_page_count = 1073741823")
            .execute(write)
            .await?;
        tenant.create(new(made)).await?;
        Ok(())
    }

    /// A database that cannot be reached at start is waited for: the store answers 503 with
    /// the cause until a background attempt succeeds, then serves.
    #[tokio::test]
    async fn a_store_that_cannot_be_opened_at_start_is_waited_for()
    -> Result<(), Box<dyn std::error::Error>> {
        use agentgw_core::{Backend, Outage};
        let dir = tempfile::tempdir()?;
        // A directory where the database file should be: SQLite cannot open it.
        let path = dir.path().join("s.db");
        std::fs::create_dir(&path)?;
        let url = format!("sqlite://{}", path.display());
        assert!(Store::connect(&url).await.is_err(), "fail-fast fails");
        let store = Store::connect_or_wait(&url).await?;
        let tenant = store.tenant("t");
        let ping = store.ping().await;
        assert!(
            matches!(
                ping,
                Err(BackendError::Unavailable {
                    outage: Outage::NotConnected,
                    ..
                })
            ),
            "{ping:?}"
        );
        assert!(matches!(
            tenant.get(&agentgw_model::AgentId::Int(1)).await,
            Err(BackendError::Unavailable { .. })
        ));
        std::fs::remove_dir(&path)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while store.ping().await.is_err() {
            assert!(std::time::Instant::now() < deadline, "never connected");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            tenant
                .list(&agentgw_model::ListQuery::default())
                .await?
                .total,
            0,
            "migrated, then served"
        );
        store.close().await;
        Ok(())
    }

    #[tokio::test]
    async fn a_directory_that_cannot_be_made_is_an_error_at_once() {
        let url = "sqlite:///proc/agentgw-no-such-dir/s.db";
        let started = std::time::Instant::now();
        assert!(matches!(
            Store::connect_or_wait(url).await,
            Err(StoreError::Directory { .. })
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
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
