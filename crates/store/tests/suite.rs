//! The store's contract, run against SQLite (always) and PostgreSQL (`AGENTGW_TEST_POSTGRES_URL`;
//! `.ci/run` sets it, and under CI a missing URL fails instead of skipping).

use agentgw_core::{Backend, BackendError};
use agentgw_model::{
    AgentId, Filter, FlagKind, ListQuery, NewAgent, Password, Profile, ProfilePatch, Role, SortKey,
    SortOrder, Window,
};
use agentgw_store::IdMapping;
use agentgw_store::{Store, TenantStore, verify_password};

fn profile(first: &str, last: &str, email: &str) -> Profile {
    Profile {
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        display_name: agentgw_model::join_name(first, last),
        ..Profile::default()
    }
}

fn new(first: &str, last: &str, email: &str) -> NewAgent {
    NewAgent {
        profile: profile(first, last, email),
        password: None,
    }
}

/// A store under test, with the URL it was opened at (for a second pool, or raw SQL).
struct Db {
    store: Store,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    /// A connection of its own to the store's database, for SQL the store would never run.
    async fn raw(&self) -> sqlx::AnyConnection {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("connect")
    }
}

impl std::ops::Deref for Db {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/store.db", dir.path().display());
    Db {
        store: Store::connect(&url).await.expect("sqlite store"),
        url,
        _dir: Some(dir),
    }
}

/// A store on a PostgreSQL schema of its own (see `agentgw_tests::postgres`).
async fn postgres() -> Option<Db> {
    let url = agentgw_tests::postgres::fresh_url().await?;
    Some(Db {
        store: Store::connect(&url).await.expect("postgres store"),
        url,
        _dir: None,
    })
}

fn fresh_tenant(store: &Store) -> TenantStore {
    store.tenant(&format!("t-{}", uuid_like()))
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos}-{}", std::process::id())
}

/// Every check of the contract, run on one backend.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { let db = super::sqlite().await; super::$name(&db).await; })*
        }
        mod on_postgres {
            $(#[tokio::test] #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run")] async fn $name() { if let Some(db) = super::postgres().await { super::$name(&db).await; } })*
        }
    };
}

suite!(
    create_and_get_by_every_id,
    totals_follow_creates_and_deletes,
    kept_totals_start_from_the_agents_there,
    email_is_unique_case_insensitively,
    concurrent_creates_of_one_email_yield_one_agent,
    list_filters_orders_and_windows,
    update_is_partial_and_checks_uniqueness,
    delete_frees_email_but_never_ids,
    passwords_are_argon2id_hashes,
    tenants_are_isolated,
    unlock_and_flags,
    usernames_are_derived_unique_and_kept,
    sorts_by_any_key_both_ways,
    teams_are_created_once_by_name,
    upstream_ids_are_mapped_once_and_retired,
    concurrent_updates_of_one_agent_all_apply,
    two_pools_on_one_database_lose_nothing,
    values_past_the_limits_are_refused_alike,
    look_alike_emails_are_one_agent_or_refused,
    a_row_that_cannot_be_read_is_left_out_of_lists,
    journal_keeps_natives_and_fingerprints,
    a_lookup_maps_nothing,
);

async fn create_and_get_by_every_id(store: &Store) {
    let t = fresh_tenant(store);
    let a = t
        .create(new("Alex", "Banda", "Alex@Example.com"))
        .await
        .expect("create");
    assert_eq!(a.profile.email, "Alex@Example.com");
    assert_eq!(a.ids.short.len(), 17);
    for id in [
        AgentId::Int(a.ids.int),
        AgentId::Guid(a.ids.guid),
        AgentId::Short(a.ids.short.clone()),
    ] {
        assert_eq!(t.get(&id).await.expect("get").ids, a.ids);
    }
    assert!(matches!(
        t.get(&AgentId::Int(a.ids.int + 1_000_000)).await,
        Err(BackendError::NotFound)
    ));
    assert!(matches!(
        t.get(&AgentId::Short("nope".into())).await,
        Err(BackendError::NotFound)
    ));
}

async fn email_is_unique_case_insensitively(store: &Store) {
    let t = fresh_tenant(store);
    t.create(new("A", "One", "same@example.com"))
        .await
        .expect("first");
    let second = t.create(new("B", "Two", "SAME@example.COM")).await;
    assert!(
        matches!(second, Err(BackendError::Conflict { field: "email" })),
        "{second:?}"
    );
    assert_eq!(t.list(&ListQuery::default()).await.expect("list").total, 1);
}

/// Unfiltered totals come from per-tenant counts on SQLite and COUNT(*) on PostgreSQL:
/// both must follow every create and delete, and nothing of another tenant.
async fn totals_follow_creates_and_deletes(store: &Store) {
    let t = fresh_tenant(store);
    let mut ids = Vec::new();
    for i in 0..5 {
        let a = t
            .create(new(
                &format!("T{i}"),
                "Count",
                &format!("count{i}@example.com"),
            ))
            .await
            .expect("create");
        ids.push(a.ids.int);
    }
    let refused = t.create(new("Dup", "Count", "COUNT0@example.com")).await;
    assert!(matches!(refused, Err(BackendError::Conflict { .. })));
    for gone in [ids[1], ids[3]] {
        t.delete(&AgentId::Int(gone)).await.expect("delete");
    }
    assert!(matches!(
        t.delete(&AgentId::Int(ids[3])).await,
        Err(BackendError::NotFound)
    ));
    let all = t.list(&ListQuery::default()).await.expect("list");
    assert_eq!((all.total, all.items.len()), (3, 3));
    let window = ListQuery {
        window: Some(Window {
            offset: 2,
            limit: 10,
        }),
        ..ListQuery::default()
    };
    let last = t.list(&window).await.expect("window");
    assert_eq!((last.total, last.items.len()), (3, 1));
    // An upstream's id map in the same database is another tenant.
    let map = store.id_map(&format!("count-{}", uuid_like()));
    map.ensure(&["n1".to_owned(), "n2".to_owned()])
        .await
        .expect("map");
    map.retire("n1").await.expect("retire");
    assert_eq!(t.list(&ListQuery::default()).await.expect("list").total, 3);
    let fresh = store.tenant(&format!("empty-{}", uuid_like()));
    assert_eq!(
        fresh.list(&ListQuery::default()).await.expect("list").total,
        0
    );
}

/// The schema change that adds the kept totals, undone: 0006 on SQLite, 0008 on PostgreSQL.
const LIVE_COUNTS_UNDONE: [(&str, &[&str]); 2] = [
    (
        "sqlite:",
        &[
            "DROP TRIGGER live_counts_insert",
            "DROP TRIGGER live_counts_update",
            "DROP TRIGGER live_counts_delete",
            "DROP TABLE live_counts",
            "DELETE FROM _sqlx_migrations WHERE version = 6",
        ],
    ),
    (
        "postgres:",
        &[
            "DROP TABLE live_counts",
            "DROP FUNCTION live_counts_kept CASCADE",
            "DELETE FROM _sqlx_migrations WHERE version = 8",
        ],
    ),
];

/// A store that had agents before totals were kept counts them when it gains the count.
async fn kept_totals_start_from_the_agents_there(db: &Db) {
    use sqlx::Connection as _;
    let t = db.tenant("default");
    for i in 0..3 {
        let email = format!("before{i}@example.com");
        t.create(new("Before", "Counts", &email))
            .await
            .expect("create");
    }
    let first = t.list(&ListQuery::default()).await.expect("list").items[0]
        .ids
        .int;
    t.delete(&AgentId::Int(first)).await.expect("delete");
    db.id_map("before-counts")
        .ensure(&["n1".to_owned()])
        .await
        .expect("map");
    let (_, undo) = LIVE_COUNTS_UNDONE
        .iter()
        .find(|(scheme, _)| db.url.starts_with(scheme))
        .expect("a known store");
    let mut conn = db.raw().await;
    for &sql in *undo {
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    }
    conn.close().await.expect("close");
    let again = Store::connect(&db.url).await.expect("reopen migrates");
    let t = again.tenant("default");
    assert_eq!(t.list(&ListQuery::default()).await.expect("list").total, 2);
    t.create(new("After", "Counts", "after@example.com"))
        .await
        .expect("create");
    assert_eq!(t.list(&ListQuery::default()).await.expect("list").total, 3);
    again.close().await;
}

async fn concurrent_creates_of_one_email_yield_one_agent(store: &Store) {
    let t = fresh_tenant(store);
    let tasks = (0..20).map(|i| {
        let t = t.clone();
        tokio::spawn(async move {
            t.create(new(&format!("N{i}"), "X", "race@example.com"))
                .await
        })
    });
    let results = futures_util::future::join_all(tasks).await;
    let ok = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(BackendError::Conflict { .. }))))
        .count();
    assert_eq!((ok, conflicts), (1, 19));
    assert_eq!(t.list(&ListQuery::default()).await.expect("list").total, 1);
}

async fn list_filters_orders_and_windows(store: &Store) {
    let t = fresh_tenant(store);
    for (f, l, e) in [
        ("carol", "Zed", "c@x.io"),
        ("Alice", "Young", "a@y.io"),
        ("bob", "Xu", "b@x.io"),
        ("Dan", "100%_real", "d@z.io"),
    ] {
        t.create(new(f, l, e)).await.expect("create");
    }
    let names = |p: agentgw_model::Page| {
        p.items
            .into_iter()
            .map(|a| a.profile.first_name)
            .collect::<Vec<_>>()
    };
    let all = t.list(&ListQuery::default()).await.expect("list");
    assert_eq!(all.total, 4);
    assert_eq!(
        names(all),
        ["Alice", "bob", "carol", "Dan"],
        "ordered by name case-insensitively"
    );

    let q = |filter: Filter| ListQuery {
        filter,
        ..Default::default()
    };
    let by_email = t
        .list(&q(Filter {
            email: Some("@X.IO".into()),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert_eq!(names(by_email), ["bob", "carol"]);
    let by_text = t
        .list(&q(Filter {
            text: Some("ALI".into()),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert_eq!(names(by_text), ["Alice"]);
    let wildcard = t
        .list(&q(Filter {
            last_name: Some("0%_r".into()),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert_eq!(
        names(wildcard),
        ["Dan"],
        "LIKE wildcards in a term are literal"
    );
    let no_percent = t
        .list(&q(Filter {
            last_name: Some("%".into()),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert_eq!(no_percent.total, 1);

    // Leaving one agent out by short id, and offline agents out; a NUL id leaves none out.
    let bob = t
        .list(&q(Filter {
            text: Some("bob".into()),
            ..Default::default()
        }))
        .await
        .expect("list")
        .items
        .remove(0);
    let offline = ProfilePatch {
        availability: Some(agentgw_model::Availability::Offline),
        ..ProfilePatch::default()
    };
    let carol = t
        .list(&q(Filter {
            text: Some("carol".into()),
            ..Default::default()
        }))
        .await
        .expect("list")
        .items
        .remove(0);
    t.update(&AgentId::Int(carol.ids.int), offline)
        .await
        .expect("update");
    let without_bob = t
        .list(&q(Filter {
            except_short_id: Some(bob.ids.short.clone()),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert_eq!(names(without_bob), ["Alice", "carol", "Dan"]);
    let awake = t
        .list(&q(Filter {
            hide_offline: true,
            except_short_id: Some("\0".into()),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert_eq!(names(awake), ["Alice", "bob", "Dan"]);

    let window = ListQuery {
        window: Some(Window {
            offset: 1,
            limit: 2,
        }),
        sort: SortOrder::CREATED,
        ..Default::default()
    };
    let page = t.list(&window).await.expect("list");
    assert_eq!(page.total, 4);
    assert_eq!(names(page), ["Alice", "bob"]);
    let past = ListQuery {
        window: Some(Window {
            offset: 10,
            limit: 2,
        }),
        ..Default::default()
    };
    let page = t.list(&past).await.expect("list");
    assert_eq!((page.items.len(), page.total), (0, 4));
}

async fn update_is_partial_and_checks_uniqueness(store: &Store) {
    let t = fresh_tenant(store);
    let a = t
        .create(new("John", "Doe", "john@example.com"))
        .await
        .expect("create");
    t.create(new("Jane", "Roe", "jane@example.com"))
        .await
        .expect("create");
    let id = AgentId::Guid(a.ids.guid);
    let u = t
        .update(
            &id,
            ProfilePatch {
                last_name: Some("Wick".into()),
                role: Some(Role::Administrator),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(
        (
            u.profile.first_name.as_str(),
            u.profile.last_name.as_str(),
            u.profile.display_name.as_str()
        ),
        ("John", "Wick", "John Wick")
    );
    assert_eq!(u.profile.role, Role::Administrator);
    assert_eq!(u.profile.email, "john@example.com");
    assert!(u.updated_at >= a.updated_at);
    let taken = t
        .update(
            &id,
            ProfilePatch {
                email: Some("JANE@example.com".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(taken, Err(BackendError::Conflict { field: "email" })),
        "{taken:?}"
    );
    let same = t
        .update(
            &id,
            ProfilePatch {
                email: Some("JOHN@example.com".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        same.is_ok(),
        "changing only the case of one's own email is allowed: {same:?}"
    );
    assert!(matches!(
        t.update(&AgentId::Int(-5), ProfilePatch::default()).await,
        Err(BackendError::NotFound)
    ));
}

async fn delete_frees_email_but_never_ids(store: &Store) {
    let t = fresh_tenant(store);
    let a = t
        .create(new("Gone", "Soon", "gone@example.com"))
        .await
        .expect("create");
    t.delete(&AgentId::Short(a.ids.short.clone()))
        .await
        .expect("delete");
    assert!(matches!(
        t.get(&AgentId::Int(a.ids.int)).await,
        Err(BackendError::NotFound)
    ));
    assert!(matches!(
        t.delete(&AgentId::Int(a.ids.int)).await,
        Err(BackendError::NotFound)
    ));
    let b = t
        .create(new("Back", "Again", "gone@example.com"))
        .await
        .expect("email is free again");
    assert!(b.ids.int > a.ids.int);
    assert_ne!(b.ids.guid, a.ids.guid);
    assert_ne!(b.ids.short, a.ids.short);
    assert_eq!(t.list(&ListQuery::default()).await.expect("list").total, 1);
}

async fn passwords_are_argon2id_hashes(store: &Store) {
    let t = fresh_tenant(store);
    let a = t
        .create(NewAgent {
            profile: profile("P", "W", "pw@example.com"),
            password: Some(Password::new("s3cret-pass")),
        })
        .await
        .expect("create");
    let id = AgentId::Int(a.ids.int);
    let hash = t
        .password_hash(&id)
        .await
        .expect("hash")
        .expect("a hash is stored");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("s3cret-pass"));
    assert!(verify_password(&hash, "s3cret-pass"));
    t.change_password(&id, Password::new("n3w-pass"))
        .await
        .expect("change");
    let hash = t
        .password_hash(&id)
        .await
        .expect("hash")
        .expect("a hash is stored");
    assert!(verify_password(&hash, "n3w-pass") && !verify_password(&hash, "s3cret-pass"));
    let doc = serde_json::to_string(&t.get(&id).await.expect("get")).expect("json");
    assert!(!doc.contains("n3w-pass") && !doc.contains("argon2"));
}

async fn tenants_are_isolated(store: &Store) {
    let (t1, t2) = (
        fresh_tenant(store),
        store.tenant(&format!("other-{}", uuid_like())),
    );
    let a = t1
        .create(new("Only", "Here", "iso@example.com"))
        .await
        .expect("create");
    assert!(matches!(
        t2.get(&AgentId::Int(a.ids.int)).await,
        Err(BackendError::NotFound)
    ));
    assert_eq!(t2.list(&ListQuery::default()).await.expect("list").total, 0);
    t2.create(new("Same", "Mail", "iso@example.com"))
        .await
        .expect("same email in another tenant");
}

async fn unlock_and_flags(store: &Store) {
    let t = fresh_tenant(store);
    let a = t
        .create(new("Lock", "Ed", "lock@example.com"))
        .await
        .expect("create");
    let id = AgentId::Int(a.ids.int);
    let locked = t
        .update(
            &id,
            ProfilePatch {
                locked_at: Some(Some(chrono::Utc::now())),
                ..Default::default()
            },
        )
        .await
        .expect("lock");
    assert!(locked.profile.state.is_locked());
    t.unlock(&id).await.expect("unlock");
    assert!(!t.get(&id).await.expect("get").profile.state.is_locked());
    t.set_flags(
        &id,
        FlagKind::Permissions,
        [("manage_articles".to_owned(), true)].into(),
    )
    .await
    .expect("set");
    let flags = t
        .set_flags(
            &id,
            FlagKind::Permissions,
            [("view_all_tickets".to_owned(), false)].into(),
        )
        .await
        .expect("set");
    assert_eq!(
        flags,
        [
            ("manage_articles".to_owned(), true),
            ("view_all_tickets".to_owned(), false)
        ]
        .into()
    );
    assert_eq!(
        t.flags(&id, FlagKind::Notifications).await.expect("get"),
        Default::default()
    );
}

#[tokio::test]
async fn sqlite_file_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/nested/dir/store.db", dir.path().display());
    let id = {
        let s = Store::connect(&url).await.expect("open");
        let a = s
            .tenant("default")
            .create(new("Per", "Sist", "persist@example.com"))
            .await
            .expect("create");
        s.close().await;
        a.ids
    };
    let s = Store::connect(&url).await.expect("reopen");
    assert_eq!(
        s.tenant("default")
            .get(&AgentId::Guid(id.guid))
            .await
            .expect("still there")
            .ids,
        id
    );
}

async fn usernames_are_derived_unique_and_kept(store: &Store) {
    let t = fresh_tenant(store);
    let a = t
        .create(new("A", "One", "Alex@one.example"))
        .await
        .expect("create");
    let b = t
        .create(new("A", "Two", "alex@two.example"))
        .await
        .expect("create");
    let c = t
        .create(new("A", "Three", "alex@three.example"))
        .await
        .expect("create");
    let names: Vec<_> = [&a, &b, &c]
        .iter()
        .map(|x| x.profile.username.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["alex", "alex.2", "alex.3"]);
    let moved = t
        .update(
            &AgentId::Int(a.ids.int),
            ProfilePatch {
                email: Some("someone.else@example.com".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(
        moved.profile.username.as_deref(),
        Some("alex"),
        "a derived username never changes"
    );
    let by_name = t
        .list(&ListQuery {
            filter: Filter {
                username: Some("ALEX.2".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(
        by_name.items.iter().map(|x| x.ids.int).collect::<Vec<_>>(),
        [b.ids.int]
    );
    let mut explicit = new("Chosen", "Name", "chosen@example.com");
    explicit.profile.username = Some("alex.2".into());
    assert!(
        matches!(
            t.create(explicit).await,
            Err(BackendError::Conflict { field: "username" })
        ),
        "a chosen username is not renamed"
    );
}

async fn sorts_by_any_key_both_ways(store: &Store) {
    let t = fresh_tenant(store);
    for (f, e) in [("b", "z@x.io"), ("c", "y@x.io"), ("a", "x@x.io")] {
        t.create(new(f, "", e)).await.expect("create");
    }
    let order = |key, descending| {
        let t = t.clone();
        async move {
            let q = ListQuery {
                sort: SortOrder { key, descending },
                ..Default::default()
            };
            t.list(&q)
                .await
                .expect("list")
                .items
                .into_iter()
                .map(|a| a.profile.first_name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(order(SortKey::Name, false).await, ["a", "b", "c"]);
    assert_eq!(order(SortKey::Name, true).await, ["c", "b", "a"]);
    assert_eq!(order(SortKey::Email, false).await, ["a", "c", "b"]);
    assert_eq!(order(SortKey::Username, true).await, ["b", "c", "a"]);
    assert_eq!(order(SortKey::Created, false).await, ["b", "c", "a"]);
    assert_eq!(order(SortKey::Updated, true).await, ["a", "c", "b"]);
}

async fn teams_are_created_once_by_name(store: &Store) {
    let t = fresh_tenant(store);
    let first = t
        .teams()
        .expect("a registry")
        .named(&["Support Team".into(), "Billing".into()], true)
        .await
        .expect("create");
    assert_eq!(
        first.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        ["Support Team", "Billing"]
    );
    let again = t
        .teams()
        .expect("a registry")
        .named(
            &["support team".into(), "billing".into(), "Unknown".into()],
            false,
        )
        .await
        .expect("read");
    assert_eq!(
        again, first,
        "same ids, guids and emoji; the first spelling wins; unknown names skipped"
    );
    assert!(!first[0].emoji.is_empty());
    let by_guid = t
        .teams()
        .expect("a registry")
        .by_guid(&[first[1].guid, uuid_nil()])
        .await
        .expect("by guid");
    assert_eq!(by_guid, vec![first[1].clone()]);
    // Concurrent first uses of one name make one team.
    let racers = (0..8).map(|_| {
        let t = t.clone();
        tokio::spawn(async move { t.teams()?.named(&["Race".into()], true).await })
    });
    let ids: std::collections::BTreeSet<i64> = futures_util::future::join_all(racers)
        .await
        .into_iter()
        .filter_map(|r| r.ok()?.ok()?.first().map(|x| x.id))
        .collect();
    assert_eq!(ids.len(), 1);
    let other = store.tenant(&format!("other-{}", uuid_like()));
    assert_eq!(
        other
            .teams()
            .expect("a registry")
            .named(&["Billing".into()], false)
            .await
            .expect("read"),
        vec![],
        "teams are per tenant"
    );
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}

async fn upstream_ids_are_mapped_once_and_retired(store: &Store) {
    let map = store.id_map(&format!("up-{}", uuid_like()));
    let natives: Vec<String> = [
        "7",
        "c2c165b7-d5ce-40e5-a492-f586f514a062",
        "aobEdbYhXfu5hkeqG",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let first = map.ensure(&natives).await.expect("ensure");
    let again = map.ensure(&natives).await.expect("ensure again");
    assert_eq!(first, again, "stable");
    for (m, native) in first.iter().zip(&natives) {
        for id in [
            AgentId::Int(m.ids.int),
            AgentId::Guid(m.ids.guid),
            AgentId::Short(m.ids.short.clone()),
        ] {
            assert_eq!(
                map.native(&id).await.expect("native").as_deref(),
                Some(native.as_str())
            );
        }
    }
    let shadow = Profile {
        title: Some("Lead".into()),
        ..Profile::default()
    };
    map.save_shadow("7", &shadow).await.expect("save");
    assert_eq!(map.ensure_one("7").await.expect("one").shadow, Some(shadow));
    map.retire("7").await.expect("retire");
    assert_eq!(
        map.native(&AgentId::Int(first[0].ids.int))
            .await
            .expect("native"),
        None,
        "a retired id maps to nothing"
    );
    let reborn = map.ensure_one("7").await.expect("again");
    assert!(
        reborn.ids.int > first[2].ids.int && reborn.shadow.is_none(),
        "new ids, no old shadow"
    );
    // Concurrent first sightings of one native id yield one mapping.
    let racers = (0..8).map(|_| {
        let map = map.clone();
        tokio::spawn(async move { map.ensure_one("race").await.map(|m| m.ids.int) })
    });
    let ids: std::collections::BTreeSet<i64> = futures_util::future::join_all(racers)
        .await
        .into_iter()
        .filter_map(|r| r.ok()?.ok())
        .collect();
    assert_eq!(ids.len(), 1);
}

/// The migration journal, per run: entries with both helpdesks' ids and a fingerprint, a
/// re-record replacing them, NULLs kept as `None`, and forgetting.
async fn journal_keeps_natives_and_fingerprints(store: &Store) {
    use agentgw_store::{JournalEntry, MigrationJournal};
    let run = format!("a -> b {}", uuid_like());
    let journal = store.journal(&run);
    let other = store.journal(&format!("{run} (other)"));
    let entry = JournalEntry {
        target: "10".into(),
        source_native: Some("5".into()),
        target_native: Some("c2c165b7-d5ce-40e5-a492-f586f514a062".into()),
        fingerprint: Some(r#"{"email":"0123456789abcdef"}"#.into()),
    };
    journal.record("1", &entry, "create").await.expect("record");
    let bare = JournalEntry {
        target: "11".into(),
        ..JournalEntry::default()
    };
    journal.record("2", &bare, "matched").await.expect("record");
    let entries = journal.entries().await.expect("entries");
    assert_eq!(entries.get("1"), Some(&entry));
    assert_eq!(entries.get("2"), Some(&bare), "NULLs read back as None");
    assert!(
        other.entries().await.expect("other").is_empty(),
        "runs are apart"
    );

    let updated = JournalEntry {
        fingerprint: Some(r#"{"email":"fedcba9876543210"}"#.into()),
        ..entry
    };
    journal
        .record("1", &updated, "update")
        .await
        .expect("again");
    journal.forget("2").await.expect("forget");
    let entries = journal.entries().await.expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries.get("1"), Some(&updated));
}

/// `IdMap::lookup` (a dry run's listing) reads mappings and never creates one.
async fn a_lookup_maps_nothing(store: &Store) {
    let map = store.id_map(&format!("up-{}", uuid_like()));
    let natives = vec!["1".to_owned(), "2".to_owned()];
    assert!(map.lookup(&natives).await.expect("lookup").is_empty());
    assert!(map.lookup(&natives).await.expect("lookup").is_empty());
    let one = map.ensure_one("2").await.expect("ensure");
    let found = map.lookup(&natives).await.expect("lookup");
    assert_eq!(found.len(), 1);
    assert_eq!(found.get("2"), Some(&one));
}

/// 200 updates of one agent at once, each setting one named value of its own (50 permissions,
/// 50 notification settings, 50 fields of each of two extensions): every one succeeds and
/// none is lost.
async fn concurrent_updates_race(stores: &[TenantStore], id: &AgentId) {
    let tasks = (0..200).map(|i| {
        let t = stores[i % stores.len()].clone();
        let id = id.clone();
        tokio::spawn(async move {
            let name = format!("n{:02}", i / 4);
            let one = |name: String| [(name, true)].into_iter().collect();
            let field = |name: String| {
                [(name, serde_json::json!(i))]
                    .into_iter()
                    .collect::<serde_json::Map<_, _>>()
            };
            let patch = match i % 4 {
                0 => ProfilePatch {
                    permissions: Some(one(name)),
                    ..ProfilePatch::default()
                },
                1 => ProfilePatch {
                    notifications: Some(one(name)),
                    ..ProfilePatch::default()
                },
                2 => ProfilePatch {
                    extensions: Some(("race-a".into(), field(name))),
                    ..ProfilePatch::default()
                },
                _ => ProfilePatch {
                    extensions: Some(("race-b".into(), field(name))),
                    ..ProfilePatch::default()
                },
            };
            t.update(&id, patch).await
        })
    });
    let results = futures_util::future::join_all(tasks).await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| match r {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        })
        .collect();
    assert_eq!(failed, Vec::<String>::new(), "every update succeeds");
    let p = stores[0].get(id).await.expect("get").profile;
    assert_eq!(
        (
            p.permissions.len(),
            p.notifications.len(),
            p.extensions.of("race-a").map_or(0, |m| m.len()),
            p.extensions.of("race-b").map_or(0, |m| m.len()),
        ),
        (50, 50, 50, 50),
        "no update is lost"
    );
}

async fn concurrent_updates_of_one_agent_all_apply(db: &Db) {
    let t = fresh_tenant(db);
    let a = t
        .create(new("Race", "Patch", "race-patch@example.com"))
        .await
        .expect("create");
    concurrent_updates_race(&[t], &AgentId::Int(a.ids.int)).await;
}

/// Two pools on one database stand in for two gateways sharing it: updates, creates and
/// id-map writes through both at once.
async fn two_pools_on_one_database_lose_nothing(db: &Db) {
    let other = Store::connect(&db.url).await.expect("second pool");
    let t = fresh_tenant(db);
    let a = t
        .create(new("Two", "Pools", "two-pools@example.com"))
        .await
        .expect("create");
    let id = AgentId::Guid(a.ids.guid);
    concurrent_updates_race(&[t.clone(), other.tenant(t.tenant_name())], &id).await;
    // Creates through both pools at once: exactly one agent per email, ids never shared.
    let both = [t.clone(), other.tenant(t.tenant_name())];
    let tasks = (0..40).map(|i| {
        let t = both[i % 2].clone();
        tokio::spawn(async move {
            t.create(new("Pool", "Race", &format!("pool{}@example.com", i % 10)))
                .await
        })
    });
    let created: Vec<_> = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .filter_map(|r| r.ok().and_then(Result::ok))
        .collect();
    assert_eq!(created.len(), 10, "one agent per email");
    let mut ints: Vec<i64> = created.iter().map(|a| a.ids.int).collect();
    ints.sort_unstable();
    ints.dedup();
    assert_eq!(ints.len(), 10);
    // Deletes and creates through both pools at once: the kept total is the rows listed.
    let churn = created.iter().enumerate().map(|(i, a)| {
        let (t, id) = (both[i % 2].clone(), AgentId::Int(a.ids.int));
        tokio::spawn(async move {
            if i % 3 == 0 {
                t.delete(&id).await.map(|_| ())
            } else {
                let email = format!("churn{i}@example.com");
                t.create(new("Pool", "Churn", &email)).await.map(|_| ())
            }
        })
    });
    for done in futures_util::future::join_all(churn).await {
        done.expect("task").expect("write");
    }
    for t in &both {
        let all = t.list(&ListQuery::default()).await.expect("list");
        assert_eq!((all.total, all.items.len()), (1 + 10 - 4 + 6, 13));
    }
    // Both map the same upstream's pages at once (two gateways listing one upstream): each
    // native gets one mapping, which both then agree on, and no two natives share an id.
    let upstream = format!("up-{}", uuid_like());
    let maps = [db.id_map(&upstream), other.id_map(&upstream)];
    let natives: Vec<String> = (0..60).map(|i| format!("native-{i}")).collect();
    let pages = (0..8).map(|i| {
        let map = maps[i % 2].clone();
        let page: Vec<String> = natives.iter().skip(i * 5).take(30).cloned().collect();
        tokio::spawn(async move { map.ensure(&page).await })
    });
    for page in futures_util::future::join_all(pages).await {
        page.expect("task").expect("ensure");
    }
    let seen = maps[0].ensure(&natives).await.expect("ensure all");
    assert_eq!(seen, maps[1].ensure(&natives).await.expect("ensure all"));
    for kind in [
        seen.iter()
            .map(|m| m.ids.int.to_string())
            .collect::<Vec<_>>(),
        seen.iter().map(|m| m.ids.guid.to_string()).collect(),
        seen.iter().map(|m| m.ids.short.clone()).collect(),
    ] {
        let distinct: std::collections::HashSet<_> = kind.iter().collect();
        assert_eq!(distinct.len(), natives.len(), "ids shared: {kind:?}");
    }
    other.close().await;
}

fn invalid_field<T: std::fmt::Debug>(result: Result<T, BackendError>) -> String {
    match result {
        Err(BackendError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// What one store refuses the other refuses too, with the same field named; what they accept
/// they read back. (A NUL used to be a 500 on PostgreSQL alone; a 2,700-character name broke
/// its index; a deeply nested extension was written and then could not be read.)
async fn values_past_the_limits_are_refused_alike(db: &Db) {
    let t = fresh_tenant(db);
    let nul = t.create(new("Nul\u{0}", "X", "nul@example.com")).await;
    assert_eq!(invalid_field(nul), "first_name");
    let long = t
        .create(new(&"x".repeat(2700), "Long", "long@example.com"))
        .await;
    assert_eq!(invalid_field(long), "first_name");
    let deep = (0..124).fold(serde_json::json!(1), |v, _| serde_json::json!([v]));
    let mut deep_profile = profile("Deep", "Ext", "deep@example.com");
    deep_profile.extensions.merge(
        "comm100",
        [("shiftIds".to_owned(), deep)].into_iter().collect(),
    );
    let deep = t
        .create(NewAgent {
            profile: deep_profile,
            password: None,
        })
        .await;
    assert_eq!(invalid_field(deep), "extensions.comm100.shiftIds");

    // The largest values accepted are kept and read back unchanged.
    let mut max = profile(&"é".repeat(255), &"ü".repeat(255), "max@example.com");
    max.display_name = format!("{} {}", max.first_name, max.last_name);
    max.bio = Some("line\n".repeat(4096 / 5));
    max.teams = (0..100)
        .map(|i| format!("{i:03}{}", "t".repeat(252)))
        .collect();
    let free = (0..8).fold(serde_json::json!("x".repeat(15_000)), |v, _| {
        serde_json::json!([v])
    });
    max.extensions.merge(
        "libredesk",
        [("custom_attributes".to_owned(), free)]
            .into_iter()
            .collect(),
    );
    let kept = t
        .create(NewAgent {
            profile: max.clone(),
            password: None,
        })
        .await
        .expect("the largest accepted profile");
    assert_eq!(kept.profile.extensions, max.extensions);
    let listed = t.list(&ListQuery::default()).await.expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].profile.bio, max.bio);

    // An update past a limit changes nothing.
    let id = AgentId::Int(kept.ids.int);
    let refused = t
        .update(
            &id,
            ProfilePatch {
                title: Some(Some("a\u{0}b".into())),
                ..ProfilePatch::default()
            },
        )
        .await;
    assert_eq!(invalid_field(refused), "title");
    assert_eq!(t.get(&id).await.expect("get").profile.title, None);

    // NUL in a filter or an id finds nothing, on both stores.
    for filter in [
        Filter {
            text: Some("a\u{0}".into()),
            ..Filter::default()
        },
        Filter {
            email: Some("\u{0}".into()),
            ..Filter::default()
        },
    ] {
        let page = t
            .list(&ListQuery {
                filter,
                ..ListQuery::default()
            })
            .await
            .expect("list");
        assert_eq!((page.total, page.items.len()), (0, 0));
    }
    for id in ["\u{0}".repeat(17), format!("{}\u{0}", "A".repeat(16))] {
        assert!(matches!(
            t.get(&AgentId::Short(id)).await,
            Err(BackendError::NotFound)
        ));
    }
}

async fn look_alike_emails_are_one_agent_or_refused(db: &Db) {
    let t = fresh_tenant(db);
    t.create(new("Alex", "Banda", "alex@example.com"))
        .await
        .expect("create");
    let same = t
        .create(new("Full", "Width", "ａｌｅｘ@ｅｘａｍｐｌｅ.ｃｏｍ"))
        .await;
    assert!(
        matches!(same, Err(BackendError::Conflict { field: "email" })),
        "{same:?}"
    );
    for bad in [
        "al\u{200B}ex@example.com",
        "\u{202E}alex@example.com",
        "\u{430}lex@example.com",
        "\u{3b1}lex@example.com",
    ] {
        assert_eq!(
            invalid_field(t.create(new("Look", "Alike", bad)).await),
            "email"
        );
    }
    assert_eq!(t.list(&ListQuery::default()).await.expect("list").total, 1);
}

/// A row no version of agentgw could read (damaged on disk, or written by a broken one) is
/// left out of every list, which still answers; reading it alone is an error.
async fn a_row_that_cannot_be_read_is_left_out_of_lists(db: &Db) {
    use sqlx::Connection as _;
    let t = fresh_tenant(db);
    let mut ids = Vec::new();
    for i in 0..3 {
        let a = t
            .create(new("Row", &format!("N{i}"), &format!("row{i}@example.com")))
            .await
            .expect("create");
        ids.push(a.ids.int);
    }
    let mut conn = db.raw().await;
    sqlx::query("UPDATE agents SET doc = $1 WHERE id = $2")
        .bind("{\"v\":1,\"profile\":{\"email\":[[[")
        .bind(ids[1])
        .execute(&mut conn)
        .await
        .expect("corrupt a row");
    conn.close().await.expect("close");
    let page = t
        .list(&ListQuery::default())
        .await
        .expect("the list answers");
    let listed: Vec<i64> = page.items.iter().map(|a| a.ids.int).collect();
    assert_eq!(listed, [ids[0], ids[2]]);
    assert!(matches!(
        t.get(&AgentId::Int(ids[1])).await,
        Err(BackendError::Internal(_))
    ));
    assert_eq!(
        t.get(&AgentId::Int(ids[2])).await.expect("get").ids.int,
        ids[2]
    );
}
